//! The district catalog's storage: submitted app versions with their review status and
//! hash-chained review events, and installs (forks of a published version into a community).
//!
//! One implementation serves both backends: [`super::catalog_sql`], portable SQL like
//! [`super::people_sql`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::{Event, Result};

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Submitted,
    Approved,
    Rejected,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::Approved => "approved",
            SubmissionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionStatus> {
        [SubmissionStatus::Submitted, SubmissionStatus::Approved, SubmissionStatus::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An app version submitted to the catalog: a frozen copy of its definition with what the
/// catalog shows about it. Approved ones are published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub id: String,
    /// The catalog entry: the id of the app as its origin built it.
    pub app_id: String,
    pub version: String,
    /// The unit (usually a community) the app comes from.
    pub origin_id: String,
    pub definition: Value,
    /// The app's name, `{"zh-CN": …, "en": …}`.
    pub name: Value,
    pub description: Value,
    pub category: String,
    pub scenario: Option<String>,
    pub changelog: Value,
    /// SHA-256 names of uploaded photos.
    pub screenshots: Vec<String>,
    pub status: SubmissionStatus,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_comment: Option<String>,
    pub event_count: i64,
    pub head_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SubmissionRow {
    id: String,
    app_id: String,
    version: String,
    origin_id: String,
    definition: Json<Value>,
    name: Json<Value>,
    description: Json<Value>,
    category: String,
    scenario: Option<String>,
    changelog: Json<Value>,
    screenshots: Json<Vec<String>>,
    status: String,
    submitted_by: String,
    submitted_at: DateTime<Utc>,
    reviewed_by: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    review_comment: Option<String>,
    event_count: i64,
    head_hash: String,
}

impl From<SubmissionRow> for Submission {
    fn from(r: SubmissionRow) -> Self {
        Submission {
            id: r.id,
            app_id: r.app_id,
            version: r.version,
            origin_id: r.origin_id,
            definition: r.definition.0,
            name: r.name.0,
            description: r.description.0,
            category: r.category,
            scenario: r.scenario,
            changelog: r.changelog.0,
            screenshots: r.screenshots.0,
            status: SubmissionStatus::parse(&r.status).unwrap_or(SubmissionStatus::Submitted),
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            review_comment: r.review_comment,
            event_count: r.event_count,
            head_hash: r.head_hash,
        }
    }
}

/// A review decision to record: the new status, the comment and the event that says so.
#[derive(Debug, Clone)]
pub struct Review {
    pub submission_id: String,
    pub status: SubmissionStatus,
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
    pub event: Event,
}

/// A community's copy of a published app: an app of its own that remembers where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Install {
    /// The fork's app id.
    pub app_id: String,
    pub community_id: String,
    pub source_app_id: String,
    /// The published version the fork was installed from or last upgraded to.
    pub source_version: String,
    pub installed_at: DateTime<Utc>,
    pub installed_by: String,
    pub upgraded_at: Option<DateTime<Utc>>,
}

/// The storage of the catalog. Every method is one transaction.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Stores a submission with its first event; a version submitted before is a conflict.
    async fn create_submission(&self, submission: &Submission, event: &Event) -> Result<()>;
    async fn submission(&self, id: &str) -> Result<Option<Submission>>;
    /// Submissions with `status` (any when `None`) whose origin is one of `units` (any when
    /// `None`), newest first.
    async fn submissions(&self, status: Option<SubmissionStatus>, units: Option<&[String]>) -> Result<Vec<Submission>>;
    /// Records a decision on a submission still awaiting review, with its event; false when it
    /// was reviewed already (or its event log moved on).
    async fn review_submission(&self, review: &Review) -> Result<bool>;
    async fn submission_events(&self, id: &str) -> Result<Vec<Event>>;

    /// Records a fork; a community that has the source already is a conflict.
    async fn create_install(&self, install: &Install) -> Result<()>;
    async fn install(&self, app_id: &str) -> Result<Option<Install>>;
    /// Installs of `source` (any when `None`) into one of `units` (any when `None`).
    async fn installs(&self, source: Option<&str>, units: Option<&[String]>) -> Result<Vec<Install>>;
    async fn install_upgraded(&self, app_id: &str, source_version: &str, at: DateTime<Utc>) -> Result<()>;
}
