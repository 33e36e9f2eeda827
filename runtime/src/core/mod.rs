//! The bottom layer: what every other module speaks and nothing here speaks of them.
//!
//! - [`clock`]: the time, from one injectable source.
//! - [`hash`]: SHA-256 and canonical JSON, what event hashes and ledger leaves are made of.
//! - [`kinds`]: the closed sets of the domain stored as text — a case's status, an org unit's
//!   kind, an escalation level — as enums with their stored spelling, so no code compares
//!   strings to decide.
//!
//! Architecture invariant: `core` names nothing else in the crate (no `use crate::` outside
//! `core`), and depends on std, chrono, serde, serde_json, sha2 and hex only — the seed of the
//! `baida-core` crate.

pub mod clock;
pub mod hash;
pub mod kinds;
