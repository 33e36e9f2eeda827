//! What of the catalog an actor may see: the submissions from, and the copies installed in,
//! the units where they may publish (`catalog.publish`) or review (`catalog.review`); a copy
//! they may upgrade only where they publish. Anything else is as if it did not exist.

use super::{Catalog, Result, semver};
use crate::auth::{Actor, OrgTree, Permission};
use baida_store::{Install, Submission, SubmissionStatus};

/// Units where the actor may publish, install or review; `None` means everywhere.
pub fn reach(actor: &Actor, tree: &OrgTree) -> Option<Vec<String>> {
    let publish = actor.units_with(Permission::CatalogPublish, tree)?;
    let review = actor.units_with(Permission::CatalogReview, tree)?;
    Some(publish.into_iter().chain(review).collect())
}

/// Is `unit` among `reach` (everywhere when `None`)?
pub fn within(reach: &Option<Vec<String>>, unit: &str) -> bool {
    reach.as_ref().is_none_or(|units| units.iter().any(|u| u == unit))
}

/// A copy installed from the catalog, with the newest published version of its source.
#[derive(Debug, Clone)]
pub struct InstalledCopy {
    pub install: Install,
    pub latest_version: Option<String>,
    /// The newest published version is newer than the one installed.
    pub update_available: bool,
}

impl Catalog {
    /// The submissions the actor may see ([`reach`]), with `status` when given.
    pub async fn submissions_seen_by(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        status: Option<SubmissionStatus>,
    ) -> Result<Vec<Submission>> {
        Ok(self.store.submissions(status, reach(actor, tree).as_deref()).await?)
    }

    /// A submission the actor may see; not found otherwise.
    pub async fn submission_seen_by(&self, actor: &Actor, tree: &OrgTree, id: &str) -> Result<Option<Submission>> {
        let found = self.store.submission(id).await?;
        Ok(found.filter(|s| within(&reach(actor, tree), &s.origin_id)))
    }

    /// The copies installed where the actor may see them, each with the newest published
    /// version of its source.
    pub async fn installs_seen_by(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<InstalledCopy>> {
        let list = self.store.installs(None, reach(actor, tree).as_deref()).await?;
        let entries = self.entries(None, None, None).await?;
        Ok(list
            .into_iter()
            .map(|install| {
                let latest =
                    entries.iter().find(|e| e.latest.app_id == install.source_app_id).map(|e| e.latest.version.clone());
                let update_available = latest.as_ref().is_some_and(|v| semver(v) > semver(&install.source_version));
                InstalledCopy { install, latest_version: latest, update_available }
            })
            .collect())
    }

    /// The install of `fork`, if the actor may publish where it is installed.
    pub async fn install_managed_by(&self, actor: &Actor, tree: &OrgTree, fork: &str) -> Result<Option<Install>> {
        let found = self.store.install(fork).await?;
        Ok(found.filter(|i| within(&actor.units_with(Permission::CatalogPublish, tree), &i.community_id)))
    }
}
