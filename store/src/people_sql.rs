//! [`PeopleStore`](super::people::PeopleStore) for both backends from one body of portable SQL:
//! the `people_store!` macro expands it for each store type, with `?` placeholders renumbered
//! to `$n` for PostgreSQL and the backend's own "is in this JSON array" expression.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// `?` placeholders renumbered to `$1, $2, …` (PostgreSQL), computed once per statement.
pub(crate) fn pg(sql: &'static str) -> &'static str {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(sql).or_insert_with(|| {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        Box::leak(out.into_boxed_str())
    })
}

/// SQL as written, for SQLite.
pub(crate) fn lite(sql: &'static str) -> &'static str {
    sql
}

/// A placeholder list `(?, ?, …)` is not portable through [`pg`] with a variable length, so
/// lists of units are passed as one JSON array and unpacked by each backend's JSON function.
pub(crate) fn units_json(units: &[String]) -> String {
    serde_json::to_string(units).unwrap_or_else(|_| "[]".into())
}

/// Implements [`PeopleStore`] for a store type; `$sql` adapts the placeholders and `$in_units`
/// is the backend's "column is in this JSON array" expression with one `?`.
macro_rules! people_store {
    ($store:ty, $sql:path, $in_units:literal) => {
        #[async_trait::async_trait]
        impl $crate::people::PeopleStore for $store {
            async fn create_user(&self, n: &$crate::people::NewUser) -> $crate::Result<$crate::people::User> {
                sqlx::query($sql(
                    "INSERT INTO users (id, username, phone, name, unit_id, password_hash, failed_logins, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                ))
                .bind(&n.id)
                .bind(&n.username)
                .bind(&n.phone)
                .bind(&n.name)
                .bind(&n.unit_id)
                .bind(&n.password_hash)
                .bind(n.at)
                .bind(n.at)
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::conflict_on_unique(e, || format!("the username “{}” or the phone number is taken", n.username)))?;
                Ok($crate::people::User {
                    id: n.id.clone(),
                    username: n.username.clone(),
                    phone: n.phone.clone(),
                    name: n.name.clone(),
                    unit_id: n.unit_id.clone(),
                    failed_logins: 0,
                    locked_until: None,
                    disabled_at: None,
                    created_at: n.at,
                    updated_at: n.at,
                })
            }

            async fn user(&self, id: &str) -> $crate::Result<Option<$crate::people::User>> {
                Ok(sqlx::query_as($sql(concat!("SELECT ", $crate::people_sql::user_columns!(), " FROM users WHERE id = ?")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn credentials(&self, login: &str) -> $crate::Result<Option<$crate::people::Credentials>> {
                let row: Option<(String,)> = sqlx::query_as($sql("SELECT id FROM users WHERE username = ? OR phone = ? ORDER BY username = ? DESC LIMIT 1"))
                    .bind(login)
                    .bind(login)
                    .bind(login)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some((id,)) = row else { return Ok(None) };
                let user: Option<$crate::people::User> = self.user(&id).await?;
                let hash: Option<(String,)> = sqlx::query_as($sql("SELECT password_hash FROM users WHERE id = ?"))
                    .bind(&id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(user.zip(hash).map(|(user, (password_hash,))| $crate::people::Credentials { user, password_hash }))
            }

            async fn users_in(&self, units: &[String]) -> $crate::Result<Vec<$crate::people::User>> {
                Ok(sqlx::query_as($sql(concat!("SELECT ", $crate::people_sql::user_columns!(), " FROM users WHERE unit_id ", $in_units, " ORDER BY username")))
                    .bind($crate::people_sql::units_json(units))
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn update_user(&self, u: &$crate::people::User) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE users SET phone = ?, name = ?, unit_id = ?, disabled_at = ?, failed_logins = ?, locked_until = ?, updated_at = ? WHERE id = ?"))
                    .bind(&u.phone)
                    .bind(&u.name)
                    .bind(&u.unit_id)
                    .bind(u.disabled_at)
                    .bind(u.failed_logins)
                    .bind(u.locked_until)
                    .bind(u.updated_at)
                    .bind(&u.id)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::conflict_on_unique(e, || "the phone number belongs to another account".to_string()))?;
                if u.disabled_at.is_some() {
                    sqlx::query($sql("DELETE FROM sessions WHERE user_id = ?")).bind(&u.id).execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn set_password(&self, user_id: &str, hash: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?"))
                    .bind(hash)
                    .bind(at)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query($sql("DELETE FROM sessions WHERE user_id = ?")).bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn login_taken(&self, login: &str, except: Option<&str>) -> $crate::Result<bool> {
                let (n,): (i64,) = sqlx::query_as($sql("SELECT COUNT(*) FROM users WHERE (username = ? OR phone = ?) AND id <> ?"))
                    .bind(login)
                    .bind(login)
                    .bind(except.unwrap_or(""))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n > 0)
            }

            async fn count_login_attempt(
                &self,
                user_id: &str,
                now: chrono::DateTime<chrono::Utc>,
                lock_after: i64,
                lock_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<(i64, Option<chrono::DateTime<chrono::Utc>>)>> {
                Ok(sqlx::query_as($sql(
                    "UPDATE users SET failed_logins = failed_logins + 1, \
                     locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END \
                     WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) \
                     RETURNING failed_logins, locked_until",
                ))
                .bind(lock_after)
                .bind(lock_until)
                .bind(user_id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn login_succeeded(&self, user_id: &str) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?"))
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn grants(&self, user_id: &str) -> $crate::Result<Vec<$crate::people::Grant>> {
                Ok(sqlx::query_as($sql("SELECT user_id, role, unit_id, granted_at, granted_by FROM role_grants WHERE user_id = ? ORDER BY unit_id, role"))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn grant(&self, g: &$crate::people::Grant) -> $crate::Result<()> {
                sqlx::query($sql("INSERT INTO role_grants (user_id, role, unit_id, granted_at, granted_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"))
                    .bind(&g.user_id)
                    .bind(&g.role)
                    .bind(&g.unit_id)
                    .bind(g.granted_at)
                    .bind(&g.granted_by)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke(&self, user_id: &str, role: &str, unit_id: &str) -> $crate::Result<bool> {
                let done = sqlx::query($sql("DELETE FROM role_grants WHERE user_id = ? AND role = ? AND unit_id = ?"))
                    .bind(user_id)
                    .bind(role)
                    .bind(unit_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn create_session(&self, id_hash: &str, s: &$crate::people::Session) -> $crate::Result<()> {
                sqlx::query($sql("INSERT INTO sessions (id_hash, user_id, resident_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"))
                    .bind(id_hash)
                    .bind(&s.user_id)
                    .bind(&s.resident_id)
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(&self, id_hash: &str) -> $crate::Result<Option<$crate::people::Session>> {
                Ok(sqlx::query_as($sql("SELECT user_id, resident_id, created_at, expires_at FROM sessions WHERE id_hash = ?"))
                    .bind(id_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::Result<()> {
                sqlx::query($sql("DELETE FROM sessions WHERE id_hash = ?")).bind(id_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn delete_sessions_of(&self, user_id: &str) -> $crate::Result<()> {
                sqlx::query($sql("DELETE FROM sessions WHERE user_id = ?")).bind(user_id).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_token(&self, t: &$crate::people::ApiToken, hash: &str) -> $crate::Result<()> {
                sqlx::query($sql("INSERT INTO api_tokens (id, name, token_hash, unit_id, permissions, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"))
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(hash)
                    .bind(&t.unit_id)
                    .bind(sqlx::types::Json(&t.permissions))
                    .bind(&t.created_by)
                    .bind(t.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn token_by_hash(&self, hash: &str) -> $crate::Result<Option<$crate::people::ApiToken>> {
                let row: Option<$crate::people::ApiTokenRow> = sqlx::query_as($sql(concat!("SELECT ", $crate::people_sql::token_columns!(), " FROM api_tokens WHERE token_hash = ?")))
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn token(&self, id: &str) -> $crate::Result<Option<$crate::people::ApiToken>> {
                let row: Option<$crate::people::ApiTokenRow> = sqlx::query_as($sql(concat!("SELECT ", $crate::people_sql::token_columns!(), " FROM api_tokens WHERE id = ?")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn tokens_in(&self, units: &[String]) -> $crate::Result<Vec<$crate::people::ApiToken>> {
                let rows: Vec<$crate::people::ApiTokenRow> = sqlx::query_as($sql(concat!("SELECT ", $crate::people_sql::token_columns!(), " FROM api_tokens WHERE unit_id ", $in_units, " ORDER BY created_at DESC")))
                    .bind($crate::people_sql::units_json(units))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn token_used(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")).bind(at).bind(id).execute(&self.pool).await?;
                Ok(())
            }

            async fn revoke_token(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                sqlx::query($sql("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")).bind(at).bind(id).execute(&self.pool).await?;
                Ok(())
            }

            async fn resident(&self, phone: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<$crate::people::Resident> {
                sqlx::query($sql("INSERT INTO residents (id, phone, created_at) VALUES (?, ?, ?) ON CONFLICT (phone) DO NOTHING"))
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(phone)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_as($sql("SELECT id, phone, created_at FROM residents WHERE phone = ?"))
                    .bind(phone)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn resident_by_id(&self, id: &str) -> $crate::Result<Option<$crate::people::Resident>> {
                Ok(sqlx::query_as($sql("SELECT id, phone, created_at FROM residents WHERE id = ?"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_login_code(&self, c: &$crate::people::LoginCode, o: &$crate::OutboxItem) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($sql("INSERT INTO login_codes (id, phone, code_hash, client, created_at, expires_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)"))
                    .bind(&c.id)
                    .bind(&c.phone)
                    .bind(&c.code_hash)
                    .bind(&c.client)
                    .bind(c.created_at)
                    .bind(c.expires_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query($sql("INSERT INTO outbox (id, case_id, channel, recipient, template, data, state, attempts, next_attempt_at, created_at) \
                     VALUES (?, NULL, ?, ?, ?, ?, 'pending', 0, ?, ?)"))
                    .bind(&o.id)
                    .bind(&o.channel)
                    .bind(&o.recipient)
                    .bind(&o.template)
                    .bind(sqlx::types::Json(&o.data))
                    .bind(o.next_attempt_at)
                    .bind(o.created_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn login_codes_since(&self, phone: &str, client: &str, since: chrono::DateTime<chrono::Utc>) -> $crate::Result<(i64, i64)> {
                let (by_phone,): (i64,) = sqlx::query_as($sql("SELECT COUNT(*) FROM login_codes WHERE phone = ? AND created_at >= ?"))
                    .bind(phone)
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await?;
                let (by_client,): (i64,) = sqlx::query_as($sql("SELECT COUNT(*) FROM login_codes WHERE client = ? AND created_at >= ?"))
                    .bind(client)
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await?;
                Ok((by_phone, by_client))
            }

            async fn live_login_code(&self, phone: &str, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<Option<$crate::people::LoginCode>> {
                Ok(sqlx::query_as($sql("SELECT id, phone, code_hash, client, created_at, expires_at, attempts, used_at FROM login_codes \
                     WHERE phone = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1"))
                    .bind(phone)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn claim_login_code_try(&self, id: &str, tries: i64, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<bool> {
                let done = sqlx::query($sql(
                    "UPDATE login_codes SET attempts = attempts + 1 WHERE id = ? AND attempts < ? AND used_at IS NULL AND expires_at > ?",
                ))
                .bind(id)
                .bind(tries)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn use_login_code(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<bool> {
                let done = sqlx::query($sql("UPDATE login_codes SET used_at = ? WHERE id = ? AND used_at IS NULL"))
                    .bind(at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_security_event(&self, e: &$crate::people::SecurityEvent) -> $crate::Result<()> {
                sqlx::query($sql("INSERT INTO security_events (at, kind, actor, unit_id, subject, client, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"))
                    .bind(e.at)
                    .bind(&e.kind)
                    .bind(&e.actor)
                    .bind(&e.unit_id)
                    .bind(&e.subject)
                    .bind(&e.client)
                    .bind(sqlx::types::Json(&e.detail))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn security_events(&self, units: &[String], include_unscoped: bool, before: Option<i64>, limit: i64) -> $crate::Result<Vec<$crate::people::SecurityEvent>> {
                let rows: Vec<$crate::people::SecurityEventRow> = sqlx::query_as($sql(concat!(
                    "SELECT seq, at, kind, actor, unit_id, subject, client, detail FROM security_events \
                     WHERE (unit_id ", $in_units, " OR (? AND unit_id IS NULL)) AND seq < ? ORDER BY seq DESC LIMIT ?")))
                    .bind($crate::people_sql::units_json(units))
                    .bind(include_unscoped)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

macro_rules! user_columns {
    () => {
        "id, username, phone, name, unit_id, failed_logins, locked_until, disabled_at, created_at, updated_at"
    };
}

macro_rules! token_columns {
    () => {
        "id, name, unit_id, permissions, created_by, created_at, last_used_at, revoked_at"
    };
}

pub(crate) use {people_store, token_columns, user_columns};

#[cfg(test)]
mod tests {
    use super::pg;

    #[test]
    fn placeholders_are_renumbered_for_postgres() {
        assert_eq!(pg("SELECT a FROM t WHERE b = ? AND c = ?"), "SELECT a FROM t WHERE b = $1 AND c = $2");
        // Cached: the same text gives the same string.
        assert!(std::ptr::eq(pg("SELECT ?"), pg("SELECT ?")));
    }
}
