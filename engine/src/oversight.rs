//! What an administrator oversees, as the admin page lists it: the accounts (with their
//! grants) in the units where they manage users, the API tokens in those where they manage
//! tokens, and the security events of those where they read them — everywhere for the root.
//! Changing any of these is `org`'s and `auth::manage`'s.

use baida_store::{self as store, ApiToken, Grant, SecurityEvent, User};

use crate::Engine;
use crate::auth::{Actor, OrgTree, Permission};

/// The units where `actor` holds `permission`; every unit of the tree when it holds it
/// everywhere.
fn units_with(actor: &Actor, permission: Permission, tree: &OrgTree) -> Vec<String> {
    actor.units_with(permission, tree).unwrap_or_else(|| tree.keys().cloned().collect())
}

impl Engine {
    /// The first `limit` accounts of the units where the actor manages users, each with its
    /// grants.
    pub async fn overseen_accounts(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        limit: usize,
    ) -> Result<Vec<(User, Vec<Grant>)>, store::Error> {
        let units = units_with(actor, Permission::UsersManage, tree);
        let mut out = Vec::new();
        for u in self.store.users_in(&units).await?.into_iter().take(limit) {
            let grants = self.store.grants(&u.id).await?;
            out.push((u, grants));
        }
        Ok(out)
    }

    /// The API tokens of the units where the actor manages tokens.
    pub async fn overseen_tokens(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<ApiToken>, store::Error> {
        self.store.tokens_in(&units_with(actor, Permission::TokensManage, tree)).await
    }

    /// The latest `limit` security events of the units where the actor reads them (and, for
    /// one who reads them everywhere, those of no unit), newest first.
    pub async fn overseen_security_events(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        limit: i64,
    ) -> Result<Vec<SecurityEvent>, store::Error> {
        let (units, unscoped) = match actor.units_with(Permission::SecurityRead, tree) {
            Some(units) => (units, false),
            None => (tree.keys().cloned().collect(), true),
        };
        self.store.security_events(&units, unscoped, None, limit).await
    }
}
