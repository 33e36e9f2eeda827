//! Staff accounts, their roles, passwords and API tokens, as the API and the admin pages list
//! and change them, and the security log that records each change with who asked and from
//! where. An administrator oversees the accounts of the units where they manage users, the
//! tokens where they manage tokens and the log where they read it — everywhere for the root.
//! What makes sense (the unit kinds a role is granted at, the password rule, logins that must
//! not collide) is [`crate::org`]'s; who may ask is decided by the caller with
//! [`Actor::can`] and [`Actor::may_manage`].

use std::collections::HashMap;

use baida_blocks::{Problem, Text};
use chrono::{DateTime, Utc};

use crate::Engine;
use crate::auth::session::{self, event};
use crate::auth::{Actor, OrgTree, Permission, Role, password};
use crate::org::{self, NewAccount, OrgError};
use baida_store::{self as store, ApiToken, Grant, SecurityEvent, User};

/// Who asked for a change, and from where: what the security log records beside it.
#[derive(Debug, Clone)]
pub struct Requester {
    /// The actor's label (an account id, `admin`, a token).
    pub label: String,
    /// The client address.
    pub client: String,
}

impl Requester {
    pub fn new(actor: &Actor, client: impl ToString) -> Self {
        Self { label: actor.label(), client: client.to_string() }
    }
}

/// Changes asked to an account; `None` leaves a part as it is.
#[derive(Debug, Default, Clone)]
pub struct AccountChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Disable (every session ends at once) or enable.
    pub disabled: Option<bool>,
    /// Unlock an account locked after failed log-ins.
    pub unlock: bool,
}

/// How changing one's own password went.
#[derive(Debug, PartialEq, Eq)]
pub enum OwnPassword {
    Changed,
    /// The current password given is not the account's.
    WrongCurrent,
    /// The account is gone.
    NoAccount,
}

/// A token to create: what it is for, where it acts, and what it may do there.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub unit_id: String,
    pub permissions: Vec<Permission>,
}

fn invalid(pointer: &str, code: &'static str, why: Text) -> OrgError {
    OrgError::Invalid(Box::new(Problem::new(pointer, code, why)))
}

/// The units where `actor` holds `permission`; every unit of the tree when it holds it
/// everywhere.
fn units_with(actor: &Actor, permission: Permission, tree: &OrgTree) -> Vec<String> {
    actor.units_with(permission, tree).unwrap_or_else(|| tree.keys().cloned().collect())
}

