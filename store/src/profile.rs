//! Residents' and households' profiles (一次录入，多方共享): values keyed by data-dictionary
//! field, the resident's consent to share them between apps, and the log of every read. A
//! household is the home residents declare (`/my/home`): everyone registered there shares its
//! values. One portable SQL
//! implementation for both backends, [`super::profile_sql`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Result;

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
