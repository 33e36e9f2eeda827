//! [`CatalogStore`] for both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::catalog::{CatalogStore, Install, Submission, SubmissionRow, SubmissionStatus};
use super::photo_uses::{PhotoUse, PhotoUseStore};
use super::rows::EventRow;
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{Event, Result, conflict_on_unique};

const SUBMISSION_COLUMNS: &str = "id, app_id, version, origin_id, definition, name, description, category, scenario, \
     changelog, screenshots, status, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, review_case_id";

/// A submission with what its review case says (status, closing time, record, reviewer).
const SUBMISSION_SELECT: &str = "SELECT s.id, s.app_id, s.version, s.origin_id, s.definition, s.name, s.description, \
     s.category, s.scenario, s.changelog, s.screenshots, s.status, s.submitted_by, s.submitted_at, s.reviewed_by, \
     s.reviewed_at, s.review_comment, s.review_case_id, c.status AS case_status, c.record AS case_record, \
     c.closed_at AS case_closed_at, \
     (SELECT e.actor FROM case_events e WHERE e.case_id = c.id AND e.kind = 'step.completed' \
      ORDER BY e.seq DESC LIMIT 1) AS case_reviewer \
     FROM catalog_submissions s LEFT JOIN cases c ON c.id = s.review_case_id";

const INSTALL_SELECT: &str = "SELECT app_id, community_id, source_app_id, source_version, installed_at, installed_by, \
     upgraded_at FROM catalog_installs";

#[async_trait]
impl CatalogStore for SqlStore {
    async fn create_submission(&self, s: &Submission) -> Result<()> {
        // `event_count` and `head_hash` belong to the timelines of reviews from before
        // reviews were cases; a submission's timeline is now its review case's.
        self.db
            .execute(
                Sql::new(format!(
                    "INSERT INTO catalog_submissions ({SUBMISSION_COLUMNS}, event_count, head_hash) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')"
                ))
                .bind(&s.id)
                .bind(&s.app_id)
                .bind(&s.version)
                .bind(&s.origin_id)
                .bind(Json(&s.definition))
                .bind(Json(&s.name))
                .bind(Json(&s.description))
                .bind(&s.category)
                .bind(&s.scenario)
                .bind(Json(&s.changelog))
                .bind(Json(&s.screenshots))
                .bind(s.status.as_str())
                .bind(&s.submitted_by)
                .bind(s.submitted_at)
                .bind(&s.reviewed_by)
                .bind(s.reviewed_at)
                .bind(&s.review_comment)
                .bind(&s.review_case_id),
            )
            .await
            .map_err(|err| {
                conflict_on_unique(err, || {
                    format!("version {} of “{}” was submitted to the catalog before", s.version, s.app_id)
                })
            })?;
        // Screenshots are shown on the catalog's pages: public.
        for sha in &s.screenshots {
            self.add_photo_use(sha, &PhotoUse::Public, s.submitted_at).await?;
        }
        Ok(())
    }

    async fn submission(&self, id: &str) -> Result<Option<Submission>> {
        let row: Option<SubmissionRow> =
            self.db.optional(Sql::new(SUBMISSION_SELECT).push(" WHERE s.id = ?").bind(id)).await?;
        Ok(row.map(Into::into))
    }

    async fn submissions(&self, status: Option<SubmissionStatus>, units: Option<&[String]>) -> Result<Vec<Submission>> {
        let rows: Vec<SubmissionRow> = self
            .db
            .all(
                Sql::new(SUBMISSION_SELECT)
                    .push(" WHERE (? OR s.origin_id IN ?) ORDER BY s.submitted_at DESC, s.id DESC")
                    .bind(units.is_none())
                    .bind_list(units.unwrap_or_default()),
            )
            .await?;
        // The status is the review case's, so it is filtered here rather than in SQL.
        Ok(rows.into_iter().map(Submission::from).filter(|s| status.is_none_or(|wanted| s.status == wanted)).collect())
    }

    async fn submissions_without_case(&self) -> Result<Vec<Submission>> {
        let rows: Vec<SubmissionRow> = self
            .db
            .all(Sql::new(SUBMISSION_SELECT).push(
                " WHERE c.id IS NULL AND (s.review_case_id IS NOT NULL OR s.status = 'submitted') \
                 ORDER BY s.submitted_at, s.id",
            ))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn set_review_case(&self, id: &str) -> Result<()> {
        self.db.execute(Sql::new("UPDATE catalog_submissions SET review_case_id = id WHERE id = ?").bind(id)).await?;
        Ok(())
    }

    async fn submission_events(&self, id: &str) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT submission_id AS case_id, seq, kind, actor, at, data, prev_hash, hash FROM catalog_events \
                     WHERE submission_id = ? ORDER BY seq",
                )
                .bind(id),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn create_install(&self, i: &Install) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO catalog_installs (app_id, community_id, source_app_id, source_version, installed_at, \
                     installed_by, upgraded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&i.app_id)
                .bind(&i.community_id)
                .bind(&i.source_app_id)
                .bind(&i.source_version)
                .bind(i.installed_at)
                .bind(&i.installed_by)
                .bind(i.upgraded_at),
            )
            .await
            .map_err(|err| {
                conflict_on_unique(err, || format!("“{}” is installed in {} already", i.source_app_id, i.community_id))
            })?;
        Ok(())
    }

    async fn install(&self, app_id: &str) -> Result<Option<Install>> {
        Ok(self.db.optional(Sql::new(INSTALL_SELECT).push(" WHERE app_id = ?").bind(app_id)).await?)
    }

    async fn installs(&self, source: Option<&str>, units: Option<&[String]>) -> Result<Vec<Install>> {
        Ok(self
            .db
            .all(
                Sql::new(INSTALL_SELECT)
                    .push(
                        " WHERE (? = '' OR source_app_id = ?) AND (? OR community_id IN ?) \
                         ORDER BY installed_at, app_id",
                    )
                    .bind(source.unwrap_or_default())
                    .bind(source.unwrap_or_default())
                    .bind(units.is_none())
                    .bind_list(units.unwrap_or_default()),
            )
            .await?)
    }

    async fn install_upgraded(&self, app_id: &str, source_version: &str, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                Sql::new("UPDATE catalog_installs SET source_version = ?, upgraded_at = ? WHERE app_id = ?")
                    .bind(source_version)
                    .bind(at)
                    .bind(app_id),
            )
            .await?;
        Ok(())
    }
}
