//! The case event log: append-only and hash-chained ([`baida_core::chain`]).
//!
//! `hash = SHA-256(prev_hash ‖ canonical JSON of {case_id, seq, kind, actor, at, data})`,
//! where the first event's `prev_hash` is 64 zeros and canonical JSON sorts object keys and
//! has no whitespace. Editing, removing or reordering any event breaks the chain from there
//! on, and the case row keeps the head hash and count, so removing the last one is caught too.

use chrono::{DateTime, Utc};
use serde_json::Value;

use baida_core::chain;
pub use baida_core::chain::{Break, GENESIS};
use baida_store::{Event, EventKind};

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
    let (seq, prev_hash) = chain::after(head);
    let hash = chain::hash(&prev_hash, &chain::body(("case_id", case_id), seq, kind.as_str(), actor, at, &data));
    Event { case_id: case_id.into(), seq, kind, actor: actor.into(), at, data, prev_hash, hash }
}

/// Verifies a case's events against its recorded head.
pub fn verify(events: &[Event], head_count: i64, head_hash: &str) -> Result<(), Break> {
    chain::verify(events, head_count, head_hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baida_core::hash::canonical_json;
    use serde_json::json;

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
