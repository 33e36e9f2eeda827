//! [`CatalogStore`](super::catalog::CatalogStore) for both backends from one body of portable
//! SQL, as [`super::people_sql`] does for people: `?` placeholders renumbered for PostgreSQL,
//! lists of units passed as one JSON array.

macro_rules! submission_columns {
    () => {
        "id, app_id, version, origin_id, definition, name, description, category, scenario, changelog, screenshots, \
         status, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, review_case_id"
    };
}
pub(crate) use submission_columns;

/// A submission with what its review case says (status, closing time, record, reviewer).
macro_rules! submission_select {
    () => {
        "SELECT s.id, s.app_id, s.version, s.origin_id, s.definition, s.name, s.description, s.category, s.scenario, \
         s.changelog, s.screenshots, s.status, s.submitted_by, s.submitted_at, s.reviewed_by, s.reviewed_at, \
         s.review_comment, s.review_case_id, c.status AS case_status, c.record AS case_record, \
         c.closed_at AS case_closed_at, \
         (SELECT e.actor FROM case_events e WHERE e.case_id = c.id AND e.kind = 'step.completed' \
          ORDER BY e.seq DESC LIMIT 1) AS case_reviewer \
         FROM catalog_submissions s LEFT JOIN cases c ON c.id = s.review_case_id"
    };
}
pub(crate) use submission_select;

/// Implements [`CatalogStore`](super::catalog::CatalogStore) for a store type; the arguments
/// are those of `people_store!`.
macro_rules! catalog_store {
    ($store:ty, $sql:path, $in_units:literal) => {
        #[async_trait::async_trait]
        impl $crate::catalog::CatalogStore for $store {
            async fn create_submission(&self, s: &$crate::catalog::Submission) -> $crate::Result<()> {
                use sqlx::types::Json;
                // `event_count` and `head_hash` belong to the timelines of reviews from before
                // reviews were cases; a submission's timeline is now its review case's.
                sqlx::query($sql(concat!(
                    "INSERT INTO catalog_submissions (",
                    $crate::catalog_sql::submission_columns!(),
                    ", event_count, head_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')"
                )))
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
                .bind(&s.review_case_id)
                .execute(&self.pool)
                .await
                .map_err(|err| {
                    $crate::conflict_on_unique(err, || {
                        format!("version {} of “{}” was submitted to the catalog before", s.version, s.app_id)
                    })
                })?;
                // Screenshots are shown on the catalog's pages: public.
                for sha in &s.screenshots {
                    $crate::photo_uses::PhotoUseStore::add_photo_use(
                        self,
                        sha,
                        &$crate::photo_uses::PhotoUse::Public,
                        s.submitted_at,
                    )
                    .await?;
                }
                Ok(())
            }

            async fn submission(&self, id: &str) -> $crate::Result<Option<$crate::catalog::Submission>> {
                let row: Option<$crate::catalog::SubmissionRow> = sqlx::query_as($sql(concat!(
                    $crate::catalog_sql::submission_select!(),
                    " WHERE s.id = ?"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn submissions(
                &self,
                status: Option<$crate::catalog::SubmissionStatus>,
                units: Option<&[String]>,
            ) -> $crate::Result<Vec<$crate::catalog::Submission>> {
                let rows: Vec<$crate::catalog::SubmissionRow> = sqlx::query_as($sql(concat!(
                    $crate::catalog_sql::submission_select!(),
                    " WHERE (? OR s.origin_id ",
                    $in_units,
                    ") ORDER BY s.submitted_at DESC, s.id DESC"
                )))
                .bind(units.is_none())
                .bind($crate::people_sql::units_json(units.unwrap_or_default()))
                .fetch_all(&self.pool)
                .await?;
                // The status is the review case's, so it is filtered here rather than in SQL.
                Ok(rows
                    .into_iter()
                    .map($crate::catalog::Submission::from)
                    .filter(|s| status.is_none_or(|wanted| s.status == wanted))
                    .collect())
            }

            async fn submissions_without_case(
                &self,
            ) -> $crate::Result<Vec<$crate::catalog::Submission>> {
                let rows: Vec<$crate::catalog::SubmissionRow> = sqlx::query_as($sql(concat!(
                    $crate::catalog_sql::submission_select!(),
                    " WHERE c.id IS NULL AND (s.review_case_id IS NOT NULL OR s.status = 'submitted') \
                     ORDER BY s.submitted_at, s.id"
                )))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn set_review_case(&self, id: &str) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE catalog_submissions SET review_case_id = id WHERE id = ?"))
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn submission_events(&self, id: &str) -> $crate::Result<Vec<$crate::Event>> {
                let rows: Vec<$crate::rows::EventRow> = sqlx::query_as($sql(
                    "SELECT submission_id AS case_id, seq, kind, actor, at, data, prev_hash, hash FROM catalog_events \
                     WHERE submission_id = ? ORDER BY seq",
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn create_install(&self, i: &$crate::catalog::Install) -> $crate::Result<()> {
                sqlx::query($sql(
                    "INSERT INTO catalog_installs (app_id, community_id, source_app_id, source_version, installed_at, \
                     installed_by, upgraded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(&i.app_id)
                .bind(&i.community_id)
                .bind(&i.source_app_id)
                .bind(&i.source_version)
                .bind(i.installed_at)
                .bind(&i.installed_by)
                .bind(i.upgraded_at)
                .execute(&self.pool)
                .await
                .map_err(|err| {
                    $crate::conflict_on_unique(err, || {
                        format!("“{}” is installed in {} already", i.source_app_id, i.community_id)
                    })
                })?;
                Ok(())
            }

            async fn install(&self, app_id: &str) -> $crate::Result<Option<$crate::catalog::Install>> {
                Ok(sqlx::query_as($sql(
                    "SELECT app_id, community_id, source_app_id, source_version, installed_at, installed_by, upgraded_at \
                     FROM catalog_installs WHERE app_id = ?",
                ))
                .bind(app_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn installs(
                &self,
                source: Option<&str>,
                units: Option<&[String]>,
            ) -> $crate::Result<Vec<$crate::catalog::Install>> {
                Ok(sqlx::query_as($sql(concat!(
                    "SELECT app_id, community_id, source_app_id, source_version, installed_at, installed_by, upgraded_at \
                     FROM catalog_installs WHERE (? = '' OR source_app_id = ?) AND (? OR community_id ",
                    $in_units,
                    ") ORDER BY installed_at, app_id"
                )))
                .bind(source.unwrap_or_default())
                .bind(source.unwrap_or_default())
                .bind(units.is_none())
                .bind($crate::people_sql::units_json(units.unwrap_or_default()))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn install_upgraded(
                &self,
                app_id: &str,
                source_version: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE catalog_installs SET source_version = ?, upgraded_at = ? WHERE app_id = ?"))
                    .bind(source_version)
                    .bind(at)
                    .bind(app_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use catalog_store;