impl Engine {
    /// The accounts of the units where `actor` manages users (everywhere for the root).
    pub async fn overseen_accounts(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<User>, store::Error> {
        self.store.users_in(&units_with(actor, Permission::UsersManage, tree)).await
    }

    /// The API tokens of the units where `actor` manages tokens.
    pub async fn overseen_tokens(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<ApiToken>, store::Error> {
        self.store.tokens_in(&units_with(actor, Permission::TokensManage, tree)).await
    }

    /// A page of the security log of the units where `actor` reads it (and, for one who reads
    /// it everywhere, the events of no unit), newest first, before `cursor`.
    pub async fn overseen_security_events(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SecurityEvent>, store::Error> {
        let (units, unscoped) = match actor.units_with(Permission::SecurityRead, tree) {
            Some(units) => (units, false),
            None => (tree.keys().cloned().collect(), true),
        };
        self.store.security_events(&units, unscoped, cursor, limit).await
    }

    /// Writes one event to the security log.
    pub async fn record_security_event(&self, e: &SecurityEvent) -> Result<(), store::Error> {
        self.store.record_security_event(e).await
    }

    async fn log(
        &self,
        by: &Requester,
        kind: &str,
        user: &User,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), store::Error> {
        let mut e = event(kind, &by.label, Some(&user.unit_id), Some(&user.id), &by.client, at);
        e.detail = detail;
        self.store.record_security_event(&e).await
    }

    /// An account.
    pub async fn account(&self, id: &str) -> Result<Option<User>, store::Error> {
        self.store.user(id).await
    }

    /// People's names for account ids (what `updated_by` and `created_by` store); an id that
    /// names no account stands for itself.
    pub async fn names_of<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> HashMap<String, String> {
        let mut names = HashMap::new();
        for id in ids {
            if names.contains_key(id) {
                continue;
            }
            let name = match self.store.user(id).await {
                Ok(Some(u)) => u.name,
                _ => id.to_string(),
            };
            names.insert(id.to_string(), name);
        }
        names
    }

    /// The roles an account holds, and where.
    pub async fn grants_of(&self, user_id: &str) -> Result<Vec<Grant>, store::Error> {
        self.store.grants(user_id).await
    }

    /// Creates an account ([`org::create_account`]'s rules) and logs it.
    pub async fn create_account(&self, tree: &OrgTree, new: NewAccount, by: &Requester) -> Result<User, OrgError> {
        let now = self.clock.now();
        let user = org::create_account(self.store.as_ref(), tree, new, now).await?;
        self.log(by, "user.created", &user, serde_json::json!({"username": user.username}), now).await?;
        Ok(user)
    }

    /// Changes an account's name, phone or state; disabling, enabling and unlocking are logged.
    pub async fn change_account(
        &self,
        mut user: User,
        change: AccountChange,
        by: &Requester,
    ) -> Result<User, OrgError> {
        let now = self.clock.now();
        if let Some(name) = change.name {
            if name.trim().is_empty() || name.chars().count() > 64 {
                let why = Text::new("请填写姓名（最多 64 字）", "Give a name (at most 64 characters)");
                return Err(invalid("/name", "bad_name", why));
            }
            user.name = name.trim().to_string();
        }
        if let Some(phone) = change.phone {
            let typed = phone.trim().to_string();
            let phone = baida_blocks::formats::normalize_phone(&typed).unwrap_or(typed);
            if !phone.is_empty() && !baida_blocks::formats::is_mobile_phone(&phone) {
                let why = Text::new("手机号应为 11 位、以 1 开头", "A mobile number has 11 digits and starts with 1");
                return Err(invalid("/phone", "bad_phone", why));
            }
            if !phone.is_empty() && self.store.login_taken(&phone, Some(&user.id)).await? {
                return Err(OrgError::Conflict(org::login_taken_message(&phone)));
            }
            user.phone = (!phone.is_empty()).then_some(phone);
        }
        if let Some(disabled) = change.disabled {
            user.disabled_at = if disabled { Some(user.disabled_at.unwrap_or(now)) } else { None };
            let kind = if disabled { "user.disabled" } else { "user.enabled" };
            self.log(by, kind, &user, serde_json::json!({}), now).await?;
        }
        if change.unlock {
            user.locked_until = None;
            user.failed_logins = 0;
            self.log(by, "user.unlocked", &user, serde_json::json!({}), now).await?;
        }
        user.updated_at = now;
        self.store.update_user(&user).await?;
        Ok(user)
    }

    /// Grants `role` at `unit` ([`org::grant`]'s rules) and logs it.
    pub async fn grant_role(
        &self,
        tree: &OrgTree,
        user: &User,
        role: Role,
        unit: &str,
        by: &Requester,
    ) -> Result<Grant, OrgError> {
        let now = self.clock.now();
        let g = org::grant(self.store.as_ref(), tree, &user.id, role, unit, &by.label, now).await?;
        self.log(by, "role.granted", user, serde_json::json!({"role": g.role, "unit_id": g.unit_id}), now).await?;
        Ok(g)
    }

    /// Revokes a role (it stops working on the holder's next request) and logs it; `false`
    /// when the account did not hold it there.
    pub async fn revoke_role(&self, user: &User, role: Role, unit: &str, by: &Requester) -> Result<bool, store::Error> {
        if !self.store.revoke(&user.id, role.as_str(), unit).await? {
            return Ok(false);
        }
        let detail = serde_json::json!({"role": role.as_str(), "unit_id": unit});
        self.log(by, "role.revoked", user, detail, self.clock.now()).await?;
        Ok(true)
    }

    /// Sets a new password for someone else's account (every session of it ends) and logs it.
    pub async fn reset_password(&self, user: &User, new: &str, by: &Requester) -> Result<(), OrgError> {
        let now = self.clock.now();
        org::set_password(self.store.as_ref(), user, new, now).await?;
        self.log(by, "password.reset", user, serde_json::json!({}), now).await?;
        Ok(())
    }

    /// Changes one's own password, the current one asked again (every session ends).
    pub async fn change_own_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
        by: &Requester,
    ) -> Result<OwnPassword, OrgError> {
        let Some(user) = self.store.user(user_id).await? else { return Ok(OwnPassword::NoAccount) };
        let Some(creds) = self.store.credentials(&user.username).await? else { return Ok(OwnPassword::NoAccount) };
        if !password::verify_off_thread(current, &creds.password_hash).await {
            return Ok(OwnPassword::WrongCurrent);
        }
        let now = self.clock.now();
        org::set_password(self.store.as_ref(), &user, new, now).await?;
        self.log(by, "password.changed", &user, serde_json::json!({}), now).await?;
        Ok(OwnPassword::Changed)
    }

    /// An API token.
    pub async fn token(&self, id: &str) -> Result<Option<ApiToken>, store::Error> {
        self.store.token(id).await
    }

    /// Creates an API token and logs it; the secret is returned this once (only its digest is
    /// kept).
    pub async fn create_token(&self, new: NewToken, by: &Requester) -> Result<(ApiToken, String), OrgError> {
        if new.name.trim().is_empty() || new.name.chars().count() > 64 {
            let why = Text::new("请写明令牌用途（最多 64 字）", "Say what the token is for (at most 64 characters)");
            return Err(invalid("/name", "bad_name", why));
        }
        if new.permissions.is_empty() {
            let why = Text::new("请至少选择一项权限", "Choose at least one permission");
            return Err(invalid("/permissions", "no_permissions", why));
        }
        let now = self.clock.now();
        let secret = format!("{}{}", session::TOKEN_PREFIX, baida_core::secret::token());
        let token = ApiToken {
            id: uuid::Uuid::now_v7().to_string(),
            name: new.name.trim().to_string(),
            unit_id: new.unit_id,
            permissions: new.permissions.iter().map(|p| p.as_str().to_string()).collect(),
            created_by: by.label.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        self.store.create_token(&token, &session::digest(&secret)).await?;
        let mut e = event("token.created", &by.label, Some(&token.unit_id), Some(&token.id), &by.client, now);
        e.detail = serde_json::json!({"name": token.name, "permissions": token.permissions});
        self.store.record_security_event(&e).await?;
        Ok((token, secret))
    }

    /// Revokes a token (it stops working on its next request) and logs it.
    pub async fn revoke_token(&self, token: &ApiToken, by: &Requester) -> Result<(), store::Error> {
        let now = self.clock.now();
        self.store.revoke_token(&token.id, now).await?;
        let e = event("token.revoked", &by.label, Some(&token.unit_id), Some(&token.id), &by.client, now);
        self.store.record_security_event(&e).await
    }
}
