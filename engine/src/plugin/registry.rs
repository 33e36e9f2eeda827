//! Uploading plugins and finding them again: `add` checks and compiles a module before
//! storing it under a name and version (so a module the host would refuse is never stored),
//! `resolve` turns a step's reference (`sha256:…` or `name@version`) into a compiled module,
//! from this process's cache or from the store.
//! [`Engine::plugins_seen_by`](crate::Engine::plugins_seen_by) lists plugins with the apps that use them.

use std::sync::Arc;

use baida_blocks::Text;
use baida_blocks::step::plugin_reference_ok;
use chrono::{DateTime, Utc};

use super::{Compiled, Failure, Plugins};
use crate::auth::{Actor, OrgTree};
use baida_store::{self as store, PluginVersion, Store};

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The module is not one the host will run (the failure names what is wrong).
    #[error("{0}")]
    Refused(Failure),
    /// The name or version is not valid.
    #[error("{}", .0.en())]
    BadName(Text),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Checks, compiles and stores `wasm` as `name@version`. Returns the version and whether it
/// is new (the same bytes under the same name and version again change nothing).
pub async fn add(
    plugins: &Plugins,
    store: &dyn Store,
    wasm: Vec<u8>,
    name: &str,
    version: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(PluginVersion, bool), AddError> {
    if !plugin_reference_ok(&format!("{name}@{version}")) {
        return Err(AddError::BadName(Text::new(
            format!("插件名称“{name}”或版本“{version}”格式不对：名称用小写字母、数字、- 和 _，版本如 1.0.0"),
            format!(
                "Plugin name “{name}” or version “{version}” is not valid: lower case, digits, - and _ for the name; a version like 1.0.0"
            ),
        )));
    }
    let compiled = plugins.compile(wasm.clone()).await.map_err(AddError::Refused)?;
    let mut capabilities: Vec<String> = compiled.needs.iter().map(|c| c.name().to_string()).collect();
    capabilities.sort();
    let v = PluginVersion {
        name: name.to_string(),
        version: version.to_string(),
        sha256: compiled.sha256.clone(),
        size: compiled.size as i64,
        capabilities,
        uploaded_by: by.to_string(),
        uploaded_at: now,
    };
    let created = store.put_plugin(&v, &wasm).await?;
    let v = store.plugin_version(name, version).await?.unwrap_or(v);
    plugins.remember_name(&format!("{name}@{version}"), &v.sha256);
    Ok((v, created))
}

/// The compiled module a step's `reference` names.
pub async fn resolve(plugins: &Plugins, store: &dyn Store, reference: &str) -> Result<Arc<Compiled>, Failure> {
    let not_found = || {
        Failure::new(
            "plugin_not_found",
            format!("没有插件“{reference}”，请先上传"),
            format!("There is no plugin “{reference}”: upload it first"),
        )
    };
    let unavailable = |e: store::Error| {
        tracing::warn!(error = %e, reference, "cannot read a plugin");
        Failure::new("plugin_unavailable", "暂时无法读取插件，请稍后重试", "The plugin cannot be read now; retry later")
    };
    let sha256 = match reference.strip_prefix("sha256:") {
        Some(sha) => sha.to_string(),
        None => match plugins.cached_name(reference) {
            Some(sha) => sha,
            None => {
                let (name, version) = reference.split_once('@').ok_or_else(not_found)?;
                let v = store.plugin_version(name, version).await.map_err(unavailable)?.ok_or_else(not_found)?;
                plugins.remember_name(reference, &v.sha256);
                v.sha256
            }
        },
    };
    if let Some(done) = plugins.cached(&sha256) {
        return Ok(done);
    }
    let wasm = store.plugin_wasm(&sha256).await.map_err(unavailable)?.ok_or_else(not_found)?;
    plugins.compile(wasm).await
}

/// A step of an app that calls a plugin.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PluginUse {
    pub app_id: String,
    pub app_version: String,
    pub step: String,
    /// The reference the step uses (`name@version` or `sha256:…`).
    pub reference: String,
}

/// A plugin: its versions and the apps (among those asked about) whose latest version calls it.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub name: String,
    pub versions: Vec<PluginVersion>,
    pub used_by: Vec<PluginUse>,
}

/// The uses among `uses` that name one of the plugin's versions, by name or by content.
fn used_by(versions: &[PluginVersion], uses: &[PluginUse]) -> Vec<PluginUse> {
    uses.iter()
        .filter(|u| {
            versions.iter().any(|v| {
                u.reference == format!("{}@{}", v.name, v.version) || u.reference == format!("sha256:{}", v.sha256)
            })
        })
        .cloned()
        .collect()
}

impl crate::Engine {
    /// Checks, compiles and stores `wasm` as `name@version` (see [`add`]).
    pub async fn add_plugin(
        &self,
        wasm: Vec<u8>,
        name: &str,
        version: &str,
        by: &str,
    ) -> Result<(PluginVersion, bool), AddError> {
        add(&self.plugins, self.store.as_ref(), wasm, name, version, by, self.clock.now()).await
    }

    /// Every plugin with its versions, and the apps the actor may see that use it.
    pub async fn plugins_seen_by(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<Plugin>, store::Error> {
        let uses = self.plugin_uses(actor, tree).await?;
        let mut out: Vec<Plugin> = Vec::new();
        for v in self.store.plugins().await? {
            match out.last_mut() {
                Some(last) if last.name == v.name => last.versions.push(v),
                _ => out.push(Plugin { name: v.name.clone(), versions: vec![v], used_by: Vec::new() }),
            }
        }
        for p in &mut out {
            p.used_by = used_by(&p.versions, &uses);
        }
        Ok(out)
    }

    /// One plugin with its versions and the apps the actor may see that use it; `None` when
    /// no version has this name.
    pub async fn plugin(&self, name: &str, actor: &Actor, tree: &OrgTree) -> Result<Option<Plugin>, store::Error> {
        let versions: Vec<PluginVersion> = self.store.plugins().await?.into_iter().filter(|v| v.name == name).collect();
        if versions.is_empty() {
            return Ok(None);
        }
        let used_by = used_by(&versions, &self.plugin_uses(actor, tree).await?);
        Ok(Some(Plugin { name: name.to_string(), versions, used_by }))
    }

    /// Every plugin step in the latest version of each app the actor may see.
    async fn plugin_uses(&self, actor: &Actor, tree: &OrgTree) -> Result<Vec<PluginUse>, store::Error> {
        let mut found = Vec::new();
        for app in self.store.apps().await? {
            if !crate::apps::visible(actor, &app.owner_id, tree) {
                continue;
            }
            let Some(v) = self.store.app_version(&app.app_id, None).await? else { continue };
            let steps = v.definition.get("steps").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
            for step in steps {
                if step.get("block").and_then(serde_json::Value::as_str) != Some("plugin") {
                    continue;
                }
                if let Some(reference) = step.pointer("/config/plugin").and_then(serde_json::Value::as_str) {
                    found.push(PluginUse {
                        app_id: v.app_id.clone(),
                        app_version: v.version.clone(),
                        step: step.get("id").and_then(serde_json::Value::as_str).unwrap_or_default().to_string(),
                        reference: reference.to_string(),
                    });
                }
            }
        }
        Ok(found)
    }
}
