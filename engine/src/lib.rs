//! # baida-engine
//!
//! The domain: how cases come to be and move, who may do what, and the services around them.
//! [`event`] keeps each case's hash-chained log, [`submit`] turns a form submission into a case
//! (through the group-commit [`Committer`]), the time comes from [`baida_core::clock`]
//! (injectable, so tests move time instead of sleeping), and [`verify`] checks every chain.
//! People act on cases through [`actions`], [`vote`] and [`comment`]; they find them through
//! [`queue`] (my queue, a case's standing), [`case_view`] (a case as one person sees it),
//! [`track`] (a resident following theirs) and [`inbox`]. Around the engine: [`access`] (who
//! may see which cases and records), [`apps`] (the app registry) and [`drafts`] (the builder's
//! workspace), [`auth`] (actors, roles, permissions, sessions, log-in codes), [`org`] (the
//! organisation tree), [`people`] (accounts, roles, tokens and the security log, as an admin
//! oversees them), [`homes`] and [`profile`] (enter once, many share), [`offer`] (which forms are
//! offered where), [`catalog`] (the district catalog), [`ledger`] (the open community ledger),
//! [`figures`], [`vehicles`], [`notify`] (delivery transports), [`plugin`] (the wasm host),
//! [`photo`] (photo checks and blobs), [`health`] and [`shutdown`].
//!
//! Architecture invariants: `baida-engine` depends on `baida-core`, `baida-store` and
//! `baida-blocks`, and on neither sqlx nor axum (Cargo facts): it writes no SQL and knows no
//! HTTP. Its store is `pub(crate)`: whatever is above — the web, the binary's server — reads
//! and writes only through the engine's operations, where the rules are.

pub mod access;
pub mod apps;
pub mod auth;
pub mod catalog;
pub mod drafts;
pub mod figures;
pub mod health;
pub mod homes;
pub mod ledger;
pub mod notify;
pub mod offer;
pub mod org;
pub mod people;
pub mod photo;
pub mod plugin;
pub mod profile;
pub mod shutdown;
pub mod vehicles;

pub mod actions;
mod booking;
pub mod calendar;
pub mod case_view;
pub mod comment;
pub mod event;
pub mod flow;
pub mod inbox;
pub mod outbox;
pub mod pacing;
pub mod photos;
pub mod plugin_step;
pub mod queue;
pub mod receiver;
pub mod recipient;
pub mod register;
pub mod schedule;
pub mod scheduler;
pub mod submit;
pub mod test_run;
pub mod track;
pub mod verify;
pub mod vote;

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
    /// Only the engine reads and writes the store: the web and everything above ask the engine.
    pub(crate) store: Arc<dyn Store>,
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
    /// The [`apps::Apps::generation`] the schedules were last planned at (`u64::MAX`: never).
    pub(crate) schedules_planned: std::sync::atomic::AtomicU64,
}

/// How long the cached organisation tree is trusted.
pub const ORG_TREE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

impl Engine {
    /// An engine over `store`, with empty caches and no submission in flight.
    pub fn new(
        store: Arc<dyn Store>,
        apps: Arc<Apps>,
        committer: Committer,
        clock: Arc<dyn Clock>,
        timezone: chrono_tz::Tz,
        calendar: calendar::Calendar,
        plugins: crate::plugin::Plugins,
    ) -> Engine {
        Engine {
            store,
            apps,
            committer,
            clock,
            timezone,
            calendar: Arc::new(calendar),
            responsibility_cache: Default::default(),
            org_tree_cache: Default::default(),
            plugins: Arc::new(plugins),
            intake: Default::default(),
            schedules_planned: std::sync::atomic::AtomicU64::new(u64::MAX),
        }
    }

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
