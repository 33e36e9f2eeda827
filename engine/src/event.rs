//! The case event log: append-only and hash-chained.
//!
//! `hash = SHA-256(prev_hash ‖ canonical JSON of {case_id, seq, kind, actor, at, data})`,
//! where the first event's `prev_hash` is 64 zeros and canonical JSON sorts object keys and
//! has no whitespace. Editing, removing or reordering any event breaks the chain from there
//! on, and the case row keeps the head hash and count, so removing the last one is caught too.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use baida_core::hash::canonical_json;
use baida_store::{Event, EventKind};

/// The `prev_hash` of a case's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn event_hash(
    prev_hash: &str,
    case_id: &str,
    seq: i64,
    kind: EventKind,
    actor: &str,
    at: DateTime<Utc>,
    data: &Value,
) -> String {
    let body = json!({
        "case_id": case_id,
        "seq": seq,
        "kind": kind.as_str(),
        "actor": actor,
        "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    });
    baida_core::hash::sha256_hex_of(&[prev_hash.as_bytes(), canonical_json(&body).as_bytes()])
}

/// Builds the next event of a chain whose head is `prev` (or a first event).
pub fn next(
    prev: Option<&Event>,
    case_id: &str,
    kind: EventKind,
    actor: &str,
    at: DateTime<Utc>,
    data: Value,
) -> Event {
    next_after(prev.map(|p| (p.seq, p.hash.as_str())), case_id, kind, actor, at, data)
}

/// Builds the event after the chain head `(seq, hash)` — what a case row records — or a first
/// event when there is none.
pub fn next_after(
    head: Option<(i64, &str)>,
    case_id: &str,
    kind: EventKind,
    actor: &str,
    at: DateTime<Utc>,
    data: Value,
) -> Event {
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    };
    let hash = event_hash(&prev_hash, case_id, seq, kind, actor, at, &data);
    Event { case_id: case_id.into(), seq, kind, actor: actor.into(), at, data, prev_hash, hash }
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Event `seq` is not the one expected at that position (removed or reordered).
    Sequence { expected: i64, found: i64 },
    /// Event `seq` does not link to the hash of the event before it.
    Link { seq: i64 },
    /// Event `seq`'s content does not match its hash (edited).
    Content { seq: i64 },
    /// The case's recorded head (count and last hash) does not match its events.
    Head { expected_count: i64, found_count: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Sequence { expected, found } => {
                write!(f, "event {expected} is missing or out of order (found event {found} in its place)")
            }
            Break::Link { seq } => write!(f, "event {seq} does not link to the event before it"),
            Break::Content { seq } => write!(f, "event {seq} was changed after it was written (hash mismatch)"),
            Break::Head { expected_count, found_count } => write!(
                f,
                "the case records {expected_count} events and a head hash that its {found_count} stored events do not reach (an event was removed)"
            ),
        }
    }
}

/// Verifies a case's events against its recorded head.
pub fn verify(events: &[Event], head_count: i64, head_hash: &str) -> Result<(), Break> {
    let mut prev_hash = GENESIS.to_string();
    for (i, e) in events.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq != expected {
            return Err(Break::Sequence { expected, found: e.seq });
        }
        if e.prev_hash != prev_hash {
            return Err(Break::Link { seq: e.seq });
        }
        if event_hash(&e.prev_hash, &e.case_id, e.seq, e.kind, &e.actor, e.at, &e.data) != e.hash {
            return Err(Break::Content { seq: e.seq });
        }
        prev_hash = e.hash.clone();
    }
    if events.len() as i64 != head_count || (head_count > 0 && prev_hash != head_hash) {
        return Err(Break::Head { expected_count: head_count, found_count: events.len() as i64 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Vec<Event> {
        let at = DateTime::parse_from_rfc3339("2026-11-21T08:00:00.123Z").unwrap().with_timezone(&Utc);
        let a = next(None, "c1", EventKind::CaseSubmitted, "public", at, json!({"record": {"b": 1, "a": [1, 2]}}));
        let b = next(Some(&a), "c1", EventKind::StepEntered, "system", at, json!({"step": "dispatch"}));
        let c = next(Some(&b), "c1", EventKind::StepCompleted, "system", at, json!({}));
        vec![a, b, c]
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        assert_eq!(
            canonical_json(&json!({"b": {"z": 1, "a": [true, null]}, "a": "x"})),
            r#"{"a":"x","b":{"a":[true,null],"z":1}}"#
        );
    }

    /// The hash every stored event was made with: a refactor that changes it would break every
    /// chain already stored. (Computed independently: SHA-256 of 64 zeros followed by the
    /// canonical JSON `{"actor":"public","at":"2026-11-21T08:00:00.123Z","case_id":"c1",
    /// "data":{"record":{"a":[1,2],"b":1}},"kind":"case.submitted","seq":1}`.)
    #[test]
    fn the_event_hash_is_pinned() {
        assert_eq!(chain()[0].hash, "5414a4b2248818221824ae230a3db7dd7eda7a38342182cabb7ad02e0ccc17ee");
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain();
        assert_eq!(verify(&events, 3, &events[2].hash), Ok(()));
    }

    #[test]
    fn edits_removals_and_reorders_are_detected() {
        let events = chain();
        let head = events[2].hash.clone();

        let mut edited = events.clone();
        edited[1].data = json!({"step": "elsewhere"});
        assert_eq!(verify(&edited, 3, &head), Err(Break::Content { seq: 2 }));

        let mut removed = events.clone();
        removed.remove(1);
        assert_eq!(verify(&removed, 3, &head), Err(Break::Sequence { expected: 2, found: 3 }));

        let mut last_removed = events.clone();
        last_removed.pop();
        assert!(matches!(verify(&last_removed, 3, &head), Err(Break::Head { .. })));

        let mut swapped = events.clone();
        swapped.swap(1, 2);
        assert!(verify(&swapped, 3, &head).is_err());
    }
}
