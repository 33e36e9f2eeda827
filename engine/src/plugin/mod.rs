//! Plugins: the only place in Baida where wasmtime is configured.
//!
//! Reading order: [`abi`] (what a plugin exports and may import, checked at upload), then
//! [`Plugins`] (one `Engine` with the pooling allocator and epoch interruption; modules compiled
//! once, content-addressed by SHA-256; an `InstancePre` per module and set of grants), then
//! [`call`] (one call: a fresh `Store`, limits, deadline, the JSON-in/JSON-out protocol).
//!
//! Architecture invariant: a plugin has no ambient authority. It sees the JSON the step gives
//! it and the host functions its step grants; nothing else (no WASI, files, sockets,
//! environment or clock unless granted). A trap, a timeout, a limit or bad output is a
//! [`Failure`] with a stable code and a message in both languages, never a panic or a hang.

pub mod abi;
pub mod call;
pub mod registry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use baida_blocks::Text;
use serde_json::Value;
use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, InstancePre, Module, PoolingAllocationConfig};

pub use abi::Capability;
use call::Host;

/// How often the epoch ticks: the resolution of every plugin deadline.
pub const TICK: Duration = Duration::from_millis(5);

/// The limits every plugin runs under. The defaults suit a district; `[plugins]` in the
/// configuration file changes them.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest linear memory of one call (default 16 MiB).
    pub memory_bytes: usize,
    /// Largest table of one call.
    pub table_elements: usize,
    /// Largest output JSON of one call.
    pub output_bytes: usize,
    /// Deadline of a call when its step names none (default 100 ms).
    pub timeout_ms: u64,
    /// The district's cap on a step's `timeout_ms` (default 1 s).
    pub max_timeout_ms: u64,
    /// Largest module that can be uploaded (default 4 MiB).
    pub module_bytes: usize,
    /// How long compiling an upload may take before it is refused (default 10 s).
    pub compile_timeout_ms: u64,
    /// How many calls can run at once (pooled instance slots).
    pub concurrent_calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 16 << 20,
            table_elements: 10_000,
            output_bytes: 256 << 10,
            timeout_ms: 100,
            max_timeout_ms: 1_000,
            module_bytes: 4 << 20,
            compile_timeout_ms: 10_000,
            concurrent_calls: 32,
        }
    }
}

/// Why a plugin could not be used or did not finish: a stable code (`plugin_timeout`,
/// `plugin_trap`, `plugin_limit`, `plugin_bad_output`, `plugin_output_too_large`,
/// `plugin_forbidden_import`, …) and a message in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: &'static str,
    pub message: Text,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message.en())
    }
}

/// A module compiled once, keyed by the SHA-256 of its bytes.
pub struct Compiled {
    pub sha256: String,
    pub size: usize,
    /// The capabilities its imports need.
    pub needs: Vec<Capability>,
    module: Module,
    prepared: Mutex<HashMap<Vec<Capability>, Arc<InstancePre<Host>>>>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled").field("sha256", &self.sha256).field("needs", &self.needs).finish()
    }
}

/// The plugin host: one engine, the compiled modules, the limits.
pub struct Plugins {
    engine: Engine,
    limits: Limits,
    modules: RwLock<HashMap<String, Arc<Compiled>>>,
    /// `name@version` → SHA-256: a name and version, once bound, never change.
    names: RwLock<HashMap<String, String>>,
    /// One compilation at a time, so uploads cannot take every core.
    compiling: Arc<tokio::sync::Semaphore>,
    ticking: Arc<AtomicBool>,
}

/// The epoch ticks a deadline of `timeout_ms` needs: at least that long, at most one tick more.
pub(crate) fn ticks(timeout_ms: u64) -> u64 {
    timeout_ms.div_ceil(TICK.as_millis() as u64) + 1
}

