//! Inboxes: the in-app messages the outbox delivers to an org unit (or a person). An inbox is
//! readable by its person and by those who read cases at its unit; for anyone else it does not
//! exist.

use crate::Engine;
use crate::auth::{Actor, OrgTree, Permission};
use baida_store::{self as store, InboxItem};

impl Engine {
    /// May `actor` read the inbox of `recipient` (a unit id, or their own account id)?
    pub fn may_read_inbox(&self, actor: &Actor, recipient: &str, tree: &OrgTree) -> bool {
        let own = actor.staff().is_some_and(|s| s.id == recipient);
        own || (tree.contains_key(recipient) && actor.can(Permission::CasesRead, recipient, tree))
    }

    /// The newest `limit` messages of an inbox, newest first; `None` when the actor may not read it.
    pub async fn inbox(
        &self,
        actor: &Actor,
        recipient: &str,
        tree: &OrgTree,
        limit: i64,
    ) -> Result<Option<Vec<InboxItem>>, store::Error> {
        if !self.may_read_inbox(actor, recipient, tree) {
            return Ok(None);
        }
        Ok(Some(self.store.inbox(recipient, limit).await?))
    }
}

impl Engine {
    /// The latest `limit` messages of the inboxes `actor` works from — each unit where they
    /// hold a role, and their own — newest first: what the workbench shows them (the SLA
    /// letters, a case waiting for dispatch by hand).
    pub async fn workbench_inbox(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        limit: i64,
    ) -> Result<Vec<InboxItem>, store::Error> {
        let mut recipients: Vec<String> = actor.holdings().iter().map(|h| h.unit_id.clone()).collect();
        recipients.extend(actor.staff().map(|s| s.id.clone()));
        recipients.sort();
        recipients.dedup();
        let mut out = Vec::new();
        for recipient in recipients.iter().filter(|r| self.may_read_inbox(actor, r, tree)) {
            out.extend(self.store.inbox(recipient, limit).await?);
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}
