//! Registers (台账): named lists of rows that outlive cases — parking spaces, volunteers,
//! elderly residents to visit, assets. An app defines them next to its record; each row is
//! kept by a community, identified there by its key field, and changed by the app's
//! `register` steps, by staff on the register page and by imports (see `docs/registers.md`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Field, Text};

/// A register of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Register {
    /// Unique within the app: lower case, digits and `_`, e.g. `volunteers`.
    pub id: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// The field whose value identifies a row within a community, e.g. `phone` or `space_no`.
    pub key: String,
    /// The columns: ordinary fields (every type but repeat groups inside groups, sections and
    /// computed fields), dictionary references, sensitivity and masking as in the record.
    pub fields: Vec<Field>,
    #[serde(default)]
    pub access: RegisterAccess,
}

/// Which staff roles may do what with a register's rows, within the units where they hold the
/// role. An omitted list takes its default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RegisterAccess {
    /// Read rows (default: `grid_worker`, `community_admin`, `street_admin`, `district_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
    /// Add rows on the register page (default: `grid_worker`, `community_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<Vec<String>>,
    /// Change and remove rows on the register page (default: `grid_worker`, `community_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Vec<String>>,
    /// Import rows from CSV or XLSX (default: `community_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Vec<String>>,
    /// Export rows to CSV or XLSX (default: `community_admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<Vec<String>>,
}

/// The things one may do with a register's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAccess {
    Read,
    Create,
    Update,
    Import,
    Export,
}

impl RowAccess {
    pub const ALL: [RowAccess; 5] =
        [RowAccess::Read, RowAccess::Create, RowAccess::Update, RowAccess::Import, RowAccess::Export];

    pub fn as_str(self) -> &'static str {
        match self {
            RowAccess::Read => "read",
            RowAccess::Create => "create",
            RowAccess::Update => "update",
            RowAccess::Import => "import",
            RowAccess::Export => "export",
        }
    }
}

impl RegisterAccess {
    /// The roles that may do `what`: those written, else the default.
    pub fn roles(&self, what: RowAccess) -> Vec<String> {
        let (written, default): (&Option<Vec<String>>, &[&str]) = match what {
            RowAccess::Read => (&self.read, &["grid_worker", "community_admin", "street_admin", "district_admin"]),
            RowAccess::Create => (&self.create, &["grid_worker", "community_admin"]),
            RowAccess::Update => (&self.update, &["grid_worker", "community_admin"]),
            RowAccess::Import => (&self.import, &["community_admin"]),
            RowAccess::Export => (&self.export, &["community_admin"]),
        };
        written.clone().unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    }

    /// The list as written, for pointers in problems.
    pub fn written(&self, what: RowAccess) -> Option<&Vec<String>> {
        match what {
            RowAccess::Read => self.read.as_ref(),
            RowAccess::Create => self.create.as_ref(),
            RowAccess::Update => self.update.as_ref(),
            RowAccess::Import => self.import.as_ref(),
            RowAccess::Export => self.export.as_ref(),
        }
    }
}

/// The staff roles a register's access may name (the runtime's fixed roles).
pub const STAFF_ROLES: &[&str] =
    &["grid_worker", "community_admin", "street_admin", "district_admin", "department_handler", "app_builder"];
