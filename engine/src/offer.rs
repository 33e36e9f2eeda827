//! Which forms are offered where. An app owned by a unit is offered in every community and grid
//! below it; an archived app takes nothing new; a staff-only app (`access.submit: staff`, such
//! as the catalog's review) is no resident's form.

use baida_blocks::SubmitAccess;

use crate::Engine;
use crate::apps::{self, Loaded};
use crate::auth::OrgTree;
use baida_store::AppSummary;

impl Engine {
    /// The published apps residents may submit to (not staff-only), with their owners.
    pub async fn resident_apps(&self) -> Result<Vec<AppSummary>, apps::Error> {
        let mut out = Vec::new();
        for a in self.store.apps().await? {
            let staff_only = match self.apps.load(&a.app_id, None).await {
                Ok(Some(l)) => l.compiled.app.access.submit == SubmitAccess::Staff,
                _ => true,
            };
            if !staff_only {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// The residents' forms offered at `unit` (a community or grid): apps owned by it or a unit
    /// above it, neither archived nor staff-only, in the order the store lists them.
    pub async fn forms_offered_at(&self, unit: &str, tree: &OrgTree) -> Result<Vec<Loaded>, apps::Error> {
        let mut chain = vec![unit];
        while let Some(parent) = tree.get(chain[chain.len() - 1]).and_then(|u| u.parent_id.as_deref()) {
            if chain.contains(&parent) || chain.len() > 16 {
                break;
            }
            chain.push(parent);
        }
        let archived = self.store.archived_apps().await?;
        let mut out = Vec::new();
        for a in self.store.apps().await? {
            if !chain.contains(&a.owner_id.as_str()) || archived.contains(&a.app_id) {
                continue;
            }
            let Some(loaded) = self.apps.load(&a.app_id, None).await? else { continue };
            if loaded.compiled.app.access.submit != SubmitAccess::Staff {
                out.push(loaded);
            }
        }
        Ok(out)
    }
}
