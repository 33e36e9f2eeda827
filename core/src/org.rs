//! The organisation tree's unit, as stored.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::kinds::UnitKind;

/// A unit of the organisation tree: district → street → community → grid, or a department.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUnit {
    pub id: String,
    pub kind: UnitKind,
    pub parent_id: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// When the unit was retired: it keeps its history but receives nothing new.
    pub retired_at: Option<DateTime<Utc>>,
}
