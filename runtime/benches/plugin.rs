//! The plugin benchmark, three comparisons in one run:
//!
//! 1. **A no-op plugin call**: Baida's call (`Plugins::call`: a fresh `Store` with limits and a
//!    deadline, an instance from the cached `InstancePre` in the pooling allocator, the input
//!    JSON written through `alloc`, `run`, the output read and parsed) against bare wasmtime
//!    (default engine, `Linker::instantiate` into a fresh `Store`, `run` called with no input)
//!    and against a call on one live instance. The no-op module is
//!    `examples/plugins/wat/noop.wat`.
//! 2. **rhai**: a condition evaluated from its cached AST against compiled and run each time.
//! 3. **Submissions with a no-op plugin step**: the demo 民意速办 app against a copy with a
//!    no-op plugin step after intake (and one with a no-op script step instead, to tell the
//!    cost of the plugin from the cost of one more automatic step and its event), 32 submissions at a time through `Engine::submit` (in
//!    process, SQLite, group commit) for 3 s each (`BAIDA_BENCH_SECONDS`). The goal is a ratio
//!    of at least 0.85.
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/baida-target cargo bench -p baida --bench plugin
//! ```
//!
//! The result is a markdown table on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use baida::server;
use baida_blocks::script::Script;
use baida_engine::plugin::{Limits, Plugins, registry};
use baida_engine::{Engine, Submission, SystemClock};
use baida_web::config::Config;
use serde_json::{Value, json};

mod common;
use common::minyi_answers;

fn noop() -> anyhow::Result<Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/plugins/wat/noop.wat");
    Ok(wat::parse_file(path)?)
}

/// Microseconds per call of `f`, over `n` calls after `n / 10` warm-up calls.
fn per_call(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    for _ in 0..n / 10 {
        f()?;
    }
    let start = Instant::now();
    for _ in 0..n {
        f()?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / n as f64)
}

async fn plugin_calls() -> anyhow::Result<Vec<(String, f64)>> {
    let bytes = noop()?;
    let plugins = Plugins::new(Limits::default()).map_err(|f| anyhow::anyhow!("{f}"))?;
    let compiled = plugins.compile(bytes.clone()).await.map_err(|f| anyhow::anyhow!("{f}"))?;
    let input =
        json!({"abi_version": 1, "step": "noop", "case_id": "0190", "input": {"category": "noise"}, "params": null});
    let n = 20_000;
    let baida = per_call(n, || {
        plugins.call(&compiled, "noop", &[], &input, None).map(drop).map_err(|f| anyhow::anyhow!("{f}"))
    })?;

    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, &bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let linker: wasmtime::Linker<()> = wasmtime::Linker::new(&engine);
    let fresh = per_call(n, || {
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).map_err(|e| anyhow::anyhow!("{e}"))?;
        let run = instance.get_typed_func::<(i32, i32), i64>(&mut store, "run").map_err(|e| anyhow::anyhow!("{e}"))?;
        run.call(&mut store, (0, 0)).map(drop).map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).map_err(|e| anyhow::anyhow!("{e}"))?;
    let run = instance.get_typed_func::<(i32, i32), i64>(&mut store, "run").map_err(|e| anyhow::anyhow!("{e}"))?;
    let live = per_call(n * 10, || run.call(&mut store, (0, 0)).map(drop).map_err(|e| anyhow::anyhow!("{e}")))?;
    Ok(vec![
        ("Baida plugin call (fresh Store, InstancePre, JSON in and out)".into(), baida),
        ("bare wasmtime: fresh Store + instantiate + call".into(), fresh),
        ("bare wasmtime: call on a live instance".into(), live),
    ])
}

