//! [`ProfileStore`](super::profile::ProfileStore) for both backends from one body of portable
//! SQL, as [`super::people_sql`] does: `?` placeholders renumbered for PostgreSQL.

/// Implements `ProfileStore` for a store type; `$sql` adapts the placeholders.
macro_rules! profile_store {
    ($store:ty, $sql:path) => {
        #[async_trait::async_trait]
        impl $crate::profile::ProfileStore for $store {
            async fn consent(&self, resident_id: &str) -> $crate::Result<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as($sql("SELECT level FROM resident_consents WHERE resident_id = ?"))
                    .bind(resident_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.0))
            }

            async fn set_consent(
                &self,
                resident_id: &str,
                level: &str,
                assisted: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query($sql(
                    "INSERT INTO resident_consents (resident_id, level, assisted, updated_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (resident_id) DO UPDATE SET level = excluded.level, assisted = excluded.assisted, \
                     updated_at = excluded.updated_at",
                ))
                .bind(resident_id)
                .bind(level)
                .bind(assisted)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn assisted_consent(&self, resident_id: &str) -> $crate::Result<bool> {
                let row: Option<(bool,)> =
                    sqlx::query_as($sql("SELECT assisted FROM resident_consents WHERE resident_id = ?"))
                        .bind(resident_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.is_some_and(|r| r.0))
            }

            async fn profile(&self, resident_id: &str) -> $crate::Result<Vec<$crate::profile::ProfileValue>> {
                let rows: Vec<(String, sqlx::types::Json<serde_json::Value>, String, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as($sql(
                        "SELECT dict_key, value, app_id, updated_at FROM resident_profiles WHERE resident_id = ? ORDER BY dict_key",
                    ))
                    .bind(resident_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(dict_key, value, app_id, updated_at)| $crate::profile::ProfileValue { dict_key, value: value.0, app_id, updated_at, entered_by: None })
                    .collect())
            }

            async fn remember(
                &self,
                resident_id: &str,
                values: &[(String, serde_json::Value)],
                app_id: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                for (key, value) in values {
                    sqlx::query($sql(
                        "INSERT INTO resident_profiles (resident_id, dict_key, value, app_id, updated_at) VALUES (?, ?, ?, ?, ?) \
                         ON CONFLICT (resident_id, dict_key) DO UPDATE SET value = excluded.value, app_id = excluded.app_id, \
                         updated_at = excluded.updated_at",
                    ))
                    .bind(resident_id)
                    .bind(key)
                    .bind(sqlx::types::Json(value))
                    .bind(app_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn forget_profile(&self, resident_id: &str) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql("DELETE FROM resident_profiles WHERE resident_id = ?")).bind(resident_id).execute(&mut *tx).await?;
                sqlx::query($sql("DELETE FROM household_profiles WHERE entered_by = ?")).bind(resident_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn household_profile(
                &self,
                h: &$crate::profile::Household,
            ) -> $crate::Result<Vec<$crate::profile::ProfileValue>> {
                let rows: Vec<(String, sqlx::types::Json<serde_json::Value>, String, chrono::DateTime<chrono::Utc>, String)> =
                    sqlx::query_as($sql(
                        "SELECT dict_key, value, app_id, updated_at, entered_by FROM household_profiles \
                         WHERE community_id = ? AND building = ? AND room = ? ORDER BY dict_key",
                    ))
                    .bind(&h.community_id)
                    .bind(&h.building)
                    .bind(&h.room)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(dict_key, value, app_id, updated_at, by)| $crate::profile::ProfileValue {
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
                h: &$crate::profile::Household,
                values: &[(String, serde_json::Value)],
                app_id: &str,
                resident_id: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                for (key, value) in values {
                    sqlx::query($sql(
                        "INSERT INTO household_profiles (community_id, building, room, dict_key, value, app_id, entered_by, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (community_id, building, room, dict_key) DO UPDATE SET value = excluded.value, \
                         app_id = excluded.app_id, entered_by = excluded.entered_by, updated_at = excluded.updated_at",
                    ))
                    .bind(&h.community_id)
                    .bind(&h.building)
                    .bind(&h.room)
                    .bind(key)
                    .bind(sqlx::types::Json(value))
                    .bind(app_id)
                    .bind(resident_id)
                    .bind(at)
                    .execute(&mut *tx)
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
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                for key in keys {
                    sqlx::query($sql("INSERT INTO profile_reads (resident_id, dict_key, app_id, reader, at) VALUES (?, ?, ?, ?, ?)"))
                        .bind(resident_id)
                        .bind(key)
                        .bind(app_id)
                        .bind(reader)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn profile_reads(&self, resident_id: &str, limit: i64) -> $crate::Result<Vec<$crate::profile::ProfileRead>> {
                Ok(sqlx::query_as($sql(
                    "SELECT dict_key, app_id, reader, at FROM profile_reads WHERE resident_id = ? ORDER BY seq DESC LIMIT ?",
                ))
                .bind(resident_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use profile_store;
