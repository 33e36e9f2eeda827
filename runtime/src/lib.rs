//! # baida
//!
//! The Baida binary's library: the command line ([`cli`] and its `*_cli` commands), the
//! server put together from the crates below ([`server`]) and the demo district ([`demo`]).
//!
//! The crates, bottom up: `baida-blocks` (the app-definition contract), `baida-core` (clock,
//! hashing, kinds, ledger values), `baida-store` (SQLite and PostgreSQL), `baida-engine` (the
//! domain), `baida-web` (HTTP, pages). See `docs/ARCHITECTURE.md`.
//!
//! Reading order: [`server`] (how it is put together), `baida_web`, `baida_engine::submit`,
//! `baida_store`, then the rest.

pub mod backup_cli;
pub mod catalog_cli;
pub mod cli;
pub mod demo;
pub mod ledger_cli;
pub mod org_cli;
pub mod plugin_cli;
pub mod server;
