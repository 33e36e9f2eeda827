//! The plugin step at work.
//!
//! A transition is computed synchronously ([`Flow`]), so the modules an app's plugin steps
//! name are resolved and compiled before it, asynchronously ([`Engine::plugins_for`]); the
//! call itself runs inside the transition, bounded by its deadline (at most the district's
//! cap). The plugin sees only the record fields its `input` maps (and `params`); its output is
//! written only into the fields its `output` maps. When the call fails — trap, timeout, limit,
//! bad output, a plugin that cannot be found — the case stays at the step with a
//! `plugin.failed` event carrying a stable code and a message in both languages, and an
//! administrator can run the step again (`retry`).

use baida_core::kinds::EventKind;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use baida_blocks::step::PluginConfig;
use baida_blocks::{BlockConfig, CompiledApp};
use serde_json::{Map, Value, json};

use super::Engine;
use super::flow::Flow;
use crate::plugin::{Capability, Compiled, Failure, Plugins, registry};

/// An app's plugin steps with their compiled modules (or why there is none).
pub struct StepPlugins {
    host: Arc<Plugins>,
    by_step: HashMap<String, Result<Arc<Compiled>, Failure>>,
}

impl Engine {
    /// Resolves and compiles the plugins of `app`'s plugin steps (cached after the first time).
    pub async fn plugins_for(&self, app: &CompiledApp) -> StepPlugins {
        let mut by_step = HashMap::new();
        for step in &app.app.steps {
            if let BlockConfig::Plugin(c) = &step.block {
                let found = registry::resolve(&self.plugins, self.store.as_ref(), &c.plugin).await;
                by_step.insert(step.id.clone(), found);
            }
        }
        StepPlugins { host: self.plugins.clone(), by_step }
    }
}

impl Flow<'_> {
    /// Runs plugin step `step_id`. Returns the step to continue from, or `None` when the call
    /// failed and the case waits at the step.
    pub(super) fn run_plugin(&mut self, step_id: &str, c: &PluginConfig) -> Option<String> {
        let not_prepared = || {
            Failure::new(
                "plugin_not_prepared",
                "插件没有准备好，请重试这一步",
                "The plugin was not prepared; retry the step",
            )
        };
        let found = match self.plugins.map(|p| (p.host.clone(), p.by_step.get(step_id).cloned())) {
            Some((host, Some(Ok(compiled)))) => Ok((host, compiled)),
            Some((_, Some(Err(f)))) => Err(f),
            _ => Err(not_prepared()),
        };
        let (host, compiled) = match found {
            Ok(found) => found,
            Err(f) => return self.plugin_failed(step_id, c, None, &f, 0),
        };
        let mut input = Map::new();
        for (key, field) in &c.input {
            input.insert(key.clone(), self.record.get(field).cloned().unwrap_or(Value::Null));
        }
        let payload = json!({
            "abi_version": crate::plugin::abi::ABI_VERSION,
            "step": step_id,
            "case_id": self.case_id,
            "input": input,
            "params": c.params.clone().unwrap_or(Value::Null),
        });
        let grants: Vec<Capability> = c.grants.iter().filter_map(|g| Capability::grantable(g)).collect();
        let started = Instant::now();
        let result = host.call(&compiled, &c.plugin, &grants, &payload, c.timeout_ms);
        let ms = started.elapsed().as_millis() as u64;
        let output = match result.and_then(reported_error) {
            Ok(output) => output,
            Err(f) => return self.plugin_failed(step_id, c, Some(&compiled.sha256), &f, ms),
        };
        let mut changed = Vec::new();
        for (key, field) in &c.output {
            let value = if key.starts_with('/') { output.pointer(key) } else { output.get(key) };
            // Only fields the config maps, and only fields the record has.
            if let Some(value) = value
                && self.app.fields.iter().any(|f| &f.field.key == field)
            {
                self.record.insert(field.clone(), value.clone());
                changed.push(field.clone());
            }
        }
        self.emit(
            EventKind::PluginRan,
            json!({"step": step_id, "plugin": c.plugin, "sha256": compiled.sha256, "changed": changed, "ms": ms}),
        );
        Some(step_id.to_string())
    }

    fn plugin_failed(
        &mut self,
        step_id: &str,
        c: &PluginConfig,
        sha256: Option<&str>,
        f: &Failure,
        ms: u64,
    ) -> Option<String> {
        tracing::warn!(case = %self.case_id, step = step_id, plugin = %c.plugin, code = f.code, "{}", f.message.en());
        self.emit(
            EventKind::PluginFailed,
            json!({"step": step_id, "plugin": c.plugin, "sha256": sha256, "code": f.code,
                   "message": {"zh-CN": f.message.zh(), "en": f.message.en()}, "ms": ms, "retry": true}),
        );
        None
    }
}

/// A plugin may answer `{"error": "…"}` (or `{"error": {"zh-CN": …, "en": …}}`) to fail its
/// step on purpose.
fn reported_error(output: Value) -> Result<Value, Failure> {
    let Some(error) = output.get("error").filter(|e| !e.is_null()) else { return Ok(output) };
    let (zh, en) = match error {
        Value::String(s) => (s.clone(), s.clone()),
        other => (
            other.get("zh-CN").and_then(Value::as_str).unwrap_or_default().to_string(),
            other.get("en").and_then(Value::as_str).unwrap_or_default().to_string(),
        ),
    };
    let cut = |s: String| s.chars().take(500).collect::<String>();
    Err(Failure::new(
        "plugin_error",
        format!("插件报告错误：{}", cut(zh)),
        format!("The plugin reported an error: {}", cut(en)),
    ))
}
