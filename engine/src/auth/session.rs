//! Sessions and API tokens: random secrets handed to the client once, stored only as their
//! SHA-256; staff log-in with lock-out; resolving a session or token to an [`Actor`].

use std::collections::BTreeSet;

use baida_blocks::Text;
use chrono::{DateTime, Duration, Utc};

use super::{Actor, Holding, OrgTree, Permission, Role, Staff, is_within, password};
use baida_store::{self as store, ApiToken, SecurityEvent, Session, Store, User};

/// The cookie that carries a session id.
pub const COOKIE: &str = "baida_session";
/// How long a staff session lasts (a working day and then some).
pub const STAFF_SESSION: Duration = Duration::hours(12);
/// How long a resident stays logged in.
pub const RESIDENT_SESSION: Duration = Duration::days(30);
/// Failed log-ins in a row that lock an account.
pub const LOCK_AFTER: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// Prefix of API tokens, so that a leaked one is recognisable in a scanner.
pub const TOKEN_PREFIX: &str = "baida_";

/// What is stored in place of a secret.
pub fn digest(secret: &str) -> String {
    baida_core::hash::sha256_hex(secret)
}

/// Why a log-in failed. The message never says whether the account exists.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong username or password")]
    Wrong,
    #[error("the account is locked until {0}")]
    Locked(DateTime<Utc>),
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl LoginError {
    pub fn message(&self) -> Text {
        match self {
            LoginError::Wrong => Text::new("用户名或密码不正确", "Wrong username or password"),
            LoginError::Locked(_) => Text::new(
                format!("连续输错 {LOCK_AFTER} 次，账号已锁定 {} 分钟，请稍后再试或联系管理员", LOCK_FOR.num_minutes()),
                format!(
                    "{LOCK_AFTER} failed attempts in a row: the account is locked for {} minutes; try later or ask an admin",
                    LOCK_FOR.num_minutes()
                ),
            ),
            LoginError::Store(_) => Text::new("暂时无法登录，请稍后再试", "Log-in is unavailable; try again later"),
        }
    }
}

/// A security event with the common fields filled in.
pub fn event(
    kind: &str,
    actor: &str,
    unit: Option<&str>,
    subject: Option<&str>,
    client: &str,
    now: DateTime<Utc>,
) -> SecurityEvent {
    SecurityEvent {
        seq: 0,
        at: now,
        kind: kind.into(),
        actor: actor.into(),
        unit_id: unit.map(str::to_string),
        subject: subject.map(str::to_string),
        client: Some(client.to_string()),
        detail: serde_json::json!({}),
    }
}

