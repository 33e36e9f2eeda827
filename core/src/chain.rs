//! Hash chains: a case's events and a register row's history are each an append-only list
//! whose entries are chained by SHA-256.
//!
//! `hash = SHA-256(prev_hash ‖ canonical JSON of the entry's body)`, where the first entry's
//! `prev_hash` is 64 zeros and canonical JSON sorts object keys and has no whitespace. Editing,
//! removing or reordering any entry breaks the chain from there on, and the owner's row (the
//! case, the register row) keeps the head hash and count, so removing the last one is caught
//! too.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::hash::{canonical_json, sha256_hex_of};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of a chain, as hashed.
pub trait Link {
    fn seq(&self) -> i64;
    fn prev_hash(&self) -> &str;
    fn hash(&self) -> &str;
    /// What the hash covers besides `prev_hash`.
    fn body(&self) -> Value;
}

/// The hashed body of an entry: `{<subject>: id, seq, kind, actor, at, data}`, `at` in
/// RFC 3339 with milliseconds.
pub fn body(subject: (&str, &str), seq: i64, kind: &str, actor: &str, at: DateTime<Utc>, data: &Value) -> Value {
    let mut body = json!({
        "seq": seq,
        "kind": kind,
        "actor": actor,
        "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    });
    body[subject.0] = Value::String(subject.1.to_string());
    body
}

/// The hash of an entry with this body after `prev_hash`.
pub fn hash(prev_hash: &str, body: &Value) -> String {
    sha256_hex_of(&[prev_hash.as_bytes(), canonical_json(body).as_bytes()])
}

/// The sequence number and `prev_hash` of the entry after the head `(seq, hash)` (or of a
/// first entry).
pub fn after(head: Option<(i64, &str)>) -> (i64, String) {
    match head {
        Some((seq, hash)) => (seq + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    }
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Entry `seq` is not the one expected at that position (removed or reordered).
    Sequence { expected: i64, found: i64 },
    /// Entry `seq` does not link to the hash of the entry before it.
    Link { seq: i64 },
    /// Entry `seq`'s content does not match its hash (edited).
    Content { seq: i64 },
    /// The recorded head (count and last hash) does not match the entries.
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
                "the head records {expected_count} events and a head hash that its {found_count} stored events do not reach (an event was removed)"
            ),
        }
    }
}

/// Verifies a chain against its recorded head.
pub fn verify<L: Link>(links: &[L], head_count: i64, head_hash: &str) -> Result<(), Break> {
    let mut prev_hash = GENESIS.to_string();
    for (i, e) in links.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq() != expected {
            return Err(Break::Sequence { expected, found: e.seq() });
        }
        if e.prev_hash() != prev_hash {
            return Err(Break::Link { seq: e.seq() });
        }
        if hash(e.prev_hash(), &e.body()) != e.hash() {
            return Err(Break::Content { seq: e.seq() });
        }
        prev_hash = e.hash().to_string();
    }
    if links.len() as i64 != head_count || (head_count > 0 && prev_hash != head_hash) {
        return Err(Break::Head { expected_count: head_count, found_count: links.len() as i64 });
    }
    Ok(())
}
