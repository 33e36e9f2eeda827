//! Residents' and households' profiles (一次录入，多方共享): values keyed by data-dictionary
//! field, the resident's consent to share them between apps, and the log of every read. A
//! household is the home residents declare (`/my/home`): everyone registered there shares its
//! values. One implementation for both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::Result;
use super::sql::Sql;
use super::sql_store::SqlStore;

/// One remembered value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileValue {
    /// The dictionary field, e.g. `people.phone`.
    pub dict_key: String,
    pub value: Value,
    /// The app it was last entered in.
    pub app_id: String,
    pub updated_at: DateTime<Utc>,
    /// In a household's profile, the resident whose entry it is.
    pub entered_by: Option<String>,
}

/// A household: the home its members declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    pub community_id: String,
    pub building: String,
    pub room: String,
}

impl Household {
    /// The household of a declared home (building and room compared as written, trimmed).
    pub fn of(home: &super::Home) -> Household {
        Household {
            community_id: home.community_id.clone(),
            building: home.building.trim().to_string(),
            room: home.room.trim().to_string(),
        }
    }
}

/// One read of a profile value, by an app's form.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProfileRead {
    pub dict_key: String,
    pub app_id: String,
    pub reader: String,
    pub at: DateTime<Utc>,
}

/// The storage of profiles. Every method is one transaction.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// `none`, `personal` or `sensitive`; `None` when the resident never said.
    async fn consent(&self, resident_id: &str) -> Result<Option<String>>;
    /// Sets the level, and whether staff filling in a form for the resident may read the
    /// profile (`assisted`).
    async fn set_consent(&self, resident_id: &str, level: &str, assisted: bool, at: DateTime<Utc>) -> Result<()>;
    /// Whether staff filling in a form for the resident may read their profile (false when
    /// they never said).
    async fn assisted_consent(&self, resident_id: &str) -> Result<bool>;
    async fn profile(&self, resident_id: &str) -> Result<Vec<ProfileValue>>;
    /// Stores values (dictionary key → value) entered in `app_id`, replacing older ones.
    async fn remember(
        &self,
        resident_id: &str,
        values: &[(String, Value)],
        app_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Forgets every value the resident entered, in their own profile and their household's
    /// (when consent is withdrawn).
    async fn forget_profile(&self, resident_id: &str) -> Result<()>;
    async fn household_profile(&self, household: &Household) -> Result<Vec<ProfileValue>>;
    /// Stores values entered by `resident_id` in `app_id` in their household's profile,
    /// replacing older ones (whoever entered them).
    async fn remember_household(
        &self,
        household: &Household,
        values: &[(String, Value)],
        app_id: &str,
        resident_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn record_reads(
        &self,
        resident_id: &str,
        keys: &[String],
        app_id: &str,
        reader: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The newest reads first.
    async fn profile_reads(&self, resident_id: &str, limit: i64) -> Result<Vec<ProfileRead>>;
}

#[async_trait]
impl ProfileStore for SqlStore {
    async fn consent(&self, resident_id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = self
            .db
            .optional(Sql::new("SELECT level FROM resident_consents WHERE resident_id = ?").bind(resident_id))
            .await?;
        Ok(row.map(|r| r.0))
    }

    async fn set_consent(&self, resident_id: &str, level: &str, assisted: bool, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO resident_consents (resident_id, level, assisted, updated_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (resident_id) DO UPDATE SET level = excluded.level, assisted = excluded.assisted, \
                     updated_at = excluded.updated_at",
                )
                .bind(resident_id)
                .bind(level)
                .bind(assisted)
                .bind(at),
            )
            .await?;
        Ok(())
    }

    async fn assisted_consent(&self, resident_id: &str) -> Result<bool> {
        let row: Option<(bool,)> = self
            .db
            .optional(Sql::new("SELECT assisted FROM resident_consents WHERE resident_id = ?").bind(resident_id))
            .await?;
        Ok(row.is_some_and(|r| r.0))
    }

    async fn profile(&self, resident_id: &str) -> Result<Vec<ProfileValue>> {
        let rows: Vec<(String, Json<Value>, String, DateTime<Utc>)> = self
            .db
            .all(
                Sql::new(
                    "SELECT dict_key, value, app_id, updated_at FROM resident_profiles WHERE resident_id = ? \
                     ORDER BY dict_key",
                )
                .bind(resident_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(dict_key, value, app_id, updated_at)| ProfileValue {
                dict_key,
                value: value.0,
                app_id,
                updated_at,
                entered_by: None,
            })
            .collect())
    }

    async fn remember(
        &self,
        resident_id: &str,
        values: &[(String, Value)],
        app_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (key, value) in values {
            tx.execute(
                Sql::new(
                    "INSERT INTO resident_profiles (resident_id, dict_key, value, app_id, updated_at) \
                     VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (resident_id, dict_key) DO UPDATE SET value = excluded.value, \
                     app_id = excluded.app_id, updated_at = excluded.updated_at",
                )
                .bind(resident_id)
                .bind(key)
                .bind(Json(value))
                .bind(app_id)
                .bind(at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn forget_profile(&self, resident_id: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(Sql::new("DELETE FROM resident_profiles WHERE resident_id = ?").bind(resident_id)).await?;
        tx.execute(Sql::new("DELETE FROM household_profiles WHERE entered_by = ?").bind(resident_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn household_profile(&self, h: &Household) -> Result<Vec<ProfileValue>> {
        let rows: Vec<(String, Json<Value>, String, DateTime<Utc>, String)> = self
            .db
            .all(
                Sql::new(
                    "SELECT dict_key, value, app_id, updated_at, entered_by FROM household_profiles \
                     WHERE community_id = ? AND building = ? AND room = ? ORDER BY dict_key",
                )
                .bind(&h.community_id)
                .bind(&h.building)
                .bind(&h.room),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(dict_key, value, app_id, updated_at, by)| ProfileValue {
                dict_key,
                value: value.0,
                app_id,
                updated_at,
                entered_by: Some(by),
            })
            .collect())
    }

    async fn remember_household(
        &self,
        h: &Household,
        values: &[(String, Value)],
        app_id: &str,
        resident_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (key, value) in values {
            tx.execute(
                Sql::new(
                    "INSERT INTO household_profiles \
                     (community_id, building, room, dict_key, value, app_id, entered_by, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (community_id, building, room, dict_key) DO UPDATE SET value = excluded.value, \
                     app_id = excluded.app_id, entered_by = excluded.entered_by, updated_at = excluded.updated_at",
                )
                .bind(&h.community_id)
                .bind(&h.building)
                .bind(&h.room)
                .bind(key)
                .bind(Json(value))
                .bind(app_id)
                .bind(resident_id)
                .bind(at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_reads(
        &self,
        resident_id: &str,
        keys: &[String],
        app_id: &str,
        reader: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for key in keys {
            tx.execute(
                Sql::new(
                    "INSERT INTO profile_reads (resident_id, dict_key, app_id, reader, at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(resident_id)
                .bind(key)
                .bind(app_id)
                .bind(reader)
                .bind(at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn profile_reads(&self, resident_id: &str, limit: i64) -> Result<Vec<ProfileRead>> {
        Ok(self
            .db
            .all(
                Sql::new(
                    "SELECT dict_key, app_id, reader, at FROM profile_reads WHERE resident_id = ? \
                     ORDER BY seq DESC LIMIT ?",
                )
                .bind(resident_id)
                .bind(limit),
            )
            .await?)
    }
}
