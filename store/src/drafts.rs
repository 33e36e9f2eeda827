//! Drafts: the designer's working copy of an app, autosaved with every change and published
//! as a new app version when the builder says so; and the list of archived apps.
//!
//! A draft carries a revision that grows with every save. A save names the revision it was
//! made from, so when two people (or two tabs) edit the same app, the second save is refused
//! as a conflict instead of silently overwriting the first.
//!
//! One implementation serves both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::rows::AppVersionRow;
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{Error, Result};

/// The working copy of an app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub app_id: String,
    pub owner_id: String,
    /// As the designer left it; not necessarily valid.
    pub definition: Value,
    /// 1 for the first save, then one more with each.
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    app_id: String,
    owner_id: String,
    definition: Json<Value>,
    revision: i64,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

impl From<DraftRow> for Draft {
    fn from(r: DraftRow) -> Self {
        Draft {
            app_id: r.app_id,
            owner_id: r.owner_id,
            definition: r.definition.0,
            revision: r.revision,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

/// The storage of drafts and archived apps. Every method is one transaction.
#[async_trait]
pub trait DraftStore: Send + Sync {
    /// Saves the draft of `draft.app_id` if its stored revision is `draft.revision - 1` (no
    /// draft at all for revision 1); else [`super::Error::Conflict`] and nothing changes.
    async fn put_draft(&self, draft: &Draft) -> Result<()>;
    async fn draft(&self, app_id: &str) -> Result<Option<Draft>>;
    /// Every draft, newest change first.
    async fn drafts(&self) -> Result<Vec<Draft>>;
    /// Removes the draft at `revision` (after it was published); a newer revision stays.
    async fn delete_draft(&self, app_id: &str, revision: i64) -> Result<()>;
    /// Archives an app (`Some(when, who)`) or brings it back (`None`).
    async fn set_archived(&self, app_id: &str, archived: Option<(DateTime<Utc>, &str)>) -> Result<()>;
    /// The ids of archived apps.
    async fn archived_apps(&self) -> Result<Vec<String>>;
    async fn is_archived(&self, app_id: &str) -> Result<bool>;
    /// Every published version of an app, oldest first.
    async fn app_history(&self, app_id: &str) -> Result<Vec<super::AppVersion>>;
}

#[async_trait]
impl DraftStore for SqlStore {
    async fn put_draft(&self, d: &Draft) -> Result<()> {
        let sql = if d.revision == 1 {
            Sql::new(
                "INSERT INTO app_drafts (app_id, owner_id, definition, revision, updated_at, updated_by) \
                 VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (app_id) DO NOTHING",
            )
            .bind(&d.app_id)
            .bind(&d.owner_id)
            .bind(Json(&d.definition))
            .bind(d.updated_at)
            .bind(&d.updated_by)
        } else {
            Sql::new(
                "UPDATE app_drafts SET definition = ?, revision = ?, updated_at = ?, updated_by = ? \
                 WHERE app_id = ? AND revision = ?",
            )
            .bind(Json(&d.definition))
            .bind(d.revision)
            .bind(d.updated_at)
            .bind(&d.updated_by)
            .bind(&d.app_id)
            .bind(d.revision - 1)
        };
        if self.db.execute(sql).await? == 1 {
            Ok(())
        } else {
            Err(Error::Conflict(format!(
                "the draft of {} was saved meanwhile (now past revision {}); reload it",
                d.app_id,
                d.revision - 1
            )))
        }
    }

    async fn draft(&self, app_id: &str) -> Result<Option<Draft>> {
        let row: Option<DraftRow> = self
            .db
            .optional(
                Sql::new(
                    "SELECT app_id, owner_id, definition, revision, updated_at, updated_by FROM app_drafts \
                     WHERE app_id = ?",
                )
                .bind(app_id),
            )
            .await?;
        Ok(row.map(Into::into))
    }

    async fn drafts(&self) -> Result<Vec<Draft>> {
        let rows: Vec<DraftRow> = self
            .db
            .all(Sql::new(
                "SELECT app_id, owner_id, definition, revision, updated_at, updated_by FROM app_drafts \
                 ORDER BY updated_at DESC, app_id",
            ))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_draft(&self, app_id: &str, revision: i64) -> Result<()> {
        self.db
            .execute(Sql::new("DELETE FROM app_drafts WHERE app_id = ? AND revision = ?").bind(app_id).bind(revision))
            .await?;
        Ok(())
    }

    async fn set_archived(&self, app_id: &str, archived: Option<(DateTime<Utc>, &str)>) -> Result<()> {
        let sql = match archived {
            Some((at, by)) => Sql::new(
                "INSERT INTO app_archive (app_id, archived_at, archived_by) VALUES (?, ?, ?) \
                 ON CONFLICT (app_id) DO NOTHING",
            )
            .bind(app_id)
            .bind(at)
            .bind(by),
            None => Sql::new("DELETE FROM app_archive WHERE app_id = ?").bind(app_id),
        };
        self.db.execute(sql).await?;
        Ok(())
    }

    async fn archived_apps(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self.db.all(Sql::new("SELECT app_id FROM app_archive ORDER BY app_id")).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn is_archived(&self, app_id: &str) -> Result<bool> {
        let row: Option<(String,)> =
            self.db.optional(Sql::new("SELECT app_id FROM app_archive WHERE app_id = ?").bind(app_id)).await?;
        Ok(row.is_some())
    }

    async fn app_history(&self, app_id: &str) -> Result<Vec<super::AppVersion>> {
        let rows: Vec<AppVersionRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT v.app_id, a.owner_id, v.version, v.seq, v.definition, v.digest, v.created_at, v.created_by \
                     FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE v.app_id = ? ORDER BY v.seq",
                )
                .bind(app_id),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
