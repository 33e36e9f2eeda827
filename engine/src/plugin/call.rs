//! One call of a plugin: a fresh `Store` with its limits and deadline, an instance from the
//! cached `InstancePre`, the input written through `alloc`, `run`, and the output read back
//! with every pointer, length, UTF-8 and JSON check. Every way it can go wrong becomes a
//! [`Failure`]; nothing here panics on what a module does.

use std::time::Instant;

use baida_blocks::Text;
use serde_json::Value;
use wasmtime::{Caller, Engine, InstancePre, Linker, Module, ResourceLimiter, Store, Trap};

use super::abi::{self, Capability, HOST_MODULE};
use super::{Failure, Limits};

/// What a call's `Store` holds: its limits and what the host functions need.
pub struct Host {
    limiter: Limiter,
    plugin: String,
    logs: u32,
}

/// Memory, table and instance limits of one call; remembers which one stopped the plugin.
struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    hit: Option<&'static str>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit = Some("memory");
            return Err(wasmtime::format_err!("the plugin's memory is over its limit"));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.hit = Some("table");
            return Err(wasmtime::format_err!("the plugin's table is over its limit"));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// The linker holding the host functions `grants` allow (`log` always).
pub fn linker(engine: &Engine, grants: &[Capability]) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(HOST_MODULE, "log", |mut caller: Caller<'_, Host>, level: i32, ptr: i32, len: i32| {
            log(&mut caller, level, ptr, len);
        })
        .expect("one definition of baida.log");
    if grants.contains(&Capability::Clock) {
        linker
            .func_wrap(HOST_MODULE, "now_ms", || -> i64 { chrono::Utc::now().timestamp_millis() })
            .expect("one definition of baida.now_ms");
    }
    linker
}

/// At most this many log lines per call, each cut to [`LOG_LINE_BYTES`].
const LOG_LINES: u32 = 16;
const LOG_LINE_BYTES: usize = 1024;

fn log(caller: &mut Caller<'_, Host>, level: i32, ptr: i32, len: i32) {
    if caller.data().logs >= LOG_LINES {
        return;
    }
    caller.data_mut().logs += 1;
    let Some(memory) = caller.get_export("memory").and_then(|e| e.into_memory()) else { return };
    let data = memory.data(&caller);
    let (start, len) = (ptr as u32 as usize, (len as u32 as usize).min(LOG_LINE_BYTES));
    let Some(bytes) = data.get(start..start.saturating_add(len)) else { return };
    let text = String::from_utf8_lossy(bytes);
    let plugin = caller.data().plugin.as_str();
    match level {
        0 => tracing::debug!(plugin, "{text}"),
        1 => tracing::info!(plugin, "{text}"),
        2 => tracing::warn!(plugin, "{text}"),
        _ => tracing::error!(plugin, "{text}"),
    }
}

/// Prepares instantiation of `module` with the host functions `grants` allow; fails, naming
/// the import, when the module needs one that is not granted.
pub fn prepare(engine: &Engine, module: &Module, grants: &[Capability]) -> Result<InstancePre<Host>, Failure> {
    linker(engine, grants).instantiate_pre(module).map_err(|e| {
        Failure::new(
            "plugin_not_granted",
            format!("插件需要的能力没有授予：{e}"),
            format!("The plugin needs a capability the step does not grant: {e}"),
        )
    })
}

/// Runs the plugin once with `input`, within `limits` and `timeout_ms`.
pub fn run(
    engine: &Engine,
    pre: &InstancePre<Host>,
    plugin: &str,
    input: &Value,
    limits: &Limits,
    timeout_ms: u64,
) -> Result<Value, Failure> {
    let started = Instant::now();
    let host = Host {
        limiter: Limiter { memory_bytes: limits.memory_bytes, table_elements: limits.table_elements, hit: None },
        plugin: plugin.to_string(),
        logs: 0,
    };
    let mut store = Store::new(engine, host);
    store.limiter(|h| &mut h.limiter);
    store.set_epoch_deadline(super::ticks(timeout_ms));
    store.epoch_deadline_trap();
    let result = call(&mut store, pre, input, limits);
    result.map_err(|e| match e {
        CallError::Failure(f) => f,
        CallError::Wasm(e) => classify(&e, store.data().limiter.hit, started, timeout_ms),
    })
}

enum CallError {
    Failure(Failure),
    Wasm(wasmtime::Error),
}

impl From<wasmtime::Error> for CallError {
    fn from(e: wasmtime::Error) -> Self {
        CallError::Wasm(e)
    }
}

fn bad_output(zh: impl Into<String>, en: impl Into<String>) -> CallError {
    CallError::Failure(Failure::new("plugin_bad_output", zh, en))
}

