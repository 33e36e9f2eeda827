//! Residents' homes and the owners' register: the community, building and room a resident
//! says they live in (declared on `/my/home`), and the community staff's confirmation that
//! they are an owner there. A declared home lets a resident comment on their community's
//! spending proposals; a confirmed one lets them vote. Declaring another home clears the
//! confirmation.
//!
//! One implementation serves both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Result;
use super::sql::Sql;
use super::sql_store::SqlStore;

/// Where a resident lives, as they declared it, and whether staff confirmed them as an owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Home {
    pub resident_id: String,
    pub community_id: String,
    /// e.g. `3号楼`; shown with the resident's comments.
    pub building: String,
    /// e.g. `1201`; never shown publicly.
    pub room: String,
    pub declared_at: DateTime<Utc>,
    /// Who confirmed the resident as an owner (a staff id), when confirmed.
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl Home {
    /// A confirmed owner in `community`.
    pub fn owner_in(&self, community: &str) -> bool {
        self.community_id == community && self.confirmed_at.is_some()
    }
}

/// The storage of homes. Every method is one transaction.
#[async_trait]
pub trait HomeStore: Send + Sync {
    async fn home(&self, resident_id: &str) -> Result<Option<Home>>;
    /// Declares (or re-declares) a resident's home; the confirmation stays only when the
    /// community, building and room are unchanged.
    async fn declare_home(&self, home: &Home) -> Result<()>;
    /// Confirms the resident as an owner in `community_id`; false when their declared home is
    /// not there.
    async fn confirm_home(&self, resident_id: &str, community_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool>;
    /// The homes declared in a community with each resident's phone number, by building and
    /// room.
    async fn homes_in(&self, community_id: &str) -> Result<Vec<(Home, String)>>;
}

#[async_trait]
impl HomeStore for SqlStore {
    async fn home(&self, resident_id: &str) -> Result<Option<Home>> {
        Ok(self
            .db
            .optional(
                Sql::new(
                    "SELECT resident_id, community_id, building, room, declared_at, confirmed_by, confirmed_at \
                     FROM resident_homes WHERE resident_id = ?",
                )
                .bind(resident_id),
            )
            .await?)
    }

    async fn declare_home(&self, h: &Home) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO resident_homes (resident_id, community_id, building, room, declared_at) \
                     VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (resident_id) DO UPDATE SET \
                       confirmed_by = CASE WHEN resident_homes.community_id = excluded.community_id \
                         AND resident_homes.building = excluded.building AND resident_homes.room = excluded.room \
                         THEN resident_homes.confirmed_by ELSE NULL END, \
                       confirmed_at = CASE WHEN resident_homes.community_id = excluded.community_id \
                         AND resident_homes.building = excluded.building AND resident_homes.room = excluded.room \
                         THEN resident_homes.confirmed_at ELSE NULL END, \
                       community_id = excluded.community_id, building = excluded.building, room = excluded.room, \
                       declared_at = excluded.declared_at",
                )
                .bind(&h.resident_id)
                .bind(&h.community_id)
                .bind(&h.building)
                .bind(&h.room)
                .bind(h.declared_at),
            )
            .await?;
        Ok(())
    }

    async fn confirm_home(&self, resident_id: &str, community_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = self
            .db
            .execute(
                Sql::new(
                    "UPDATE resident_homes SET confirmed_by = ?, confirmed_at = ? \
                     WHERE resident_id = ? AND community_id = ?",
                )
                .bind(by)
                .bind(at)
                .bind(resident_id)
                .bind(community_id),
            )
            .await?;
        Ok(done == 1)
    }

    async fn homes_in(&self, community_id: &str) -> Result<Vec<(Home, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            home: Home,
            phone: String,
        }
        let rows: Vec<Row> = self
            .db
            .all(
                Sql::new(
                    "SELECT h.resident_id, h.community_id, h.building, h.room, h.declared_at, h.confirmed_by, \
                     h.confirmed_at, r.phone FROM resident_homes h JOIN residents r ON r.id = h.resident_id \
                     WHERE h.community_id = ? ORDER BY h.building, h.room, h.resident_id",
                )
                .bind(community_id),
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.home, r.phone)).collect())
    }
}
