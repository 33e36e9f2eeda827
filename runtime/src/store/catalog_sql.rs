//! [`CatalogStore`](super::catalog::CatalogStore) for both backends from one body of portable
//! SQL, as [`super::people_sql`] does for people: `?` placeholders renumbered for PostgreSQL,
//! lists of units passed as one JSON array.

macro_rules! submission_columns {
    () => {
        "id, app_id, version, origin_id, definition, name, description, category, scenario, changelog, screenshots, \
         status, submitted_by, submitted_at, reviewed_by, reviewed_at, review_comment, event_count, head_hash"
    };
}
pub(crate) use submission_columns;

/// Implements [`CatalogStore`](super::catalog::CatalogStore) for a store type; the arguments
/// are those of `people_store!`.
macro_rules! catalog_store {
    ($store:ty, $sql:path, $in_units:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::catalog::CatalogStore for $store {
            async fn create_submission(
                &self,
                s: &$crate::store::catalog::Submission,
                e: &$crate::store::Event,
            ) -> $crate::store::Result<()> {
                use sqlx::types::Json;
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql(concat!(
                    "INSERT INTO catalog_submissions (",
                    $crate::store::catalog_sql::submission_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                .bind(s.event_count)
                .bind(&s.head_hash)
                .execute(&mut *tx)
                .await
                .map_err(|err| {
                    $crate::store::conflict_on_unique(err, || {
                        format!("version {} of “{}” was submitted to the catalog before", s.version, s.app_id)
                    })
                })?;
                insert_catalog_event(&mut tx, e).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn submission(&self, id: &str) -> $crate::store::Result<Option<$crate::store::catalog::Submission>> {
                let row: Option<$crate::store::catalog::SubmissionRow> = sqlx::query_as($sql(concat!(
                    "SELECT ",
                    $crate::store::catalog_sql::submission_columns!(),
                    " FROM catalog_submissions WHERE id = ?"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn submissions(
                &self,
                status: Option<$crate::store::catalog::SubmissionStatus>,
                units: Option<&[String]>,
            ) -> $crate::store::Result<Vec<$crate::store::catalog::Submission>> {
                let status = status.map_or("", |s| s.as_str());
                let rows: Vec<$crate::store::catalog::SubmissionRow> = sqlx::query_as($sql(concat!(
                    "SELECT ",
                    $crate::store::catalog_sql::submission_columns!(),
                    " FROM catalog_submissions WHERE (? = '' OR status = ?) AND (? OR origin_id ",
                    $in_units,
                    ") ORDER BY submitted_at DESC, id DESC"
                )))
                .bind(status)
                .bind(status)
                .bind(units.is_none())
                .bind($crate::store::people_sql::units_json(units.unwrap_or_default()))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn review_submission(&self, r: &$crate::store::catalog::Review) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query($sql(
                    "UPDATE catalog_submissions SET status = ?, reviewed_by = ?, reviewed_at = ?, review_comment = ?, \
                     event_count = ?, head_hash = ? WHERE id = ? AND status = 'submitted' AND event_count = ?",
                ))
                .bind(r.status.as_str())
                .bind(&r.by)
                .bind(r.at)
                .bind(&r.comment)
                .bind(r.event.seq)
                .bind(&r.event.hash)
                .bind(&r.submission_id)
                .bind(r.event.seq - 1)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done != 1 {
                    return Ok(false);
                }
                insert_catalog_event(&mut tx, &r.event).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn submission_events(&self, id: &str) -> $crate::store::Result<Vec<$crate::store::Event>> {
                let rows: Vec<$crate::store::rows::EventRow> = sqlx::query_as($sql(
                    "SELECT submission_id AS case_id, seq, kind, actor, at, data, prev_hash, hash FROM catalog_events \
                     WHERE submission_id = ? ORDER BY seq",
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn create_install(&self, i: &$crate::store::catalog::Install) -> $crate::store::Result<()> {
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
                    $crate::store::conflict_on_unique(err, || {
                        format!("“{}” is installed in {} already", i.source_app_id, i.community_id)
                    })
                })?;
                Ok(())
            }

            async fn install(&self, app_id: &str) -> $crate::store::Result<Option<$crate::store::catalog::Install>> {
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
            ) -> $crate::store::Result<Vec<$crate::store::catalog::Install>> {
                Ok(sqlx::query_as($sql(concat!(
                    "SELECT app_id, community_id, source_app_id, source_version, installed_at, installed_by, upgraded_at \
                     FROM catalog_installs WHERE (? = '' OR source_app_id = ?) AND (? OR community_id ",
                    $in_units,
                    ") ORDER BY installed_at, app_id"
                )))
                .bind(source.unwrap_or_default())
                .bind(source.unwrap_or_default())
                .bind(units.is_none())
                .bind($crate::store::people_sql::units_json(units.unwrap_or_default()))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn install_upgraded(
                &self,
                app_id: &str,
                source_version: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::Result<()> {
                sqlx::query($sql("UPDATE catalog_installs SET source_version = ?, upgraded_at = ? WHERE app_id = ?"))
                    .bind(source_version)
                    .bind(at)
                    .bind(app_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        async fn insert_catalog_event(
            tx: &mut sqlx::Transaction<'_, <$store as $crate::store::catalog_sql::HasDb>::Db>,
            e: &$crate::store::Event,
        ) -> $crate::store::Result<()> {
            sqlx::query($sql(
                "INSERT INTO catalog_events (submission_id, seq, kind, actor, at, data, prev_hash, hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ))
            .bind(&e.case_id)
            .bind(e.seq)
            .bind(&e.kind)
            .bind(&e.actor)
            .bind(e.at)
            .bind(sqlx::types::Json(&e.data))
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
    };
}
pub(crate) use catalog_store;

/// The sqlx database of a store type, for the transaction type of shared helpers.
pub(crate) trait HasDb {
    type Db: sqlx::Database;
}

impl HasDb for super::sqlite::SqliteStore {
    type Db = sqlx::Sqlite;
}

impl HasDb for super::postgres::PgStore {
    type Db = sqlx::Postgres;
}
