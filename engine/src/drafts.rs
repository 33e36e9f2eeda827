//! The builder's workspace: drafts of apps (autosaved working copies, one per app, with a
//! revision checked on every save), publishing a draft as a version, the version history and
//! the differences between versions, and archiving.
//!
//! Who may see or change an app is decided by the caller (`auth`, from the app's owner, which
//! [`Engine::app_owner`] tells); everything here assumes it was.
//!
//! Reading order: [`Engine::designer_apps`] (the designer's list), [`Engine::start_draft`],
//! [`Engine::draft`], [`Engine::save_draft`], [`Engine::publish_draft`], then the history:
//! [`Engine::app_history`], [`Engine::app_diff`], [`Engine::set_archived`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Engine;
use crate::apps::{self, Saved};
use crate::auth::{Actor, OrgTree, is_within};
use crate::catalog::merge::{self, Change};
use baida_core::kinds::UnitKind;
use baida_store::{self as store, Draft};

/// Why a draft could not be made, saved, published or compared.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// A new app's id is not 2–63 lower-case letters, digits and `-`.
    #[error("the app id is not valid")]
    InvalidId,
    /// There is already an app (published or drafted) with this id.
    #[error("there is already an app {0}")]
    Taken(String),
    /// A save changed the definition's `id` from the app's.
    #[error("a draft cannot change its app's id ({0})")]
    IdChanged(String),
    /// Nothing to publish.
    #[error("there are no unpublished changes")]
    NoDraft,
    /// The draft was saved meanwhile: it is now at this revision.
    #[error("the draft changed meanwhile (now revision {0})")]
    Moved(i64),
    /// No such published version of the app.
    #[error("no version {0}")]
    NoVersion(String),
    #[error(transparent)]
    Apps(#[from] apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// An app as the designer lists it.
#[derive(Debug, Clone)]
pub struct DesignerApp {
    pub id: String,
    pub owner: String,
    pub name: Value,
    pub icon: String,
    pub category: String,
    /// `draft` (never published), `published`, or `changed` (published, with unpublished changes).
    pub status: &'static str,
    /// The latest published version, if any.
    pub version: Option<String>,
    pub versions: i64,
    pub updated_at: DateTime<Utc>,
    /// The name of who changed it last.
    pub updated_by: String,
    pub archived: bool,
}

/// A draft as the designer opens it: its latest published version and whether it is archived.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The draft; when there is none, the latest version as revision 0.
    pub draft: Draft,
    pub published: Option<String>,
    pub archived: bool,
}

/// One published version in an app's history.
#[derive(Debug, Clone)]
pub struct Published {
    pub version: String,
    pub created_at: DateTime<Utc>,
    /// The name of who published it.
    pub created_by: String,
    /// What changed from the version before, one sentence each.
    pub changes: usize,
}

