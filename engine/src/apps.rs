//! The app registry: saving app definitions as versions and handing out compiled apps.
//!
//! Saving a definition that differs from the latest version creates a new version (the
//! definition's own version number when it is higher, else the next patch number); saving
//! an identical one changes nothing. Compiled apps are cached per (app, version): a version
//! never changes once saved, so its cache entry never goes stale.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use baida_blocks::{App, CompiledApp, Dictionary, Problem, Text};
use serde_json::Value;

use crate::auth::{Actor, OrgTree, is_within};
use baida_core::clock::Clock;
use baida_core::hash::{canonical_json, sha256_hex};
use baida_store::{self as store, AppSummary, AppVersion, NewAppVersion, Store};

/// Why an app could not be saved or found.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the app definition has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The outcome of saving a definition.
#[derive(Debug, Clone)]
pub struct Saved {
    pub version: AppVersion,
    /// False when the definition equalled the latest version and nothing was written.
    pub created: bool,
}

/// An app version ready to run.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub meta: AppVersion,
    pub compiled: Arc<CompiledApp>,
}

pub struct Apps {
    store: Arc<dyn Store>,
    dictionary: Arc<Dictionary>,
    clock: Arc<dyn Clock>,
    compiled: RwLock<HashMap<(String, String), Loaded>>,
    latest: RwLock<HashMap<String, String>>,
    /// Each app's `access.view` roles (latest versions), with when they were read.
    views: RwLock<Option<(std::time::Instant, Views)>>,
    generation: std::sync::atomic::AtomicU64,
}

/// App id → the roles its latest version lets read its cases (apps that name none left out).
pub type Views = Arc<Vec<(String, Vec<String>)>>;

/// How long the views read from the store are trusted (an app published by another process is
/// seen within that time; one published here at once).
pub const VIEWS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest app definition compiled, as compact JSON (the largest reference app is
/// about 20 KiB).
pub const MAX_DEFINITION_BYTES: usize = 1024 * 1024;

/// The district's review of catalog submissions (run by [`crate::catalog::review`]).
pub const CATALOG_REVIEW_APP: &str = "catalog-review";

/// Ids of Baida's built-in apps, and the prefix kept for those to come.
pub const BUILTIN_APPS: &[&str] = &[CATALOG_REVIEW_APP];
pub const RESERVED_PREFIX: &str = "baida-";

/// Is `app_id` in the namespace of Baida's own apps? No builder may start an app there, so a
/// built-in app can never be pre-empted or shadowed by a tenant's.
pub fn reserved(app_id: &str) -> bool {
    BUILTIN_APPS.contains(&app_id) || app_id.starts_with(RESERVED_PREFIX)
}

/// Is an app owned by `owner` visible to the actor: offered where they work (owned at or
/// above one of their units) or owned below one of their units?
pub fn visible(actor: &Actor, owner: &str, tree: &OrgTree) -> bool {
    match actor {
        Actor::Root => true,
        Actor::Staff(s) => {
            s.holdings.iter().any(|h| is_within(tree, &h.unit_id, owner) || is_within(tree, owner, &h.unit_id))
        }
        _ => false,
    }
}

/// Parses `MAJOR.MINOR.PATCH`.
fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(parsed)
}

/// SHA-256 of a definition's canonical JSON, without its version.
pub fn digest(definition: &Value) -> String {
    let mut d = definition.clone();
    if let Value::Object(map) = &mut d {
        map.remove("version");
        map.remove("$schema");
    }
    sha256_hex(canonical_json(&d))
}

impl Apps {
    pub fn new(store: Arc<dyn Store>, dictionary: Arc<Dictionary>, clock: Arc<dyn Clock>) -> Apps {
        Apps {
            store,
            dictionary,
            clock,
            compiled: RwLock::default(),
            latest: RwLock::default(),
            views: RwLock::default(),
            generation: Default::default(),
        }
    }

