//! # baida-engine
//!
//! The domain: how cases come to be and move, who may do what, and the services around them.
//! [`event`] keeps each case's hash-chained log, [`submit`] turns a form submission into a case
//! (through the group-commit [`Committer`]), the time comes from [`baida_core::clock`]
//! (injectable, so tests move time instead of sleeping), and [`verify`] checks every chain.
//! People act on cases through [`actions`], [`vote`] and [`comment`]. Around the engine:
//! [`apps`] (the app registry), [`auth`] (actors, roles, permissions, sessions), [`org`] (the
//! organisation tree and its people), [`catalog`] (the district catalog), [`profile`] (enter
//! once, many share), [`ledger`] (the open community ledger), [`notify`] (delivery transports),
//! [`plugin`] (the wasm host), [`photo`] (photo checks and blobs) and [`shutdown`].
//!
//! Architecture invariant (a Cargo fact): `baida-engine` depends on `baida-core`,
//! `baida-store` and `baida-blocks`, and on neither sqlx nor axum: it writes no SQL and knows
//! no HTTP.

pub mod apps;
pub mod auth;
pub mod catalog;
pub mod ledger;
pub mod notify;
pub mod org;
pub mod photo;
pub mod plugin;
pub mod profile;
pub mod shutdown;

pub mod actions;
mod booking;
pub mod calendar;
pub mod comment;
pub mod event;
pub mod flow;
pub mod outbox;
pub mod pacing;
pub mod photos;
pub mod plugin_step;
pub mod queue;
pub mod recipient;
pub mod scheduler;
pub mod submit;
pub mod test_run;
pub mod verify;
pub mod vote;

pub mod drafts;
pub mod figures;
pub mod homes;
pub mod oversight;

use std::collections::HashMap;
use std::sync::Arc;

use crate::apps::Apps;
use crate::auth::OrgTree;
pub use baida_core::clock::{Clock, ManualClock, SystemClock};
use baida_store::{self as store, OrgUnit, Store};
pub use submit::{Committer, Submission, SubmitError, Submitted};

/// The responsibility list: (category, department) pairs.
pub type Responsibilities = Vec<(String, String)>;

/// The engine: what creating and moving cases needs — the store, the apps, the clock and
/// calendar, the plugin host — and the caches of the responsibility list and the org tree.
/// Sibling modules extend it by concern: [`submit`], [`actions`], [`scheduler`], [`outbox`],
/// [`vote`], [`comment`], [`verify`], [`plugin_step`].
pub struct Engine {
    pub store: Arc<dyn Store>,
    pub apps: Arc<Apps>,
    pub committer: Committer,
    pub clock: Arc<dyn Clock>,
    pub timezone: chrono_tz::Tz,
    /// Working days and hours, for SLA clocks on working time.
    pub calendar: Arc<calendar::Calendar>,
    /// The responsibility list, read once and refreshed when changed through [`Engine::set_responsibility`].
    pub responsibility_cache: tokio::sync::RwLock<Option<Arc<Responsibilities>>>,
    /// The organisation tree, with when it was read.
    pub org_tree_cache: tokio::sync::RwLock<Option<(std::time::Instant, Arc<OrgTree>)>>,
    /// The plugin host (compiled modules, limits).
    pub plugins: Arc<crate::plugin::Plugins>,
    /// Submissions in flight, for background work to yield to.
    pub intake: pacing::Intake,
}

/// How long the cached organisation tree is trusted.
pub const ORG_TREE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

impl Engine {
    /// The responsibility list (权责清单), category → department.
    pub async fn responsibilities(&self) -> Result<Arc<Responsibilities>, store::Error> {
        if let Some(list) = self.responsibility_cache.read().await.as_ref() {
            return Ok(list.clone());
        }
        let list = Arc::new(self.store.responsibilities().await?);
        *self.responsibility_cache.write().await = Some(list.clone());
        Ok(list)
    }

    /// Sets the department responsible for a category (`*` for the fallback).
    pub async fn set_responsibility(&self, category: &str, department: &str) -> Result<(), store::Error> {
        self.store.put_responsibility(category, department, self.clock.now()).await?;
        *self.responsibility_cache.write().await = None;
        Ok(())
    }

    /// Forgets the cached org tree (after this process changed it).
    pub async fn org_tree_changed(&self) {
        *self.org_tree_cache.write().await = None;
    }

    /// The organisation tree, read at most every [`ORG_TREE_TTL`] (it changes rarely; a unit
    /// created by another process is seen within that time).
    pub async fn org_tree(&self) -> Result<Arc<OrgTree>, store::Error> {
        if let Some((at, tree)) = self.org_tree_cache.read().await.as_ref()
            && at.elapsed() < ORG_TREE_TTL
        {
            return Ok(tree.clone());
        }
        let tree: HashMap<String, OrgUnit> =
            self.store.org_units().await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        let tree = Arc::new(tree);
        *self.org_tree_cache.write().await = Some((std::time::Instant::now(), tree.clone()));
        Ok(tree)
    }

    /// Today in the deployment's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().with_timezone(&self.timezone).date_naive()
    }
}
