//! The district catalog's storage: submitted app versions, each with the case that reviews
//! it, and installs (forks of a published version into a community).
//!
//! A submission's status is read from its review case (a case of the `catalog-review` app,
//! [`baida_engine::catalog::review`]), never stored twice: closed with `decision` = `approve` is
//! published, closed otherwise is rejected, anything else awaits review. Submissions reviewed
//! before reviews were cases keep their stored status and `catalog_events` timeline.
//!
//! One implementation serves both backends: [`super::catalog_sql`].

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
    /// The case that reviews it (the submission's own id); `None` for a submission reviewed
    /// before reviews were cases.
    pub review_case_id: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct SubmissionRow {
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
    review_case_id: Option<String>,
    /// The review case, when there is one (`LEFT JOIN cases`).
    case_status: Option<String>,
    case_record: Option<Json<Value>>,
    case_closed_at: Option<DateTime<Utc>>,
    /// Who completed the review step last.
    case_reviewer: Option<String>,
}

impl From<SubmissionRow> for Submission {
    fn from(r: SubmissionRow) -> Self {
        let mut s = Submission {
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
            review_case_id: r.review_case_id.clone(),
        };
        if r.review_case_id.is_some() {
            let record = r.case_record.map(|j| j.0).unwrap_or(Value::Null);
            let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty());
            let closed = r.case_status.as_deref() == Some("closed");
            s.status = match (closed, text("decision")) {
                (true, Some("approve")) => SubmissionStatus::Approved,
                (true, _) => SubmissionStatus::Rejected,
                (false, _) => SubmissionStatus::Submitted,
            };
            s.reviewed_at = r.case_closed_at.filter(|_| closed);
            s.reviewed_by = r.case_reviewer.filter(|_| closed);
            s.review_comment = text("comment").filter(|_| closed).map(str::to_string);
        }
        s
    }
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
    /// Stores a submission (its review case is opened next, with the same id); a version
    /// submitted before is a conflict.
    async fn create_submission(&self, submission: &Submission) -> Result<()>;
    async fn submission(&self, id: &str) -> Result<Option<Submission>>;
    /// Submissions with `status` (any when `None`) whose origin is one of `units` (any when
    /// `None`), newest first.
    async fn submissions(&self, status: Option<SubmissionStatus>, units: Option<&[String]>) -> Result<Vec<Submission>>;
    /// Submissions awaiting review whose review case does not exist (opening it was
    /// interrupted, or they predate review cases).
    async fn submissions_without_case(&self) -> Result<Vec<Submission>>;
    /// Records that `id` is reviewed by the case with the same id.
    async fn set_review_case(&self, id: &str) -> Result<()>;
    /// The timeline of a submission reviewed before reviews were cases.
    async fn submission_events(&self, id: &str) -> Result<Vec<Event>>;

    /// Records a fork; a community that has the source already is a conflict.
    async fn create_install(&self, install: &Install) -> Result<()>;
    async fn install(&self, app_id: &str) -> Result<Option<Install>>;
    /// Installs of `source` (any when `None`) into one of `units` (any when `None`).
    async fn installs(&self, source: Option<&str>, units: Option<&[String]>) -> Result<Vec<Install>>;
    async fn install_upgraded(&self, app_id: &str, source_version: &str, at: DateTime<Utc>) -> Result<()>;
}
