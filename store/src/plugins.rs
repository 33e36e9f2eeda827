//! Plugins: WebAssembly modules stored by the SHA-256 of their bytes, and the names and
//! versions they were uploaded under. Which apps use a plugin is read from the app
//! definitions themselves (`http::plugins`), not stored twice.
//!
//! One implementation serves both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{Error, Result, conflict_on_unique};

/// A name and version bound to a module.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PluginVersion {
    pub name: String,
    pub version: String,
    /// The SHA-256 of the module's bytes, lower-case hex.
    pub sha256: String,
    pub size: i64,
    /// The capabilities its imports need (`log` is always available, `clock` must be granted).
    pub capabilities: Vec<String>,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PluginVersionRow {
    name: String,
    version: String,
    sha256: String,
    size: i64,
    capabilities: Json<Vec<String>>,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
}

impl From<PluginVersionRow> for PluginVersion {
    fn from(r: PluginVersionRow) -> Self {
        PluginVersion {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            capabilities: r.capabilities.0,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        }
    }
}

/// The storage of plugins. Every method is one transaction.
#[async_trait]
pub trait PluginStore: Send + Sync {
    /// Stores `wasm` (once per SHA-256) and binds `version.name`@`version.version` to it.
    /// Uploading the same bytes under the same name and version again changes nothing and
    /// answers false; a name and version bound to other bytes is a [`super::Error::Conflict`].
    async fn put_plugin(&self, version: &PluginVersion, wasm: &[u8]) -> Result<bool>;
    /// Every name and version, by name then upload time.
    async fn plugins(&self) -> Result<Vec<PluginVersion>>;
    async fn plugin_version(&self, name: &str, version: &str) -> Result<Option<PluginVersion>>;
    /// The names and versions bound to a module.
    async fn plugin_versions_of(&self, sha256: &str) -> Result<Vec<PluginVersion>>;
    /// A module's bytes.
    async fn plugin_wasm(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
}

const VERSION_SELECT: &str = "SELECT v.name, v.version, v.sha256, m.size, v.capabilities, v.uploaded_by, v.uploaded_at \
     FROM plugin_versions v JOIN plugin_modules m ON m.sha256 = v.sha256";

#[async_trait]
impl PluginStore for SqlStore {
    async fn put_plugin(&self, v: &PluginVersion, wasm: &[u8]) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            Sql::new(
                "INSERT INTO plugin_modules (sha256, wasm, size, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&v.sha256)
            .bind(wasm)
            .bind(v.size)
            .bind(v.uploaded_at),
        )
        .await?;
        let bound: Option<(String,)> = tx
            .optional(
                Sql::new("SELECT sha256 FROM plugin_versions WHERE name = ? AND version = ?")
                    .bind(&v.name)
                    .bind(&v.version),
            )
            .await?;
        match bound {
            Some((sha,)) if sha == v.sha256 => return Ok(false),
            Some(_) => {
                return Err(Error::Conflict(format!(
                    "{}@{} is already uploaded with other content; give the new module a new version",
                    v.name, v.version
                )));
            }
            None => {}
        }
        tx.execute(
            Sql::new(
                "INSERT INTO plugin_versions (name, version, sha256, capabilities, uploaded_by, uploaded_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&v.name)
            .bind(&v.version)
            .bind(&v.sha256)
            .bind(Json(&v.capabilities))
            .bind(&v.uploaded_by)
            .bind(v.uploaded_at),
        )
        .await
        .map_err(|e| conflict_on_unique(e, || format!("{}@{} was uploaded meanwhile", v.name, v.version)))?;
        tx.commit().await?;
        Ok(true)
    }

    async fn plugins(&self) -> Result<Vec<PluginVersion>> {
        let rows: Vec<PluginVersionRow> =
            self.db.all(Sql::new(VERSION_SELECT).push(" ORDER BY v.name, v.uploaded_at, v.version")).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn plugin_version(&self, name: &str, version: &str) -> Result<Option<PluginVersion>> {
        let row: Option<PluginVersionRow> = self
            .db
            .optional(Sql::new(VERSION_SELECT).push(" WHERE v.name = ? AND v.version = ?").bind(name).bind(version))
            .await?;
        Ok(row.map(Into::into))
    }

    async fn plugin_versions_of(&self, sha256: &str) -> Result<Vec<PluginVersion>> {
        let rows: Vec<PluginVersionRow> = self
            .db
            .all(Sql::new(VERSION_SELECT).push(" WHERE v.sha256 = ? ORDER BY v.name, v.version").bind(sha256))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn plugin_wasm(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> =
            self.db.optional(Sql::new("SELECT wasm FROM plugin_modules WHERE sha256 = ?").bind(sha256)).await?;
        Ok(row.map(|(w,)| w))
    }
}
