//! The engine: how cases come to be and move. [`event`] keeps each case's hash-chained log,
//! [`submit`] turns a form submission into a case (through the group-commit [`Committer`]),
//! the time comes from [`crate::core::clock`] (injectable, so tests move time instead of sleeping), and
//! [`verify`] checks every chain. People act on cases through [`actions`], [`vote`] and
//! [`comment`].

pub mod actions;
mod booking;
pub mod calendar;
pub mod comment;
pub mod event;
pub mod flow;
pub mod outbox;
pub mod pacing;
pub mod photos;
pub mod plugin_step;
pub mod recipient;
pub mod scheduler;
pub mod submit;
pub mod test_run;
pub mod verify;
pub mod vote;

pub use crate::core::clock::{Clock, ManualClock, SystemClock};
pub use submit::{Committer, Engine, Submission, SubmitError, Submitted};