fn call(store: &mut Store<Host>, pre: &InstancePre<Host>, input: &Value, limits: &Limits) -> Result<Value, CallError> {
    let instance = pre.instantiate(&mut *store)?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or_else(|| bad_output("插件没有导出内存", "The plugin exports no memory"))?;
    let version = instance.get_typed_func::<(), i32>(&mut *store, "abi_version")?.call(&mut *store, ())?;
    if version != abi::ABI_VERSION {
        return Err(CallError::Failure(Failure::new(
            "plugin_abi_version",
            format!("插件的接口版本是 {version}，本服务支持版本 {}", abi::ABI_VERSION),
            format!("The plugin speaks ABI version {version}; this server speaks {}", abi::ABI_VERSION),
        )));
    }
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    let len = i32::try_from(bytes.len()).map_err(|_| bad_output("输入过大", "The input is too large"))?;
    let ptr = instance.get_typed_func::<i32, i32>(&mut *store, "alloc")?.call(&mut *store, len)?;
    let start = ptr as u32 as usize;
    let in_bounds = start != 0 && start.checked_add(bytes.len()).is_some_and(|end| end <= memory.data_size(&*store));
    if !in_bounds {
        return Err(bad_output(
            format!("插件的 alloc 返回了无效的地址 {ptr}"),
            format!("The plugin's alloc gave an invalid address {ptr}"),
        ));
    }
    memory
        .write(&mut *store, start, &bytes)
        .map_err(|_| bad_output("无法写入插件内存", "Cannot write the plugin's memory"))?;
    let packed = instance.get_typed_func::<(i32, i32), i64>(&mut *store, "run")?.call(&mut *store, (ptr, len))?;
    let (out_ptr, out_len) = abi::unpack(packed);
    let (out_ptr, out_len) = (out_ptr as usize, out_len as usize);
    if out_len > limits.output_bytes {
        return Err(CallError::Failure(Failure::new(
            "plugin_output_too_large",
            format!("插件输出 {out_len} 字节，超过上限 {} 字节", limits.output_bytes),
            format!("The plugin's output is {out_len} bytes, over the limit of {} bytes", limits.output_bytes),
        )));
    }
    let data = memory.data(&*store);
    let Some(out) = out_ptr.checked_add(out_len).and_then(|end| data.get(out_ptr..end)) else {
        return Err(bad_output(
            format!("插件输出的地址越界：{out_ptr}+{out_len}，内存只有 {} 字节", data.len()),
            format!("The plugin's output is out of bounds: {out_ptr}+{out_len} in a memory of {} bytes", data.len()),
        ));
    };
    let text = std::str::from_utf8(out).map_err(|e| {
        bad_output(format!("插件输出不是有效的 UTF-8：{e}"), format!("The plugin's output is not valid UTF-8: {e}"))
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad_output(format!("插件输出不是有效的 JSON：{e}"), format!("The plugin's output is not valid JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(bad_output("插件输出应当是 JSON 对象", "The plugin's output must be a JSON object"));
    }
    Ok(value)
}

/// Turns what stopped the plugin into a failure people can act on.
fn classify(e: &wasmtime::Error, hit: Option<&'static str>, started: Instant, timeout_ms: u64) -> Failure {
    if let Some(what) = hit {
        return Failure::new(
            "plugin_limit",
            format!("插件超出了{}上限", if what == "memory" { "内存" } else { "表" }),
            format!("The plugin went over its {what} limit"),
        );
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Failure::new(
            "plugin_timeout",
            format!("插件运行超过 {timeout_ms} 毫秒，已被中止"),
            format!("The plugin ran longer than {timeout_ms} ms and was stopped"),
        ),
        Some(Trap::StackOverflow) => {
            Failure::new("plugin_trap", "插件调用栈溢出", "The plugin overflowed its call stack")
        }
        Some(trap) => {
            Failure::new("plugin_trap", format!("插件运行出错（陷阱）：{trap}"), format!("The plugin trapped: {trap}"))
        }
        None => {
            let detail = format!("{e}");
            let elapsed = started.elapsed().as_millis();
            if detail.contains("pooling") || detail.contains("maximum concurrent") {
                Failure::new(
                    "plugin_busy",
                    "同时运行的插件过多，请稍后重试",
                    "Too many plugins are running at once; retry later",
                )
            } else {
                Failure::new(
                    "plugin_trap",
                    format!("插件运行失败（{elapsed} 毫秒）：{detail}"),
                    format!("The plugin failed after {elapsed} ms: {detail}"),
                )
            }
        }
    }
}

impl Failure {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure { code, message: Text::new(zh, en) }
    }
}
