//! Row shapes of the `Store` operations, shared by both backends (sqlx decodes JSON from TEXT
//! and from JSONB alike).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{AppSummary, AppVersion, Case, Event, OrgUnit, Photo};
use baida_core::kinds::{CaseStatus, Escalation, EventKind, UnitKind};

#[derive(sqlx::FromRow)]
pub struct OrgUnitRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: UnitKind,
    pub parent_id: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<OrgUnitRow> for OrgUnit {
    fn from(r: OrgUnitRow) -> Self {
        OrgUnit {
            id: r.id,
            kind: r.kind,
            parent_id: r.parent_id,
            name_zh: r.name_zh,
            name_en: r.name_en,
            retired_at: r.retired_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AppVersionRow {
    pub app_id: String,
    pub owner_id: String,
    pub version: String,
    pub seq: i64,
    pub definition: Json<Value>,
    pub digest: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl From<AppVersionRow> for AppVersion {
    fn from(r: AppVersionRow) -> Self {
        AppVersion {
            app_id: r.app_id,
            owner_id: r.owner_id,
            version: r.version,
            seq: r.seq,
            definition: r.definition.0,
            digest: r.digest,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AppSummaryRow {
    pub app_id: String,
    pub owner_id: String,
    pub latest_version: String,
    pub versions: i64,
    pub definition: Json<Value>,
    pub updated_at: DateTime<Utc>,
}

impl From<AppSummaryRow> for AppSummary {
    fn from(r: AppSummaryRow) -> Self {
        let d = r.definition.0;
        AppSummary {
            app_id: r.app_id,
            owner_id: r.owner_id,
            latest_version: r.latest_version,
            versions: r.versions,
            name: d.get("name").cloned().unwrap_or_default(),
            category: d.get("category").and_then(Value::as_str).unwrap_or_default().to_string(),
            icon: d.get("icon").and_then(Value::as_str).unwrap_or_default().to_string(),
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct PhotoRow {
    pub sha256: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

impl From<PhotoRow> for Photo {
    fn from(r: PhotoRow) -> Self {
        Photo {
            sha256: r.sha256,
            content_type: r.content_type,
            width: r.width,
            height: r.height,
            bytes: r.bytes,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct CaseRow {
    pub seq: i64,
    pub id: String,
    pub number: String,
    pub app_id: String,
    pub app_version: String,
    pub community_id: String,
    #[sqlx(try_from = "String")]
    pub status: CaseStatus,
    pub current_step: Option<String>,
    pub record: Json<Value>,
    pub tracking_hash: String,
    pub event_count: i64,
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub assignee: Option<String>,
    pub step_entered_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Option<String>")]
    pub escalation: StoredEscalation,
    pub closed_at: Option<DateTime<Utc>>,
    pub grid_id: Option<String>,
    pub resident_id: Option<String>,
}

/// A case row's escalation column: empty, or a known level.
pub struct StoredEscalation(pub Option<Escalation>);

impl TryFrom<Option<String>> for StoredEscalation {
    type Error = baida_core::kinds::UnknownWord;
    fn try_from(word: Option<String>) -> Result<Self, Self::Error> {
        word.map(Escalation::try_from).transpose().map(StoredEscalation)
    }
}

impl From<CaseRow> for Case {
    fn from(r: CaseRow) -> Self {
        Case {
            seq: r.seq,
            id: r.id,
            number: r.number,
            app_id: r.app_id,
            app_version: r.app_version,
            community_id: r.community_id,
            status: r.status,
            current_step: r.current_step,
            record: r.record.0,
            tracking_hash: r.tracking_hash,
            event_count: r.event_count,
            head_hash: r.head_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            assignee: r.assignee,
            step_entered_at: r.step_entered_at,
            escalation: r.escalation.0,
            closed_at: r.closed_at,
            grid_id: r.grid_id,
            resident_id: r.resident_id,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub case_id: String,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub kind: EventKind,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub data: Json<Value>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            case_id: r.case_id,
            seq: r.seq,
            kind: r.kind,
            actor: r.actor,
            at: r.at,
            data: r.data.0,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}