    /// How many versions this process has saved: what changed since a number read before
    /// (the schedules are planned again when it moves).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn dictionary(&self) -> &Dictionary {
        &self.dictionary
    }

    /// Every app with its latest version's summary.
    pub async fn summaries(&self) -> Result<Vec<AppSummary>, store::Error> {
        self.store.apps().await
    }

    /// The apps the actor may see ([`visible`]).
    pub async fn visible_to(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<AppSummary>, store::Error> {
        Ok(self.summaries().await?.into_iter().filter(|a| visible(actor, &a.owner_id, tree)).collect())
    }

    /// The named version of an app, or its latest, as stored (not compiled).
    pub async fn version(&self, app_id: &str, version: Option<&str>) -> Result<Option<AppVersion>, store::Error> {
        self.store.app_version(app_id, version).await
    }

    /// Validates a definition without saving it. A definition past [`MAX_DEFINITION_BYTES`]
    /// is refused before it is compiled.
    pub fn validate(&self, definition: &Value) -> Result<CompiledApp, Vec<Problem>> {
        let size = serde_json::to_vec(definition).map_or(usize::MAX, |v| v.len());
        if size > MAX_DEFINITION_BYTES {
            return Err(vec![Problem::new(
                "",
                "definition_too_large",
                Text::new(
                    format!("应用定义过大（{size} 字节，最多 {MAX_DEFINITION_BYTES} 字节）"),
                    format!("The definition is too large ({size} bytes, at most {MAX_DEFINITION_BYTES})"),
                ),
            )]);
        }
        App::compile(definition, &self.dictionary)
    }

    /// What validation says of a definition being edited in the org `tree`: its problems —
    /// the definition's own, then its receivers' ([`crate::receiver::check`], what publishing
    /// would refuse) — or when it has none, the warnings about it (`baida_blocks::warnings`).
    pub fn check_in(&self, definition: &Value, tree: &crate::auth::OrgTree) -> (Vec<Problem>, Vec<Problem>) {
        match self.validate(definition) {
            Ok(compiled) => {
                let receivers = crate::receiver::check(&compiled.app, tree);
                if !receivers.is_empty() {
                    return (receivers, Vec::new());
                }
                let warnings = serde_json::from_value::<App>(definition.clone())
                    .map(|app| baida_blocks::warnings::find(&app, &self.dictionary))
                    .unwrap_or_default();
                (Vec::new(), warnings)
            }
            Err(problems) => (problems, Vec::new()),
        }
    }

    /// Saves `definition` as a new version of its app (owned by `owner_id` when new). An id in
    /// Baida's reserved namespace ([`reserved`]) cannot start a new app: built-in apps are
    /// created only by [`Apps::save_builtin`] (once made, their owner may change them like any app).
    pub async fn save(&self, definition: Value, owner_id: &str, by: &str) -> Result<Saved, Error> {
        self.save_as(definition, owner_id, by, false).await
    }

    /// Saves one of Baida's own apps (e.g. the catalog's review app), whose id is reserved.
    pub async fn save_builtin(&self, definition: Value, owner_id: &str, by: &str) -> Result<Saved, Error> {
        self.save_as(definition, owner_id, by, true).await
    }

    async fn save_as(&self, mut definition: Value, owner_id: &str, by: &str, builtin: bool) -> Result<Saved, Error> {
        let compiled = self.validate(&definition).map_err(Error::Invalid)?;
        // Every unit and role its steps send cases or messages to must exist now.
        let tree: crate::auth::OrgTree = self.store.org_units().await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        let receivers = crate::receiver::check(&compiled.app, &tree);
        if !receivers.is_empty() {
            return Err(Error::Invalid(receivers));
        }
        let app_id = compiled.app.id.clone();
        let digest = digest(&definition);
        let latest = self.store.app_version(&app_id, None).await?;
        if latest.is_none() && !builtin && reserved(&app_id) {
            return Err(Error::Invalid(vec![Problem::new(
                "/id",
                "reserved_id",
                Text::new(
                    format!("应用编号“{app_id}”由百搭保留，请换一个"),
                    format!("The app id “{app_id}” is reserved by Baida; choose another"),
                ),
            )]));
        }
        if let Some(latest) = &latest {
            if latest.digest == digest {
                return Ok(Saved { version: latest.clone(), created: false });
            }
            let wanted = semver(&compiled.app.version).unwrap_or_default();
            let current = semver(&latest.version).unwrap_or_default();
            if wanted <= current {
                let next = format!("{}.{}.{}", current.0, current.1, current.2 + 1);
                definition["version"] = Value::String(next);
            }
        }
        let new = NewAppVersion {
            app_id: app_id.clone(),
            owner_id: owner_id.to_string(),
            definition,
            digest,
            at: self.clock.now(),
            by: by.to_string(),
        };
        let version = self.store.save_app_version(&new).await?;
        self.latest.write().unwrap_or_else(|e| e.into_inner()).insert(app_id, version.version.clone());
        *self.views.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(Saved { version, created: true })
    }

    /// The apps whose latest version names the roles that may read its cases (`access.view`),
    /// read at most every [`VIEWS_TTL`]: what every query over cases is narrowed by.
    pub async fn views(&self) -> Result<Views, Error> {
        if let Some((at, views)) = self.views.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && at.elapsed() < VIEWS_TTL
        {
            return Ok(views.clone());
        }
        let views: Views = Arc::new(self.store.app_views().await?);
        *self.views.write().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), views.clone()));
        Ok(views)
    }

    /// The named version of an app, or its latest, compiled.
    pub async fn load(&self, app_id: &str, version: Option<&str>) -> Result<Option<Loaded>, Error> {
        let version = match version {
            Some(v) => Some(v.to_string()),
            None => self.latest.read().unwrap_or_else(|e| e.into_inner()).get(app_id).cloned(),
        };
        if let Some(v) = &version
            && let Some(hit) =
                self.compiled.read().unwrap_or_else(|e| e.into_inner()).get(&(app_id.to_string(), v.clone()))
        {
            return Ok(Some(hit.clone()));
        }
        let Some(meta) = self.store.app_version(app_id, version.as_deref()).await? else {
            return Ok(None);
        };
        // A stored version compiled when it was saved; if the dictionary changed since, its
        // problems surface here as an error rather than a half-working form.
        let compiled = Arc::new(self.validate(&meta.definition).map_err(Error::Invalid)?);
        let loaded = Loaded { meta, compiled };
        let key = (app_id.to_string(), loaded.meta.version.clone());
        self.compiled.write().unwrap_or_else(|e| e.into_inner()).insert(key, loaded.clone());
        if version.is_none() {
            self.latest
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(app_id.to_string(), loaded.meta.version.clone());
        }
        Ok(Some(loaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_ignores_version_and_key_order() {
        let a = json!({"id": "x", "version": "1.0.0", "name": "甲", "category": "c"});
        let b = json!({"category": "c", "name": "甲", "version": "2.0.0", "id": "x"});
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&json!({"id": "x", "version": "1.0.0", "name": "乙", "category": "c"})));
    }

    #[test]
    fn semver_parses_three_numbers_only() {
        assert_eq!(semver("1.2.3"), Some((1, 2, 3)));
        assert_eq!(semver("1.2"), None);
        assert_eq!(semver("1.2.3.4"), None);
        assert!(semver("1.10.0") > semver("1.9.9"));
    }
}