fn scripts() -> anyhow::Result<Vec<(String, f64)>> {
    let source = r#"record.category == "noise" && record.title.len() > 3"#;
    let record = json!({"category": "noise", "title": "工地夜间施工噪音"});
    let cached = Script::compile(source).map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = 50_000;
    let cached_us = per_call(n, || cached.eval_bool(&record, None).map(drop).map_err(|e| anyhow::anyhow!("{e}")))?;
    let fresh_us = per_call(n / 5, || {
        let s = Script::compile(source).map_err(|e| anyhow::anyhow!("{e}"))?;
        s.eval_bool(&record, None).map(drop).map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    Ok(vec![("rhai: cached AST".into(), cached_us), ("rhai: compile and run".into(), fresh_us)])
}

/// The demo 民意速办 app saved as `id`, with `step` (id `noop`) after intake.
fn with_step(definition: &Value, id: &str, step: Value) -> anyhow::Result<Value> {
    let mut def = definition.clone();
    def["id"] = json!(id);
    let steps = def["steps"].as_array_mut().context("steps")?;
    let first = steps[0]["id"].as_str().context("a first step")?.to_string();
    steps.insert(1, step);
    let transitions = def["transitions"].as_array_mut().context("transitions")?;
    for t in transitions.iter_mut() {
        if t["from"] == json!(first) {
            t["from"] = json!("noop");
        }
    }
    transitions.push(json!({"from": first, "to": "noop"}));
    Ok(def)
}

/// Submissions per second to `app_id`, 32 at a time for `seconds`.
async fn throughput(engine: &Arc<Engine>, app_id: &str, seconds: Duration) -> anyhow::Result<f64> {
    let submission = |app_id: &str| Submission {
        app_id: app_id.into(),
        version: None,
        community_id: "xinzhou".into(),
        answers: minyi_answers(),
        channel: "api".into(),
        actor: "public".into(),
        resident_id: None,
        staff: false,
        case_id: None,
        uploader: None,
    };
    let start = Instant::now();
    let deadline = start + seconds;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (engine, app_id) = (engine.clone(), app_id.to_string());
        let s = submission(&app_id);
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                engine.submit(s.clone()).await.map_err(|e| anyhow::anyhow!("{app_id}: {e}"))?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// Submissions per second: without an extra step, with a no-op plugin step, with a no-op
/// script step (the cost of one more automatic step and its event, without wasm).
async fn submissions() -> anyhow::Result<(f64, f64, f64)> {
    let dir = tempfile::tempdir()?;
    let config = Config { data_dir: dir.path().to_path_buf(), demo: true, ..Config::default() };
    let (state, store) = server::state(config, Arc::new(SystemClock)).await?;
    let engine = state.engine.clone();
    registry::add(&engine.plugins, store.as_ref(), noop()?, "noop", "1.0.0", "bench", chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = store.app_version("minyi-suban", None).await?.context("the demo app")?;
    let owner = base.owner_id.clone();
    let plugin = json!({"id": "noop", "block": "plugin", "config": {"plugin": "noop@1.0.0"}});
    let script = json!({"id": "noop", "block": "script", "config": {"run": "#{}"}});
    for (id, step) in [("minyi-plugin", plugin), ("minyi-script", script)] {
        let def = with_step(&base.definition, id, step)?;
        state.apps.save(def, &owner, "bench").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let seconds =
        Duration::from_secs(std::env::var("BAIDA_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3));
    // Warm up both, then alternate so neither gets a warmer database.
    for app in ["minyi-suban", "minyi-plugin", "minyi-script"] {
        throughput(&engine, app, Duration::from_millis(500)).await?;
    }
    let (mut without, mut with, mut script) = (0.0, 0.0, 0.0);
    for _ in 0..2 {
        without += throughput(&engine, "minyi-suban", seconds).await?;
        with += throughput(&engine, "minyi-plugin", seconds).await?;
        script += throughput(&engine, "minyi-script", seconds).await?;
    }
    Ok((without / 2.0, with / 2.0, script / 2.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls = plugin_calls().await?;
    let scripts = scripts()?;
    eprintln!("measuring submissions…");
    let (without, with, script) = submissions().await?;

    println!("| what | µs per call |");
    println!("|---|---:|");
    for (what, us) in calls.iter().chain(&scripts) {
        println!("| {what} | {us:.2} |");
    }
    println!();
    println!("- Baida call / bare fresh-instance call: {:.2}× the time", calls[0].1 / calls[1].1);
    println!("- rhai compile-and-run / cached AST: {:.1}× the time", scripts[1].1 / scripts[0].1);
    println!();
    println!("| submissions (SQLite, group commit, 32 at a time, in process) | per second |");
    println!("|---|---:|");
    println!("| 民意速办 | {without:.0} |");
    println!("| 民意速办 + a no-op plugin step | {with:.0} |");
    println!("| 民意速办 + a no-op script step | {script:.0} |");
    println!();
    println!("- ratio with / without the plugin step: {:.3} (goal ≥ 0.85)", with / without);
    println!("- ratio with the plugin step / with a script step: {:.3}", with / script);
    Ok(())
}
