//! Uploading plugins and finding them again: `add` checks and compiles a module before
//! storing it under a name and version (so a module the host would refuse is never stored),
//! `resolve` turns a step's reference (`sha256:…` or `name@version`) into a compiled module,
//! from this process's cache or from the store.

use std::sync::Arc;

use baida_blocks::Text;
use baida_blocks::step::plugin_reference_ok;
use chrono::{DateTime, Utc};

use super::{Compiled, Failure, Plugins};
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