/// Checks a staff log-in; on success creates a session and returns its id (for the cookie).
///
/// Every attempt is counted *before* the password is checked, in one conditional statement
/// that refuses when the account is locked ([`PeopleStore::count_login_attempt`]): parallel
/// guesses cannot get more than [`LOCK_AFTER`] checks between two lock-outs. A success resets
/// the count. Every outcome is a security event.
///
/// [`PeopleStore::count_login_attempt`]: baida_store::PeopleStore::count_login_attempt
pub async fn log_in(
    store: &dyn Store,
    login: &str,
    given: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(String, User), LoginError> {
    // A username as typed; failing that, a phone number read through the one normalisation
    // (full-width digits, spaces, +86) — a username may hold digits and dashes, so it goes first.
    let mut found = store.credentials(login.trim()).await?;
    if found.is_none()
        && let Some(phone) = baida_blocks::formats::normalize_phone(login)
        && phone != login.trim()
    {
        found = store.credentials(&phone).await?;
    }
    let Some(creds) = found else {
        // Same work as a real check, so timing does not tell which usernames exist.
        password::decoy_off_thread(given).await;
        store.record_security_event(&event("login.failed", "anonymous", None, None, client, now)).await?;
        return Err(LoginError::Wrong);
    };
    let user = creds.user;
    let unit = Some(user.unit_id.as_str());
    let subject = Some(user.id.as_str());
    let Some((count, locked)) = store.count_login_attempt(&user.id, now, LOCK_AFTER, now + LOCK_FOR).await? else {
        password::decoy_off_thread(given).await;
        store.record_security_event(&event("login.locked", &user.id, unit, subject, client, now)).await?;
        let until = store.user(&user.id).await?.and_then(|u| u.locked_until).unwrap_or(now + LOCK_FOR);
        return Err(LoginError::Locked(until));
    };
    let right = password::verify_off_thread(given, &creds.password_hash).await;
    if user.disabled_at.is_some() || !right {
        store.record_security_event(&event("login.failed", &user.id, unit, subject, client, now)).await?;
        // This attempt reached the limit: it set the lock.
        if let Some(until) = locked.filter(|u| *u > now && count >= LOCK_AFTER) {
            store.record_security_event(&event("account.locked", &user.id, unit, subject, client, now)).await?;
            return Err(LoginError::Locked(until));
        }
        return Err(LoginError::Wrong);
    }
    store.login_succeeded(&user.id).await?;
    let id = baida_core::secret::token();
    store
        .create_session(
            &digest(&id),
            &Session {
                user_id: Some(user.id.clone()),
                resident_id: None,
                created_at: now,
                expires_at: now + STAFF_SESSION,
            },
        )
        .await?;
    store.record_security_event(&event("login", &user.id, unit, subject, client, now)).await?;
    Ok((id, user))
}

/// The actor behind a session id, with their roles as they are now (a revoked role stops
/// working on the next request). Expired sessions and disabled accounts resolve to nobody.
pub async fn actor_for_session(store: &dyn Store, id: &str, now: DateTime<Utc>) -> Result<Option<Actor>, store::Error> {
    let hash = digest(id);
    let Some(session) = store.session(&hash).await? else { return Ok(None) };
    if session.expires_at <= now {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    if let Some(user_id) = &session.user_id {
        let Some(user) = store.user(user_id).await? else { return Ok(None) };
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        return Ok(Some(staff_actor(store, user).await?));
    }
    if let Some(resident_id) = &session.resident_id {
        let Some(r) = store.resident_by_id(resident_id).await? else { return Ok(None) };
        let home = store.home(&r.id).await?;
        return Ok(Some(Actor::Resident { id: r.id, phone: r.phone, home }));
    }
    Ok(None)
}

/// A user as an actor with their current grants.
pub async fn staff_actor(store: &dyn Store, user: User) -> Result<Actor, store::Error> {
    let holdings = store
        .grants(&user.id)
        .await?
        .into_iter()
        .filter_map(|g| Role::parse(&g.role).map(|r| Holding::role(r, g.unit_id)))
        .collect();
    Ok(Actor::Staff(Staff { id: user.id, name: user.name, unit_id: user.unit_id, holdings }))
}

/// The actor behind an API token, or `None` when it is unknown or revoked, or when whoever
/// created it is disabled or gone. Records the use.
///
/// A token acts with at most what its creator may do *now*: each of its permissions holds
/// only while the creator (read afresh on every request, like a session) still may do it at
/// the token's unit. A token made by another token is bounded by that token in turn.
pub async fn actor_for_token(
    store: &dyn Store,
    tree: &OrgTree,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Actor>, store::Error> {
    let Some(token) = store.token_by_hash(&digest(secret)).await? else { return Ok(None) };
    if token.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(permissions) = token_permissions(store, tree, &token).await? else { return Ok(None) };
    // One write a minute at most, not one per request.
    if token.last_used_at.is_none_or(|t| now - t > Duration::minutes(1)) {
        store.token_used(&token.id, now).await?;
    }
    Ok(Some(Actor::Staff(Staff {
        id: format!("token:{}", token.id),
        name: token.name.clone(),
        unit_id: token.unit_id.clone(),
        holdings: vec![Holding { unit_id: token.unit_id, role: None, permissions }],
    })))
}

/// What a token may do now: its permissions that its creator (a person, the admin token or
/// another token, followed up to a few links) still holds at its unit; `None` when the chain
/// ends at a disabled, missing or revoked creator.
async fn token_permissions(
    store: &dyn Store,
    tree: &OrgTree,
    token: &ApiToken,
) -> Result<Option<BTreeSet<Permission>>, store::Error> {
    let mut permissions: BTreeSet<Permission> = token.permissions.iter().filter_map(|p| Permission::parse(p)).collect();
    let mut creator = token.created_by.clone();
    for _ in 0..4 {
        if creator == "admin" {
            return Ok(Some(permissions));
        }
        let holder = if let Some(id) = creator.strip_prefix("token:") {
            match store.token(id).await? {
                Some(parent) if parent.revoked_at.is_none() => {
                    creator = parent.created_by.clone();
                    let held: BTreeSet<Permission> =
                        parent.permissions.iter().filter_map(|p| Permission::parse(p)).collect();
                    let within = is_within(tree, &token.unit_id, &parent.unit_id);
                    permissions.retain(|p| within && held.contains(p));
                    continue;
                }
                _ => return Ok(None),
            }
        } else {
            match store.user(&creator).await? {
                Some(user) if user.disabled_at.is_none() => staff_actor(store, user).await?,
                _ => return Ok(None),
            }
        };
        permissions.retain(|p| holder.can(*p, &token.unit_id, tree));
        return Ok(Some(permissions));
    }
    Ok(None)
}

/// Sessions as the web asks for them: the engine's clock and store behind each.
impl crate::Engine {
    /// A staff log-in ([`log_in`]): the session id for the cookie, and the account.
    pub async fn log_in(&self, login: &str, given: &str, client: &str) -> Result<(String, User), LoginError> {
        log_in(self.store.as_ref(), login, given, client, self.clock.now()).await
    }

    /// Ends the session whose id (the cookie's value) is `id`.
    pub async fn end_session(&self, id: &str) -> Result<(), store::Error> {
        self.store.delete_session(&digest(id)).await
    }

    /// The actor behind a session id ([`actor_for_session`]).
    pub async fn actor_for_session(&self, id: &str) -> Result<Option<Actor>, store::Error> {
        actor_for_session(self.store.as_ref(), id, self.clock.now()).await
    }

    /// The actor behind an API token ([`actor_for_token`]).
    pub async fn actor_for_token(&self, tree: &OrgTree, secret: &str) -> Result<Option<Actor>, store::Error> {
        actor_for_token(self.store.as_ref(), tree, secret, self.clock.now()).await
    }

    /// An account as an actor with its current grants.
    pub async fn staff_actor(&self, user: User) -> Result<Actor, store::Error> {
        staff_actor(self.store.as_ref(), user).await
    }
}
