//! [`PeopleStore`] for both backends, over [`super::db`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::people::{
    ApiToken, ApiTokenRow, Credentials, Grant, LoginCode, NewUser, PeopleStore, Resident, SecurityEvent,
    SecurityEventRow, Session, User,
};
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{OutboxItem, Result, conflict_on_unique};

const USER_COLUMNS: &str =
    "id, username, phone, name, unit_id, failed_logins, locked_until, disabled_at, created_at, updated_at";
const TOKEN_COLUMNS: &str = "id, name, unit_id, permissions, created_by, created_at, last_used_at, revoked_at";

#[async_trait]
impl PeopleStore for SqlStore {
    async fn create_user(&self, n: &NewUser) -> Result<User> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO users (id, username, phone, name, unit_id, password_hash, failed_logins, created_at, \
                     updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                )
                .bind(&n.id)
                .bind(&n.username)
                .bind(&n.phone)
                .bind(&n.name)
                .bind(&n.unit_id)
                .bind(&n.password_hash)
                .bind(n.at)
                .bind(n.at),
            )
            .await
            .map_err(|e| {
                conflict_on_unique(e, || format!("the username “{}” or the phone number is taken", n.username))
            })?;
        Ok(User {
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

    async fn user(&self, id: &str) -> Result<Option<User>> {
        Ok(self.db.optional(Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?")).bind(id)).await?)
    }

    async fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        let row: Option<(String,)> = self
            .db
            .optional(
                Sql::new("SELECT id FROM users WHERE username = ? OR phone = ? ORDER BY username = ? DESC LIMIT 1")
                    .bind(login)
                    .bind(login)
                    .bind(login),
            )
            .await?;
        let Some((id,)) = row else { return Ok(None) };
        let user = self.user(&id).await?;
        let hash: Option<(String,)> =
            self.db.optional(Sql::new("SELECT password_hash FROM users WHERE id = ?").bind(&id)).await?;
        Ok(user.zip(hash).map(|(user, (password_hash,))| Credentials { user, password_hash }))
    }

    async fn users_in(&self, units: &[String]) -> Result<Vec<User>> {
        Ok(self
            .db
            .all(
                Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE unit_id IN ? ORDER BY username"))
                    .bind_list(units),
            )
            .await?)
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "UPDATE users SET phone = ?, name = ?, unit_id = ?, disabled_at = ?, failed_logins = ?, \
                     locked_until = ?, updated_at = ? WHERE id = ?",
                )
                .bind(&u.phone)
                .bind(&u.name)
                .bind(&u.unit_id)
                .bind(u.disabled_at)
                .bind(u.failed_logins)
                .bind(u.locked_until)
                .bind(u.updated_at)
                .bind(&u.id),
            )
            .await
            .map_err(|e| conflict_on_unique(e, || "the phone number belongs to another account".to_string()))?;
        if u.disabled_at.is_some() {
            self.db.execute(Sql::new("DELETE FROM sessions WHERE user_id = ?").bind(&u.id)).await?;
        }
        Ok(())
    }

    async fn set_password(&self, user_id: &str, hash: &str, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            Sql::new(
                "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? \
                 WHERE id = ?",
            )
            .bind(hash)
            .bind(at)
            .bind(user_id),
        )
        .await?;
        tx.execute(Sql::new("DELETE FROM sessions WHERE user_id = ?").bind(user_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_taken(&self, login: &str, except: Option<&str>) -> Result<bool> {
        let (n,): (i64,) = self
            .db
            .one(
                Sql::new("SELECT COUNT(*) FROM users WHERE (username = ? OR phone = ?) AND id <> ?")
                    .bind(login)
                    .bind(login)
                    .bind(except.unwrap_or("")),
            )
            .await?;
        Ok(n > 0)
    }

    async fn count_login_attempt(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        lock_after: i64,
        lock_until: DateTime<Utc>,
    ) -> Result<Option<(i64, Option<DateTime<Utc>>)>> {
        Ok(self
            .db
            .optional(
                Sql::new(
                    "UPDATE users SET failed_logins = failed_logins + 1, \
                     locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END \
                     WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) \
                     RETURNING failed_logins, locked_until",
                )
                .bind(lock_after)
                .bind(lock_until)
                .bind(user_id)
                .bind(now),
            )
            .await?)
    }

    async fn login_succeeded(&self, user_id: &str) -> Result<()> {
        self.db
            .execute(Sql::new("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?").bind(user_id))
            .await?;
        Ok(())
    }

    async fn grants(&self, user_id: &str) -> Result<Vec<Grant>> {
        Ok(self
            .db
            .all(
                Sql::new(
                    "SELECT user_id, role, unit_id, granted_at, granted_by FROM role_grants WHERE user_id = ? \
                     ORDER BY unit_id, role",
                )
                .bind(user_id),
            )
            .await?)
    }

    async fn grant(&self, g: &Grant) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO role_grants (user_id, role, unit_id, granted_at, granted_by) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&g.user_id)
                .bind(&g.role)
                .bind(&g.unit_id)
                .bind(g.granted_at)
                .bind(&g.granted_by),
            )
            .await?;
        Ok(())
    }

    async fn revoke(&self, user_id: &str, role: &str, unit_id: &str) -> Result<bool> {
        let done = self
            .db
            .execute(
                Sql::new("DELETE FROM role_grants WHERE user_id = ? AND role = ? AND unit_id = ?")
                    .bind(user_id)
                    .bind(role)
                    .bind(unit_id),
            )
            .await?;
        Ok(done > 0)
    }

    async fn create_session(&self, id_hash: &str, s: &Session) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO sessions (id_hash, user_id, resident_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(id_hash)
                .bind(&s.user_id)
                .bind(&s.resident_id)
                .bind(s.created_at)
                .bind(s.expires_at),
            )
            .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        Ok(self
            .db
            .optional(
                Sql::new("SELECT user_id, resident_id, created_at, expires_at FROM sessions WHERE id_hash = ?")
                    .bind(id_hash),
            )
            .await?)
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.db.execute(Sql::new("DELETE FROM sessions WHERE id_hash = ?").bind(id_hash)).await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user_id: &str) -> Result<()> {
        self.db.execute(Sql::new("DELETE FROM sessions WHERE user_id = ?").bind(user_id)).await?;
        Ok(())
    }

    async fn create_token(&self, t: &ApiToken, hash: &str) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO api_tokens (id, name, token_hash, unit_id, permissions, created_by, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&t.id)
                .bind(&t.name)
                .bind(hash)
                .bind(&t.unit_id)
                .bind(Json(&t.permissions))
                .bind(&t.created_by)
                .bind(t.created_at),
            )
            .await?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let row: Option<ApiTokenRow> = self
            .db
            .optional(Sql::new(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?")).bind(hash))
            .await?;
        Ok(row.map(Into::into))
    }

    async fn token(&self, id: &str) -> Result<Option<ApiToken>> {
        let row: Option<ApiTokenRow> =
            self.db.optional(Sql::new(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?")).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    async fn tokens_in(&self, units: &[String]) -> Result<Vec<ApiToken>> {
        let rows: Vec<ApiTokenRow> = self
            .db
            .all(
                Sql::new(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE unit_id IN ? ORDER BY created_at DESC"))
                    .bind_list(units),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn token_used(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.db.execute(Sql::new("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").bind(at).bind(id)).await?;
        Ok(())
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                Sql::new("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").bind(at).bind(id),
            )
            .await?;
        Ok(())
    }

    async fn resident(&self, phone: &str, at: DateTime<Utc>) -> Result<Resident> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO residents (id, phone, created_at) VALUES (?, ?, ?) ON CONFLICT (phone) DO NOTHING",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(phone)
                .bind(at),
            )
            .await?;
        Ok(self.db.one(Sql::new("SELECT id, phone, created_at FROM residents WHERE phone = ?").bind(phone)).await?)
    }

    async fn resident_by_id(&self, id: &str) -> Result<Option<Resident>> {
        Ok(self.db.optional(Sql::new("SELECT id, phone, created_at FROM residents WHERE id = ?").bind(id)).await?)
    }

    async fn create_login_code(&self, c: &LoginCode, o: &OutboxItem) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            Sql::new(
                "INSERT INTO login_codes (id, phone, code_hash, client, created_at, expires_at, attempts) \
                 VALUES (?, ?, ?, ?, ?, ?, 0)",
            )
            .bind(&c.id)
            .bind(&c.phone)
            .bind(&c.code_hash)
            .bind(&c.client)
            .bind(c.created_at)
            .bind(c.expires_at),
        )
        .await?;
        tx.execute(
            Sql::new(
                "INSERT INTO outbox (id, case_id, channel, recipient, template, data, state, attempts, \
                 next_attempt_at, created_at) VALUES (?, NULL, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            )
            .bind(&o.id)
            .bind(&o.channel)
            .bind(&o.recipient)
            .bind(&o.template)
            .bind(Json(&o.data))
            .bind(o.next_attempt_at)
            .bind(o.created_at),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_codes_since(&self, phone: &str, client: &str, since: DateTime<Utc>) -> Result<(i64, i64)> {
        let (by_phone,): (i64,) = self
            .db
            .one(
                Sql::new("SELECT COUNT(*) FROM login_codes WHERE phone = ? AND created_at >= ?")
                    .bind(phone)
                    .bind(since),
            )
            .await?;
        let (by_client,): (i64,) = self
            .db
            .one(
                Sql::new("SELECT COUNT(*) FROM login_codes WHERE client = ? AND created_at >= ?")
                    .bind(client)
                    .bind(since),
            )
            .await?;
        Ok((by_phone, by_client))
    }

    async fn live_login_code(&self, phone: &str, now: DateTime<Utc>) -> Result<Option<LoginCode>> {
        Ok(self
            .db
            .optional(
                Sql::new(
                    "SELECT id, phone, code_hash, client, created_at, expires_at, attempts, used_at FROM login_codes \
                     WHERE phone = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
                )
                .bind(phone)
                .bind(now),
            )
            .await?)
    }

    async fn claim_login_code_try(&self, id: &str, tries: i64, now: DateTime<Utc>) -> Result<bool> {
        let done = self
            .db
            .execute(
                Sql::new(
                    "UPDATE login_codes SET attempts = attempts + 1 \
                     WHERE id = ? AND attempts < ? AND used_at IS NULL AND expires_at > ?",
                )
                .bind(id)
                .bind(tries)
                .bind(now),
            )
            .await?;
        Ok(done == 1)
    }

    async fn use_login_code(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = self
            .db
            .execute(Sql::new("UPDATE login_codes SET used_at = ? WHERE id = ? AND used_at IS NULL").bind(at).bind(id))
            .await?;
        Ok(done == 1)
    }

    async fn record_security_event(&self, e: &SecurityEvent) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO security_events (at, kind, actor, unit_id, subject, client, detail) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(e.at)
                .bind(&e.kind)
                .bind(&e.actor)
                .bind(&e.unit_id)
                .bind(&e.subject)
                .bind(&e.client)
                .bind(Json(&e.detail)),
            )
            .await?;
        Ok(())
    }

    async fn security_events(
        &self,
        units: &[String],
        include_unscoped: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SecurityEvent>> {
        let rows: Vec<SecurityEventRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT seq, at, kind, actor, unit_id, subject, client, detail FROM security_events \
                     WHERE (unit_id IN ? OR (? AND unit_id IS NULL)) AND seq < ? ORDER BY seq DESC LIMIT ?",
                )
                .bind_list(units)
                .bind(include_unscoped)
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
