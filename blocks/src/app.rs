//! The app definition: one JSON document that a designer saves and the runtime interprets.
//!
//! [`App`] is the document as written. [`App::compile`] (in `compile.rs`) validates it
//! against the meta-schema and semantically, resolves dictionary references and compiles
//! every script once, giving a [`crate::CompiledApp`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::step::{Step, Transition};
pub use crate::trigger::Trigger;
use crate::{Field, Text};

/// An app definition, one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "Baida app definition")]
pub struct App {
    /// The meta-schema this document follows: `/schemas/app.schema.json`.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Stable id: lower-case letters, digits and `-`, 2–63 characters, e.g. `nuoche-e-zhan`.
    pub id: String,
    /// Semantic version `MAJOR.MINOR.PATCH`.
    pub version: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Catalog category, e.g. `events-complaints`, `vehicles-parking`, `people`.
    pub category: String,
    /// An emoji or icon name shown in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default)]
    pub access: Access,
    pub record: Record,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// Messages the builder writes, which `notify` steps name by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<crate::message::MessageDef>,
    /// Registers (台账): lists of rows that outlive cases, kept per community.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<crate::register::Register>,
}

/// Who may do what with the app as a whole.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Access {
    #[serde(default)]
    pub submit: SubmitAccess,
    /// Staff roles that may see the app's cases (within the units where they hold the role).
    /// Empty: every staff role that reads cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub view: Vec<String>,
    /// Staff roles with a need to know: they see personal fields (phone, ID number, address,
    /// a face) in clear; everyone else sees them masked. Default: `grid_worker`,
    /// `community_admin`, `department_handler`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<Vec<String>>,
}

impl Access {
    /// The roles that see personal fields in clear.
    pub fn need_to_know(&self) -> Vec<String> {
        self.personal.clone().unwrap_or_else(|| {
            ["grid_worker", "community_admin", "department_handler"].iter().map(|s| s.to_string()).collect()
        })
    }
}

/// Who may submit the intake form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmitAccess {
    /// Anyone, without logging in.
    #[default]
    Public,
    /// Logged-in residents.
    Resident,
    /// Staff only.
    Staff,
}

/// The record: its fields and the cross-field rules it must satisfy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Record {
    pub fields: Vec<Field>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// A cross-field rule: `check` must be true, else `message` is shown at `field`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    /// rhai condition over `record`.
    pub check: String,
    pub message: Text,
    /// The field the message belongs to; the form as a whole when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl App {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The message with this id.
    pub fn message(&self, id: &str) -> Option<&crate::message::MessageDef> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// The register with this id.
    pub fn register(&self, id: &str) -> Option<&crate::register::Register> {
        self.registers.iter().find(|r| r.id == id)
    }
}