/// What a new app's id may be: 2–63 lower-case letters, digits and `-`, not at either end.
pub fn app_id_ok(id: &str) -> bool {
    (2..=63).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Where an app owned by `owner` can be tried as residents see it: the owner when it is a
/// community, else the first community below it (by id), not retired.
pub fn tried_in(tree: &OrgTree, owner: &str) -> Option<String> {
    let mut below: Vec<&String> = tree
        .values()
        .filter(|u| u.kind == UnitKind::Community && u.retired_at.is_none() && is_within(tree, &u.id, owner))
        .map(|u| &u.id)
        .collect();
    below.sort();
    below.first().map(|s| s.to_string())
}

/// The community a builder tries a definition in (the designer's preview and test run): the
/// first (by id) at or below their unit, else the one their unit is in (a grid's); the first
/// of all for the root.
pub fn trying_community(tree: &OrgTree, actor: &Actor) -> Option<String> {
    let mut communities: Vec<&baida_store::OrgUnit> =
        tree.values().filter(|u| u.kind == UnitKind::Community && u.retired_at.is_none()).collect();
    communities.sort_by(|a, b| a.id.cmp(&b.id));
    match actor.staff() {
        Some(s) => communities
            .iter()
            .find(|c| is_within(tree, &c.id, &s.unit_id))
            .or_else(|| communities.iter().find(|c| is_within(tree, &s.unit_id, &c.id)))
            .map(|c| c.id.clone()),
        None => communities.first().map(|c| c.id.clone()),
    }
}

/// A new app's definition: one form step anyone may submit, no fields.
fn blank(id: &str) -> Value {
    json!({
        "$schema": baida_blocks::schema::SCHEMA_URL,
        "id": id,
        "version": "0.1.0",
        "name": {"zh-CN": "未命名应用", "en": "Untitled app"},
        "category": "events-complaints",
        "icon": "📝",
        "access": {"submit": "public"},
        "record": {"fields": []},
        "steps": [{"id": "report", "name": {"zh-CN": "填报", "en": "Report"}, "block": "form", "config": {"who": ["public"]}}],
        "transitions": []
    })
}

/// A copy's name: the source's with “（副本）” / “ (copy)”.
fn copy_name(name: Value) -> Value {
    match name {
        Value::String(s) => json!({"zh-CN": format!("{s}（副本）"), "en": format!("{s} (copy)")}),
        Value::Object(m) => json!({
            "zh-CN": format!("{}（副本）", m.get("zh-CN").and_then(Value::as_str).unwrap_or_default()),
            "en": format!("{} (copy)", m.get("en").and_then(Value::as_str).unwrap_or_default()),
        }),
        other => other,
    }
}

/// A definition without its version number, which changes with every publication.
fn strip(d: &Value) -> Value {
    let mut d = d.clone();
    if let Value::Object(m) = &mut d {
        m.remove("version");
        m.remove("$schema");
    }
    d
}

impl Engine {
    /// The owner of an app (published, else drafted), if there is such an app.
    pub async fn app_owner(&self, app: &str) -> Result<Option<String>, store::Error> {
        if let Some(v) = self.store.app_version(app, None).await? {
            return Ok(Some(v.owner_id));
        }
        Ok(self.store.draft(app).await?.map(|d| d.owner_id))
    }

    /// The apps a builder works on — published ones and drafts the actor may see
    /// ([`apps::visible`]), archived ones only when asked — newest change first.
    pub async fn designer_apps(
        &self,
        actor: &Actor,
        tree: &OrgTree,
        with_archived: bool,
    ) -> Result<Vec<DesignerApp>, store::Error> {
        let archived: HashSet<String> = self.store.archived_apps().await?.into_iter().collect();
        let mut drafts: HashMap<String, Draft> =
            self.store.drafts().await?.into_iter().map(|d| (d.app_id.clone(), d)).collect();
        let mut out = Vec::new();
        for a in self.store.apps().await? {
            if !apps::visible(actor, &a.owner_id, tree) {
                continue;
            }
            let draft = drafts.remove(&a.app_id);
            let (updated_at, updated_by, status, name) = match &draft {
                Some(d) => (d.updated_at, d.updated_by.clone(), "changed", d.definition["name"].clone()),
                None => {
                    let by = self.store.app_version(&a.app_id, None).await?.map(|v| v.created_by).unwrap_or_default();
                    (a.updated_at, by, "published", a.name.clone())
                }
            };
            out.push(DesignerApp {
                archived: archived.contains(&a.app_id),
                id: a.app_id,
                owner: a.owner_id,
                name,
                icon: a.icon,
                category: a.category,
                status,
                version: Some(a.latest_version),
                versions: a.versions,
                updated_at,
                updated_by,
            });
        }
        for d in drafts.into_values().filter(|d| apps::visible(actor, &d.owner_id, tree)) {
            out.push(DesignerApp {
                archived: archived.contains(&d.app_id),
                name: d.definition["name"].clone(),
                icon: d.definition["icon"].as_str().unwrap_or_default().to_string(),
                category: d.definition["category"].as_str().unwrap_or_default().to_string(),
                id: d.app_id,
                owner: d.owner_id,
                status: "draft",
                version: None,
                versions: 0,
                updated_at: d.updated_at,
                updated_by: d.updated_by,
            });
        }
        let names = self.names_of(out.iter().map(|a| a.updated_by.as_str()).collect::<Vec<_>>()).await;
        for a in &mut out {
            if let Some(n) = names.get(&a.updated_by) {
                a.updated_by = n.clone();
            }
        }
        out.retain(|a| with_archived || !a.archived);
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The id a new app gets: `wanted`, when it is well formed ([`app_id_ok`]) and free, or a
    /// generated one.
    pub async fn new_app_id(&self, wanted: Option<String>) -> Result<String, DraftError> {
        let id = wanted.unwrap_or_else(|| format!("app-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
        if !app_id_ok(&id) {
            return Err(DraftError::InvalidId);
        }
        if self.app_owner(&id).await?.is_some() {
            return Err(DraftError::Taken(id));
        }
        Ok(id)
    }

    /// Starts the draft of a new app `id` owned by `owner`: a blank app, or a copy of
    /// `copy_of` (its draft if it has one, else its latest version) renamed as a copy.
    pub async fn start_draft(
        &self,
        id: String,
        owner: String,
        copy_of: Option<&str>,
        by: &str,
    ) -> Result<Draft, store::Error> {
        let mut definition = match copy_of {
            None => blank(&id),
            Some(source) => {
                let mut d = match self.store.draft(source).await? {
                    Some(d) => d.definition,
                    None => self.store.app_version(source, None).await?.map(|v| v.definition).unwrap_or_default(),
                };
                if let Some(name) = d.get_mut("name") {
                    *name = copy_name(name.take());
                }
                d
            }
        };
        definition["id"] = Value::String(id.clone());
        definition["version"] = Value::String("0.1.0".into());
        let draft = Draft {
            app_id: id,
            owner_id: owner,
            definition,
            revision: 1,
            updated_at: self.clock.now(),
            updated_by: by.to_string(),
        };
        self.store.put_draft(&draft).await?;
        Ok(draft)
    }

    /// The draft of an app; when it has none, its latest version as revision 0; `None` when
    /// there is neither.
    pub async fn draft(&self, app: &str) -> Result<Option<Workspace>, store::Error> {
        let published = self.store.app_version(app, None).await?;
        let archived = self.store.is_archived(app).await?;
        let version = published.as_ref().map(|v| v.version.clone());
        let draft = match self.store.draft(app).await? {
            Some(d) => d,
            None => match published {
                None => return Ok(None),
                Some(v) => Draft {
                    app_id: v.app_id,
                    owner_id: v.owner_id,
                    definition: v.definition,
                    revision: 0,
                    updated_at: v.created_at,
                    updated_by: v.created_by,
                },
            },
        };
        Ok(Some(Workspace { draft, published: version, archived }))
    }

    /// Saves the draft of `app` (owned by `owner`) edited from `revision`: any JSON object
    /// whose `id` is the app's.
    pub async fn save_draft(
        &self,
        app: &str,
        owner: String,
        definition: Value,
        revision: i64,
        by: &str,
    ) -> Result<Workspace, DraftError> {
        if definition.get("id").and_then(Value::as_str) != Some(app) {
            return Err(DraftError::IdChanged(app.to_string()));
        }
        let draft = Draft {
            app_id: app.to_string(),
            owner_id: owner,
            definition,
            revision: revision + 1,
            updated_at: self.clock.now(),
            updated_by: by.to_string(),
        };
        self.store.put_draft(&draft).await?;
        let published = self.store.app_version(app, None).await?.map(|v| v.version);
        let archived = self.store.is_archived(app).await?;
        Ok(Workspace { draft, published, archived })
    }

    /// Throws the draft away, if there is one; the published version stays as it is.
    pub async fn discard_draft(&self, app: &str) -> Result<(), store::Error> {
        if let Some(d) = self.store.draft(app).await? {
            self.store.delete_draft(app, d.revision).await?;
        }
        Ok(())
    }

    /// The draft to publish: the one at `revision`, which the builder sees.
    pub async fn draft_at(&self, app: &str, revision: i64) -> Result<Draft, DraftError> {
        let draft = self.store.draft(app).await?.ok_or(DraftError::NoDraft)?;
        if draft.revision != revision {
            return Err(DraftError::Moved(draft.revision));
        }
        Ok(draft)
    }

    /// Publishes a draft (from [`Engine::draft_at`]) as a new version of its app, and drops it.
    pub async fn publish_draft(&self, draft: Draft, owner: &str, by: &str) -> Result<Saved, DraftError> {
        let saved = self.apps.save(draft.definition, owner, by).await?;
        self.store.delete_draft(&draft.app_id, draft.revision).await?;
        Ok(saved)
    }

    /// Every published version, newest first, with how many things changed in each.
    pub async fn app_history(&self, app: &str) -> Result<Vec<Published>, store::Error> {
        let versions = self.store.app_history(app).await?;
        let mut out: Vec<Published> = versions
            .iter()
            .enumerate()
            .map(|(i, v)| Published {
                version: v.version.clone(),
                created_at: v.created_at,
                created_by: v.created_by.clone(),
                changes: match i.checked_sub(1).and_then(|p| versions.get(p)) {
                    Some(prev) => merge::diff(&strip(&prev.definition), &strip(&v.definition)).len(),
                    None => 0,
                },
            })
            .collect();
        out.reverse();
        let names = self.names_of(out.iter().map(|v| v.created_by.as_str()).collect::<Vec<_>>()).await;
        for v in &mut out {
            if let Some(n) = names.get(&v.created_by) {
                v.created_by = n.clone();
            }
        }
        Ok(out)
    }

    /// What changed between two versions of an app, one sentence each. `to` is a version or
    /// `draft` (default: the latest version); `from` a version (default: the one before `to`,
    /// or the latest when `to` is the draft).
    pub async fn app_diff(&self, app: &str, from: Option<&str>, to: Option<&str>) -> Result<Vec<Change>, DraftError> {
        let versions = self.store.app_history(app).await?;
        let no_version = |v: &str| DraftError::NoVersion(v.to_string());
        let to_def = match to {
            Some("draft") => self.store.draft(app).await?.map(|d| d.definition).ok_or(DraftError::NoDraft)?,
            Some(v) => {
                versions.iter().find(|x| x.version == v).map(|x| x.definition.clone()).ok_or_else(|| no_version(v))?
            }
            None => versions.last().map(|x| x.definition.clone()).unwrap_or_default(),
        };
        let from_def = match from {
            Some(v) => {
                versions.iter().find(|x| x.version == v).map(|x| x.definition.clone()).ok_or_else(|| no_version(v))?
            }
            None => match to {
                Some("draft") => versions.last().map(|x| x.definition.clone()).unwrap_or(json!({})),
                Some(v) => {
                    let i = versions.iter().position(|x| x.version == v).unwrap_or(0);
                    i.checked_sub(1).map(|p| versions[p].definition.clone()).unwrap_or(json!({}))
                }
                None => versions.iter().rev().nth(1).map(|x| x.definition.clone()).unwrap_or(json!({})),
            },
        };
        Ok(merge::diff(&strip(&from_def), &strip(&to_def)))
    }

    /// Archives an app (it takes no new submissions and leaves the designer's list) or brings
    /// it back.
    pub async fn set_archived(&self, app: &str, archived: bool, by: &str) -> Result<(), store::Error> {
        let when = archived.then(|| (self.clock.now(), by));
        self.store.set_archived(app, when).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_id_is_lower_case_letters_digits_and_inner_dashes() {
        assert!(app_id_ok("car-move-2"));
        assert!(!app_id_ok("a"));
        assert!(!app_id_ok("-car"));
        assert!(!app_id_ok("car-"));
        assert!(!app_id_ok("Car"));
        assert!(!app_id_ok(&"a".repeat(64)));
    }

    #[test]
    fn a_copy_is_named_as_a_copy_in_both_languages() {
        assert_eq!(copy_name(json!("挪车")), json!({"zh-CN": "挪车（副本）", "en": "挪车 (copy)"}));
        assert_eq!(
            copy_name(json!({"zh-CN": "挪车", "en": "Move a car"})),
            json!({"zh-CN": "挪车（副本）", "en": "Move a car (copy)"})
        );
    }
}
