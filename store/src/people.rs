//! People: staff accounts and their role grants, server-side sessions, API tokens, residents
//! and their one-time log-in codes, and the security event log.
//!
//! One implementation serves both backends: [`super::people_sql`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::Result;

/// A staff account. The password hash never leaves the store except through [`Credentials`].
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub phone: Option<String>,
    pub name: String,
    /// The org unit the account belongs to: its tenant.
    pub unit_id: String,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user with their password hash, for logging in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub phone: Option<String>,
    pub name: String,
    pub unit_id: String,
    pub password_hash: String,
    pub at: DateTime<Utc>,
}

/// A role granted to a user at an org unit; it holds at that unit and every unit below it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Grant {
    pub user_id: String,
    pub role: String,
    pub unit_id: String,
    pub granted_at: DateTime<Utc>,
    pub granted_by: String,
}

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    pub user_id: Option<String>,
    pub resident_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token for an integration: scoped to an org unit and a set of permissions. Only the
/// SHA-256 of the secret is stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub unit_id: String,
    pub permissions: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: String,
    name: String,
    unit_id: String,
    permissions: Json<Vec<String>>,
    created_by: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        ApiToken {
            id: r.id,
            name: r.name,
            unit_id: r.unit_id,
            permissions: r.permissions.0,
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A resident known by their mobile number.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Resident {
    pub id: String,
    pub phone: String,
    pub created_at: DateTime<Utc>,
}

/// A one-time log-in code sent to a resident's phone (only its hash is stored).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoginCode {
    pub id: String,
    pub phone: String,
    pub code_hash: String,
    pub client: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub attempts: i64,
    pub used_at: Option<DateTime<Utc>>,
}

/// Something that matters to security: a log-in, a failed log-in, a lock-out, a denied
/// request, a role change, a token created or revoked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SecurityEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    /// Who did it: a user id, `token:<id>`, `resident:<id>`, `admin-token` or `anonymous`.
    pub actor: String,
    /// The tenant the event belongs to (the unit of the account or resource concerned).
    pub unit_id: Option<String>,
    /// What it was done to (a user id, a token id, a route).
    pub subject: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SecurityEventRow {
    seq: i64,
    at: DateTime<Utc>,
    kind: String,
    actor: String,
    unit_id: Option<String>,
    subject: Option<String>,
    client: Option<String>,
    detail: Json<Value>,
}

impl From<SecurityEventRow> for SecurityEvent {
    fn from(r: SecurityEventRow) -> Self {
        SecurityEvent {
            seq: r.seq,
            at: r.at,
            kind: r.kind,
            actor: r.actor,
            unit_id: r.unit_id,
            subject: r.subject,
            client: r.client,
            detail: r.detail.0,
        }
    }
}

/// The storage of people, sessions and tokens. Every method is one transaction.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn create_user(&self, new: &NewUser) -> Result<User>;
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// The account whose username or phone number is `login`.
    async fn credentials(&self, login: &str) -> Result<Option<Credentials>>;
    /// Accounts whose unit is one of `units`, by username.
    async fn users_in(&self, units: &[String]) -> Result<Vec<User>>;
    async fn update_user(&self, user: &User) -> Result<()>;
    /// Sets a new password hash and ends every session of the account.
    async fn set_password(&self, user_id: &str, hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Is `login` some account's username or phone number (other than `except`'s)?
    async fn login_taken(&self, login: &str, except: Option<&str>) -> Result<bool>;
    /// Counts a log-in attempt, in one conditional statement, before the password is
    /// checked: only when the account is not locked at `now`; the attempt that reaches
    /// `lock_after` locks it until `lock_until`. Returns the new count and lock, or `None`
    /// when the account is locked (nothing counted, and the password must not be checked).
    /// A successful log-in resets the count ([`login_succeeded`](Self::login_succeeded)).
    async fn count_login_attempt(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        lock_after: i64,
        lock_until: DateTime<Utc>,
    ) -> Result<Option<(i64, Option<DateTime<Utc>>)>>;
    async fn login_succeeded(&self, user_id: &str) -> Result<()>;

    async fn grants(&self, user_id: &str) -> Result<Vec<Grant>>;
    /// Grants a role; granting one that is held changes nothing.
    async fn grant(&self, grant: &Grant) -> Result<()>;
    /// Revokes a role; false when it was not held.
    async fn revoke(&self, user_id: &str, role: &str, unit_id: &str) -> Result<bool>;

    async fn create_session(&self, id_hash: &str, session: &Session) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    async fn delete_sessions_of(&self, user_id: &str) -> Result<()>;

    async fn create_token(&self, token: &ApiToken, hash: &str) -> Result<()>;
    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    async fn token(&self, id: &str) -> Result<Option<ApiToken>>;
    async fn tokens_in(&self, units: &[String]) -> Result<Vec<ApiToken>>;
    async fn token_used(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()>;

    /// The resident with this phone number, created when new.
    async fn resident(&self, phone: &str, at: DateTime<Utc>) -> Result<Resident>;
    async fn resident_by_id(&self, id: &str) -> Result<Option<Resident>>;
    /// Stores a code and queues the text message that carries it, in one transaction.
    async fn create_login_code(&self, code: &LoginCode, sms: &super::OutboxItem) -> Result<()>;
    /// Codes sent to `phone`, or requested by `client`, since `since`.
    async fn login_codes_since(&self, phone: &str, client: &str, since: DateTime<Utc>) -> Result<(i64, i64)>;
    /// The newest unused, unexpired code for `phone`.
    async fn live_login_code(&self, phone: &str, now: DateTime<Utc>) -> Result<Option<LoginCode>>;
    /// Claims one try of a code, in one conditional statement: true only when the code is
    /// unused, unexpired at `now` and has had fewer than `tries` tries. A code may be compared
    /// only after its try was claimed, so parallel guesses cannot exceed `tries`.
    async fn claim_login_code_try(&self, id: &str, tries: i64, now: DateTime<Utc>) -> Result<bool>;
    /// Marks a code used, in one conditional statement: true for the one request that did it.
    async fn use_login_code(&self, id: &str, at: DateTime<Utc>) -> Result<bool>;

    async fn record_security_event(&self, event: &SecurityEvent) -> Result<()>;
    /// Events of `units` (and, when `include_unscoped`, those of no unit), newest first.
    async fn security_events(
        &self,
        units: &[String],
        include_unscoped: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SecurityEvent>>;
}
