//! Plugins: WebAssembly modules stored by the SHA-256 of their bytes, and the names and
//! versions they were uploaded under. Which apps use a plugin is read from the app
//! definitions themselves (`http::plugins`), not stored twice.
//!
//! One implementation serves both backends: the `plugin_store!` macro below, portable SQL with
//! `?` placeholders renumbered to `$n` for PostgreSQL (as [`super::people_sql`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use super::Result;

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
pub(crate) struct PluginVersionRow {
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

/// Implements [`PluginStore`] for a store type; `$sql` adapts the placeholders.
macro_rules! plugin_store {
    ($store:ty, $sql:path) => {
        #[async_trait::async_trait]
        impl $crate::plugins::PluginStore for $store {
            async fn put_plugin(
                &self,
                v: &$crate::plugins::PluginVersion,
                wasm: &[u8],
            ) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql(
                    "INSERT INTO plugin_modules (sha256, wasm, size, created_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (sha256) DO NOTHING",
                ))
                .bind(&v.sha256)
                .bind(wasm)
                .bind(v.size)
                .bind(v.uploaded_at)
                .execute(&mut *tx)
                .await?;
                let bound: Option<(String,)> =
                    sqlx::query_as($sql("SELECT sha256 FROM plugin_versions WHERE name = ? AND version = ?"))
                        .bind(&v.name)
                        .bind(&v.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                match bound {
                    Some((sha,)) if sha == v.sha256 => return Ok(false),
                    Some(_) => {
                        return Err($crate::Error::Conflict(format!(
                            "{}@{} is already uploaded with other content; give the new module a new version",
                            v.name, v.version
                        )));
                    }
                    None => {}
                }
                sqlx::query($sql(
                    "INSERT INTO plugin_versions (name, version, sha256, capabilities, uploaded_by, uploaded_at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                ))
                .bind(&v.name)
                .bind(&v.version)
                .bind(&v.sha256)
                .bind(sqlx::types::Json(&v.capabilities))
                .bind(&v.uploaded_by)
                .bind(v.uploaded_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::conflict_on_unique(e, || format!("{}@{} was uploaded meanwhile", v.name, v.version))
                })?;
                tx.commit().await?;
                Ok(true)
            }

            async fn plugins(&self) -> $crate::Result<Vec<$crate::plugins::PluginVersion>> {
                let rows: Vec<$crate::plugins::PluginVersionRow> = sqlx::query_as(
                    "SELECT v.name, v.version, v.sha256, m.size, v.capabilities, v.uploaded_by, v.uploaded_at \
                     FROM plugin_versions v JOIN plugin_modules m ON m.sha256 = v.sha256 ORDER BY v.name, v.uploaded_at, v.version",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn plugin_version(
                &self,
                name: &str,
                version: &str,
            ) -> $crate::Result<Option<$crate::plugins::PluginVersion>> {
                let row: Option<$crate::plugins::PluginVersionRow> = sqlx::query_as($sql(
                    "SELECT v.name, v.version, v.sha256, m.size, v.capabilities, v.uploaded_by, v.uploaded_at \
                     FROM plugin_versions v JOIN plugin_modules m ON m.sha256 = v.sha256 WHERE v.name = ? AND v.version = ?",
                ))
                .bind(name)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn plugin_versions_of(
                &self,
                sha256: &str,
            ) -> $crate::Result<Vec<$crate::plugins::PluginVersion>> {
                let rows: Vec<$crate::plugins::PluginVersionRow> = sqlx::query_as($sql(
                    "SELECT v.name, v.version, v.sha256, m.size, v.capabilities, v.uploaded_by, v.uploaded_at \
                     FROM plugin_versions v JOIN plugin_modules m ON m.sha256 = v.sha256 WHERE v.sha256 = ? ORDER BY v.name, v.version",
                ))
                .bind(sha256)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn plugin_wasm(&self, sha256: &str) -> $crate::Result<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as($sql("SELECT wasm FROM plugin_modules WHERE sha256 = ?"))
                    .bind(sha256)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(w,)| w))
            }
        }
    };
}

pub(crate) use plugin_store;
