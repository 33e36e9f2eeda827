//! The end-to-end suite as one test binary: a real Baida server over HTTP on SQLite and on
//! PostgreSQL, one module per area. One binary links wasmtime, sqlx and the rest once, not once
//! per file (see docs/ARCHITECTURE.md, "Build times"). Kept apart only what must own its
//! process: `tests/tests/logs.rs` installs the global log subscriber.

mod auth;
mod bad_input;
mod catalog;
mod designer;
mod dispatch;
mod figures;
mod isolation;
mod ledger;
mod messages;
mod pages;
mod people;
mod plugins;
mod profile;
mod registers;
mod relations;
mod schedules;
mod schema;
mod submission;
mod verify;
mod web;
mod work;
mod workflow;
