//! The engine: how cases come to be and move. [`event`] keeps each case's hash-chained log,
//! [`submit`] turns a form submission into a case (through the group-commit [`Committer`]),
//! [`clock`] gives the time (injectable, so tests move time instead of sleeping), and
//! [`verify`] checks every chain.

pub mod clock;
pub mod event;
pub mod submit;
pub mod verify;

pub use clock::{Clock, SystemClock};
pub use submit::{Committer, Intake, Submission, SubmitError, Submitted};
