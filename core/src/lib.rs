//! # baida-core
//!
//! The bottom layer: what every other crate speaks and nothing here speaks of them.
//!
//! - [`clock`]: the time, from one injectable source.
//! - [`hash`]: SHA-256 and canonical JSON, what event hashes and ledger leaves are made of.
//! - [`kinds`]: the closed sets of the domain stored as text — a case's status, an org unit's
//!   kind, an escalation level, an event's kind — as enums with their stored spelling, so no
//!   code compares strings to decide.
//! - [`case`] and [`org`]: the rows the store and the engine speak — a case, its events,
//!   timers, outbox items and photo uses, the change one transition writes; an org unit.
//! - [`chain`]: hash chains — a case's events, a register row's history — and their check.
//! - [`register`]: a register's rows (台账), a write to one and what it makes of the row.
//! - [`secret`]: the one generator of secrets (tokens, SMS codes, keys) from the OS.
//! - [`ledger`]: the community ledger's entries, amounts and accounts, the Merkle tree and its
//!   leaf hash, and the signed tree head — the values the store keeps and the engine books.
//!
//! Architecture invariant (a Cargo fact): `baida-core` depends on no other Baida crate but
//! `baida-blocks` (for [`baida_blocks::Text`]) and on no database, HTTP or runtime crate.

pub mod case;
pub mod chain;
pub mod clock;
pub mod hash;
pub mod kinds;
pub mod ledger;
pub mod org;
pub mod register;
pub mod secret;
