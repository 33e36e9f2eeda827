//! Baida as a process, as an operator runs it: the `baida` binary killed with SIGKILL and
//! SIGTERM mid-work, backed up under load, on a full disk; its command lines; its notification
//! transports against real peers on 127.0.0.1; and the bounded property-based fuzzing of every
//! parser a stranger can reach. One test binary (one link of wasmtime, sqlx and the rest), one
//! module per area; `common` starts servers and checks their data.

mod cli;
mod common;
mod crash;
mod crash_timers;
mod fuzz;
mod ledger_process;
mod notify;
mod org_cli;