/// The SHA-256 of a module's bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Plugins {
    /// Builds the engine (cranelift, pooling allocator, epoch interruption) and starts the
    /// thread that ticks the epoch.
    pub fn new(limits: Limits) -> Result<Plugins, Failure> {
        let mut pool = PoolingAllocationConfig::new();
        let slots = limits.concurrent_calls.max(1);
        let memory = (limits.memory_bytes as u64).next_multiple_of(1 << 16);
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots)
            .total_component_instances(0)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .max_memory_size(memory as usize)
            .table_elements(limits.table_elements)
            .max_unused_warm_slots(slots.min(8));
        let mut config = Config::new();
        config
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .epoch_interruption(true)
            .max_wasm_stack(256 << 10)
            .memory_reservation(memory)
            .memory_guard_size(64 << 10)
            .memory_reservation_for_growth(0);
        let engine = Engine::new(&config).map_err(|e| {
            Failure::new(
                "plugin_engine",
                format!("无法启动插件引擎：{e}"),
                format!("The plugin engine cannot start: {e}"),
            )
        })?;
        let ticking = Arc::new(AtomicBool::new(true));
        let (ticker, flag) = (engine.clone(), ticking.clone());
        std::thread::Builder::new()
            .name("baida-plugin-epoch".into())
            .spawn(move || {
                while flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticker.increment_epoch();
                }
            })
            .map_err(|e| {
                Failure::new(
                    "plugin_engine",
                    format!("无法启动计时线程：{e}"),
                    format!("Cannot start the epoch thread: {e}"),
                )
            })?;
        Ok(Plugins {
            engine,
            limits,
            modules: RwLock::default(),
            names: RwLock::default(),
            compiling: Arc::new(tokio::sync::Semaphore::new(1)),
            ticking,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The compiled module with this SHA-256, if this process has it.
    pub fn cached(&self, sha256: &str) -> Option<Arc<Compiled>> {
        self.modules.read().unwrap_or_else(|e| e.into_inner()).get(sha256).cloned()
    }

    /// The SHA-256 `name@version` is bound to, if this process has seen it.
    pub fn cached_name(&self, reference: &str) -> Option<String> {
        self.names.read().unwrap_or_else(|e| e.into_inner()).get(reference).cloned()
    }

    /// Remembers that `name@version` is `sha256` (bindings never change).
    pub fn remember_name(&self, reference: &str, sha256: &str) {
        self.names.write().unwrap_or_else(|e| e.into_inner()).insert(reference.to_string(), sha256.to_string());
    }

    /// Checks and compiles a module: size cap, then compilation on a blocking thread, one at
    /// a time and within `compile_timeout_ms`, then the ABI's exports and imports and the
    /// initial memory and table against the limits. The result is cached by SHA-256.
    pub async fn compile(&self, bytes: Vec<u8>) -> Result<Arc<Compiled>, Failure> {
        if bytes.len() > self.limits.module_bytes {
            return Err(Failure::new(
                "plugin_too_large",
                format!("插件 {} 字节，超过上限 {} 字节", bytes.len(), self.limits.module_bytes),
                format!("The plugin is {} bytes, over the limit of {} bytes", bytes.len(), self.limits.module_bytes),
            ));
        }
        let sha256 = sha256_hex(&bytes);
        if let Some(done) = self.cached(&sha256) {
            return Ok(done);
        }
        let bytes_len = bytes.len();
        // One compilation at a time; a compilation that outlives its timeout keeps its turn
        // until it really ends, so refused uploads cannot pile up work on the cores.
        let compiling = async {
            let turn = self.compiling.clone().acquire_owned().await.map_err(|_| busy())?;
            if let Some(done) = self.cached(&sha256) {
                return Ok(Ok(done.module.clone()));
            }
            let engine = self.engine.clone();
            tokio::task::spawn_blocking(move || {
                let _turn = turn;
                Module::from_binary(&engine, &bytes).map_err(|e| format!("{e:#}"))
            })
            .await
            .map_err(|_| Failure::new("plugin_compile_failed", "插件编译失败", "Compiling the plugin failed"))
        };
        let size = bytes_len;
        let module = match tokio::time::timeout(Duration::from_millis(self.limits.compile_timeout_ms), compiling).await
        {
            Err(_) => {
                return Err(Failure::new(
                    "plugin_compile_timeout",
                    format!("插件编译超过 {} 毫秒，已拒绝", self.limits.compile_timeout_ms),
                    format!(
                        "Compiling the plugin took longer than {} ms; it is refused",
                        self.limits.compile_timeout_ms
                    ),
                ));
            }
            Ok(Err(f)) => return Err(f),
            Ok(Ok(Err(e))) => {
                return Err(Failure::new(
                    "plugin_invalid_module",
                    format!("不是有效的 WebAssembly 模块：{e}"),
                    format!("Not a valid WebAssembly module: {e}"),
                ));
            }
            Ok(Ok(Ok(module))) => module,
        };
        let to_failure = |p: abi::AbiProblem| Failure { code: p.code, message: p.message };
        let needs = abi::check_imports(&module).map_err(to_failure)?;
        abi::check_exports(&module).map_err(to_failure)?;
        let need = module.resources_required();
        let pages = need.max_initial_memory_size.unwrap_or(0);
        if pages.saturating_mul(1 << 16) > self.limits.memory_bytes as u64 || need.num_memories > 1 {
            return Err(Failure::new(
                "plugin_limit",
                format!("插件初始内存 {} 页（每页 64 KiB），超过上限 {} 字节", pages, self.limits.memory_bytes),
                format!(
                    "The plugin starts with {pages} pages of 64 KiB, over the limit of {} bytes",
                    self.limits.memory_bytes
                ),
            ));
        }
        if need.max_initial_table_size.unwrap_or(0) > self.limits.table_elements as u64 || need.num_tables > 1 {
            return Err(Failure::new(
                "plugin_limit",
                "插件的表超过上限",
                format!("The plugin's table is over the limit of {} elements", self.limits.table_elements),
            ));
        }
        let compiled = Arc::new(Compiled { sha256: sha256.clone(), size, needs, module, prepared: Mutex::default() });
        self.modules.write().unwrap_or_else(|e| e.into_inner()).insert(sha256, compiled.clone());
        Ok(compiled)
    }

    /// The effective deadline of a step that asks for `timeout_ms`: the default when it names
    /// none, never over the district's cap.
    pub fn deadline_ms(&self, timeout_ms: Option<u64>) -> u64 {
        timeout_ms.unwrap_or(self.limits.timeout_ms).clamp(1, self.limits.max_timeout_ms)
    }

    /// Calls `plugin` with `input`, granting `grants`. Synchronous and bounded by the
    /// deadline; on a multi-threaded runtime the worker hands its other tasks off first
    /// (`block_in_place`), so a slow plugin never holds up other requests.
    pub fn call(
        &self,
        plugin: &Compiled,
        label: &str,
        grants: &[Capability],
        input: &Value,
        timeout_ms: Option<u64>,
    ) -> Result<Value, Failure> {
        let pre = self.prepared(plugin, grants)?;
        let timeout = self.deadline_ms(timeout_ms);
        let run = || call::run(&self.engine, &pre, label, input, &self.limits, timeout);
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(run)
            }
            _ => run(),
        }
    }

    /// The `InstancePre` of `plugin` with `grants` (sorted, deduplicated), made once.
    fn prepared(&self, plugin: &Compiled, grants: &[Capability]) -> Result<Arc<InstancePre<Host>>, Failure> {
        let mut key: Vec<Capability> = grants.iter().copied().filter(|c| plugin.needs.contains(c)).collect();
        key.sort_by_key(|c| c.name());
        key.dedup();
        let mut prepared = plugin.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pre) = prepared.get(&key) {
            return Ok(pre.clone());
        }
        let pre = Arc::new(call::prepare(&self.engine, &plugin.module, &key)?);
        prepared.insert(key, pre.clone());
        Ok(pre)
    }
}

impl Drop for Plugins {
    fn drop(&mut self) {
        self.ticking.store(false, Ordering::Relaxed);
    }
}

fn busy() -> Failure {
    Failure::new("plugin_busy", "插件服务繁忙，请稍后重试", "The plugin host is busy; retry later")
}

#[cfg(test)]
mod tests;
