//! Each fixture of `examples/plugins/wat` against the host: the ordinary one answers, each
//! hostile one fails with its code within its limit, and the forbidden imports are refused.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../examples/plugins/wat/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    wat::parse_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn host() -> Plugins {
    Plugins::new(Limits::default()).expect("the engine starts")
}

async fn compiled(plugins: &Plugins, name: &str) -> Arc<Compiled> {
    plugins.compile(fixture(name)).await.unwrap_or_else(|f| panic!("{name}: {f}"))
}

#[tokio::test]
async fn echo_answers_with_its_input() {
    let plugins = host();
    let echo = compiled(&plugins, "echo").await;
    assert_eq!(echo.sha256, sha256_hex(&fixture("echo")));
    let input = json!({"input": {"plate": "粤B12345"}, "params": null});
    assert_eq!(plugins.call(&echo, "echo", &[], &input, None).unwrap(), input);
    // Compiled once: the same bytes give the same module.
    assert!(Arc::ptr_eq(&echo, &compiled(&plugins, "echo").await));
}

#[tokio::test]
async fn hostile_plugins_fail_within_their_limits() {
    let plugins = host();
    for (name, code) in [
        ("endless_loop", "plugin_timeout"),
        ("memory_growth", "plugin_limit"),
        ("table_growth", "plugin_limit"),
        ("trap", "plugin_trap"),
        ("stack_overflow", "plugin_trap"),
        ("huge_output", "plugin_output_too_large"),
        ("bad_pointer", "plugin_bad_output"),
        ("bad_json", "plugin_bad_output"),
    ] {
        let plugin = compiled(&plugins, name).await;
        let started = Instant::now();
        let failure = plugins.call(&plugin, name, &[], &json!({}), Some(50)).unwrap_err();
        let took = started.elapsed();
        assert_eq!(failure.code, code, "{name}: {failure}");
        assert!(!failure.message.zh().is_empty() && !failure.message.en().is_empty());
        assert!(took < Duration::from_millis(500), "{name} took {took:?}");
    }
}

#[tokio::test]
async fn a_deadline_is_kept_and_capped() {
    let plugins = host();
    let endless = compiled(&plugins, "endless_loop").await;
    let started = Instant::now();
    let failure = plugins.call(&endless, "endless", &[], &json!({}), Some(30)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure.code, "plugin_timeout");
    assert!(took >= Duration::from_millis(30) && took < Duration::from_millis(300), "{took:?}");
    assert_eq!(plugins.deadline_ms(None), 100);
    assert_eq!(plugins.deadline_ms(Some(60_000)), 1_000);
}

#[tokio::test]
async fn forbidden_and_wasi_imports_are_refused_naming_the_import() {
    let plugins = host();
    for (name, import) in [("forbidden_import", "env.getenv"), ("wasi_import", "wasi_snapshot_preview1.fd_write")] {
        let failure = plugins.compile(fixture(name)).await.unwrap_err();
        assert_eq!(failure.code, "plugin_forbidden_import");
        assert!(failure.message.en().contains(import), "{failure}");
        assert!(failure.message.zh().contains(import), "{failure}");
    }
}

#[tokio::test]
async fn capabilities_must_be_granted() {
    let plugins = host();
    let clock = compiled(&plugins, "clock").await;
    assert_eq!(clock.needs, vec![Capability::Clock]);
    let failure = plugins.call(&clock, "clock", &[], &json!({}), None).unwrap_err();
    assert_eq!(failure.code, "plugin_not_granted", "{failure}");
    assert_eq!(plugins.call(&clock, "clock", &[Capability::Clock], &json!({}), None).unwrap(), json!({}));
}

#[tokio::test]
async fn uploads_that_are_not_plugins_are_refused() {
    let plugins = Plugins::new(Limits { module_bytes: 64, ..Limits::default() }).unwrap();
    assert_eq!(plugins.compile(fixture("echo")).await.unwrap_err().code, "plugin_too_large");
    let plugins = host();
    assert_eq!(plugins.compile(b"\0asm garbage".to_vec()).await.unwrap_err().code, "plugin_invalid_module");
    let no_run = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let failure = plugins.compile(no_run).await.unwrap_err();
    assert_eq!(failure.code, "plugin_missing_export");
    let big = wat::parse_str(
        r#"(module (memory (export "memory") 1000)
             (func (export "abi_version") (result i32) (i32.const 1))
             (func (export "alloc") (param i32) (result i32) (i32.const 0))
             (func (export "run") (param i32 i32) (result i64) (i64.const 0)))"#,
    )
    .unwrap();
    let failure = plugins.compile(big).await.unwrap_err();
    assert!(matches!(failure.code, "plugin_limit" | "plugin_invalid_module"), "{failure}");
    assert!(failure.message.en().contains("memory"), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_plugin_does_not_hold_up_other_tasks() {
    let plugins = Arc::new(host());
    let endless = compiled(&plugins, "endless_loop").await;
    let runaway = {
        let (plugins, endless) = (plugins.clone(), endless.clone());
        tokio::spawn(async move { plugins.call(&endless, "endless", &[], &json!({}), Some(400)) })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    let ordinary = tokio::spawn(async { tokio::time::sleep(Duration::from_millis(5)).await });
    ordinary.await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(150), "{:?}", started.elapsed());
    assert_eq!(runaway.await.unwrap().unwrap_err().code, "plugin_timeout");
}
