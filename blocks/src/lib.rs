//! # baida-blocks
//!
//! The contract of Baida: the app-definition model, its JSON Schema meta-schema, validation
//! and compilation, the catalog of block kinds, the form block's evaluation of answers, the
//! data-dictionary model, and the script engine (the one place a rhai `Engine` is built).
//!
//! Architecture invariant: this crate knows nothing of HTTP, SQL, files or clocks. It
//! depends on serde, jsonschema, schemars, rhai, regex and chrono's date types only; the
//! runtime gives it what it needs (answers, the dictionary, today's date) as values.
//!
//! Reading order: [`text`] (localized text), [`field`] and [`step`] (the model),
//! [`app`] (the document), [`compile`] (validation), [`form`] (answers → record),
//! [`script`] (rhai with limits), [`block`] (the palette), [`dictionary`].

pub mod app;
pub mod block;
mod check;
mod check_messages;
mod check_registers;
mod check_steps;
mod check_triggers;
pub mod compile;
pub mod dictionary;
pub mod duplicates;
pub mod field;
pub mod form;
pub mod formats;
pub mod message;
pub mod problem;
pub mod property;
pub mod register;
pub mod schema;
pub mod script;
pub mod step;
pub mod text;
pub mod trigger;
pub mod warnings;

pub use app::{Access, App, Record, Rule, SubmitAccess, Trigger};
pub use check_messages::sms_quotable;
pub use compile::{CompiledApp, CompiledField, CompiledRegister};
pub use dictionary::{DictField, Dictionary, DictionaryPart, ProfileScope, Scenario, ScenarioList, Sensitivity};
pub use field::{Choice, Field, FieldType, Limit};
pub use problem::Problem;
pub use register::{Register, RegisterAccess, RowAccess};
pub use step::{BlockConfig, Step, Transition};
pub use text::{Lang, Text};
