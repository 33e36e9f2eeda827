//! Plugins end to end: upload (and the refusals: WASI, a forbidden import, not a module), a
//! plugin step that maps fields in and out — and cannot write anything else —, each hostile
//! fixture failing its step within its limit while ordinary requests go on, retrying a failed
//! step, and which apps use a plugin.

use std::time::{Duration, Instant};

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, TOKEN, TestApp, minyi_answers, spawn};

/// A fixture of `examples/plugins/wat`, compiled to a module.
fn plugin(name: &str) -> Vec<u8> {
    let path = format!("{}/../examples/plugins/wat/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn upload(app: &TestApp, bytes: Vec<u8>, name: &str, version: &str) -> (StatusCode, Value) {
    let r = app
        .post(&format!("/api/v1/plugins?name={name}&version={version}"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// An app whose second step calls `reference`, mapping `plate` in and `/input/plate` out to
/// `echoed` (and `/input/secret` to `note`, which the plugin never sees, so never writes).
fn app_with(id: &str, reference: &str, timeout_ms: Option<u64>) -> Value {
    let text = |key: &str, zh: &str, en: &str| json!({"key": key, "type": "text", "label": {"zh-CN": zh, "en": en}});
    let mut config = json!({"plugin": reference, "input": {"plate": "plate"}, "output": {"/input/plate": "echoed", "/input/secret": "note", "step": "echoed_step"}});
    if let Some(t) = timeout_ms {
        config["timeout_ms"] = json!(t);
    }
    json!({
        "id": id, "version": "1.0.0",
        "name": {"zh-CN": "车牌核对", "en": "Plate check"},
        "category": "vehicles-parking",
        "access": {"submit": "public"},
        "record": {"fields": [
            {"key": "plate", "type": "text", "label": {"zh-CN": "车牌", "en": "Plate"}, "required": true},
            text("secret", "内部备注", "Internal note"),
            text("note", "备注", "Note"),
            text("echoed", "回显", "Echoed"),
            text("echoed_step", "步骤", "Step"),
        ]},
        "steps": [
            {"id": "report", "block": "form", "config": {"who": ["public"], "fields": ["plate", "secret"]}},
            {"id": "check", "block": "plugin", "config": config},
            {"id": "handle", "block": "handle", "config": {}}
        ],
        "transitions": [{"from": "report", "to": "check"}, {"from": "check", "to": "handle"}]
    })
}

async fn save(app: &TestApp, def: &Value) {
    let r = app.post("/api/v1/apps").bearer_auth(TOKEN).json(def).send().await.unwrap();
    let status = r.status();
    assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    let (_, events) = app.admin_get(&format!("/api/v1/cases/{id}/events")).await;
    events.as_array().cloned().unwrap_or_default()
}

async fn retry(app: &TestApp, id: &str) -> (StatusCode, Value) {
    let r = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer_auth(TOKEN)
        .json(&json!({"action": "retry"}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn uploads_are_checked(app: TestApp) {
    let (status, first) = upload(&app, plugin("echo"), "echo", "1.0.0").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["reference"], format!("sha256:{}", first["sha256"].as_str().unwrap()));
    let (status, again) = upload(&app, plugin("echo"), "echo", "1.0.0").await;
    assert_eq!((status, &again["created"]), (StatusCode::OK, &json!(false)));
    // The same name and version with other bytes: a conflict, nothing changed.
    let (status, _) = upload(&app, plugin("noop"), "echo", "1.0.0").await;
    assert_eq!(status, StatusCode::CONFLICT);

    for (fixture, import) in [("wasi_import", "wasi_snapshot_preview1.fd_write"), ("forbidden_import", "env.getenv")] {
        let (status, problem) = upload(&app, plugin(fixture), fixture.replace('_', "-").as_str(), "1.0.0").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["code"], "plugin_forbidden_import");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(import), "{problem}");
    }
    let (status, problem) = upload(&app, b"not wasm".to_vec(), "junk", "1.0.0").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plugin_invalid_module")));
    let (status, _) = upload(&app, plugin("echo"), "Bad Name", "1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Refused uploads stored nothing.
    let (_, list) = app.admin_get("/api/v1/plugins").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo"]);
    // Nobody logged in cannot upload or list.
    let r = app.post("/api/v1/plugins?name=x&version=1").body(plugin("echo")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A plugin serves the whole deployment: with a second district, one district's admin may
    // no longer upload (before, any one top unit's admin could, whichever came first).
    let district = app.login("district").await;
    let r = district
        .client
        .post(app.url("/api/v1/plugins?name=other&version=1"))
        .body(plugin("echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "one district: its admin uploads");
    let unit = json!({"id": "nanshan", "kind": "district", "name_zh": "南山区", "name_en": "Nanshan"});
    let r = app.post("/api/v1/org-units").bearer_auth(baida_tests::TOKEN).json(&unit).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // The org tree is cached for up to 10 s: wait until this process sees the new district.
    app.running.state.engine.org_tree_changed().await;
    let r = district
        .client
        .post(app.url("/api/v1/plugins?name=other&version=2"))
        .body(plugin("echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

baida_tests::both!(uploads, uploads_are_checked);

async fn a_plugin_step_maps_fields_in_and_out(app: TestApp) {
    upload(&app, plugin("echo"), "echo", "1.0.0").await;
    save(&app, &app_with("plate-check", "echo@1.0.0", None)).await;
    let (status, created) =
        app.submit("plate-check", "xinzhou", json!({"plate": "粤B12345", "secret": "不要给插件看"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["current_step"], "handle", "the plugin step ran at once");
    let id = created["id"].as_str().unwrap();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    let record = &case["record"];
    assert_eq!(record["echoed"], "粤B12345");
    assert_eq!(record["secret"], "不要给插件看");
    // The plugin saw only `plate`: `/input/secret` was not there, so `note` stayed empty; the
    // unmapped keys of its output (`case_id`, `params`, …) went nowhere.
    assert!(record.get("note").is_none_or(Value::is_null), "{record}");
    assert_eq!(record["echoed_step"], "check", "a mapped top-level key is written");
    assert!(record.get("case_id").is_none() && record.get("input").is_none(), "{record}");
    let ran = events(&app, id).await.into_iter().find(|e| e["kind"] == "plugin.ran").expect("plugin.ran");
    assert_eq!(ran["data"]["changed"], json!(["echoed", "echoed_step"]));

    // Which apps use it.
    let (status, echo) = app.admin_get("/api/v1/plugins/echo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(echo["versions"][0]["version"], "1.0.0");
    assert_eq!(
        echo["used_by"],
        json!([{"app_id": "plate-check", "app_version": "1.0.0", "step": "check", "reference": "echo@1.0.0"}])
    );
    let (status, _) = app.admin_get("/api/v1/plugins/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

baida_tests::both!(mapping, a_plugin_step_maps_fields_in_and_out);

async fn a_missing_plugin_fails_the_step_until_it_is_uploaded(app: TestApp) {
    save(&app, &app_with("plate-later", "later@1.0.0", None)).await;
    let (status, created) = app.submit("plate-later", "xinzhou", json!({"plate": "粤B12345"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["current_step"], "check", "the case waits at the failed step");
    let failed = events(&app, id).await.into_iter().find(|e| e["kind"] == "plugin.failed").expect("plugin.failed");
    assert_eq!(failed["data"]["code"], "plugin_not_found");
    assert!(failed["data"]["message"]["zh-CN"].as_str().unwrap().contains("later@1.0.0"));
    assert!(failed["data"]["message"]["en"].as_str().unwrap().contains("later@1.0.0"));
    // Nobody can complete an automatic step by hand.
    let r = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer_auth(TOKEN)
        .json(&json!({"action": "complete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    upload(&app, plugin("echo"), "later", "1.0.0").await;
    let (status, case) = retry(&app, id).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["current_step"], "handle");
    assert_eq!(case["record"]["echoed"], "粤B12345");
    // Retrying a human step is refused.
    let (status, _) = retry(&app, id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

baida_tests::both!(retry_after_upload, a_missing_plugin_fails_the_step_until_it_is_uploaded);

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn hostile_plugins_fail_their_step_and_nothing_else(app: TestApp) {
    let hostile = [
        ("endless_loop", "plugin_timeout"),
        ("memory_growth", "plugin_limit"),
        ("table_growth", "plugin_limit"),
        ("trap", "plugin_trap"),
        ("stack_overflow", "plugin_trap"),
        ("huge_output", "plugin_output_too_large"),
        ("bad_pointer", "plugin_bad_output"),
        ("bad_json", "plugin_bad_output"),
    ];
    for (fixture, _) in hostile {
        let name = fixture.replace('_', "-");
        let (status, body) = upload(&app, plugin(fixture), &name, "1.0.0").await;
        assert_eq!(status, StatusCode::CREATED, "{fixture}: {body}");
        save(&app, &app_with(&format!("app-{name}"), &format!("{name}@1.0.0"), None)).await;
    }
    let rss_before = rss_kib();
    for round in 0..3 {
        for (fixture, code) in hostile {
            let name = fixture.replace('_', "-");
            // An ordinary submission at the same time as the hostile one.
            let started = Instant::now();
            let app_id = format!("app-{name}");
            let (hostile_answer, ordinary) =
                tokio::join!(app.submit(&app_id, "xinzhou", json!({"plate": "粤B12345"})), async {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let t = Instant::now();
                    let answer = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
                    (answer, t.elapsed())
                });
            let (status, created) = hostile_answer;
            assert_eq!(status, StatusCode::CREATED, "{fixture}: {created}");
            assert_eq!(created["current_step"], "check", "{fixture}");
            assert!(started.elapsed() < Duration::from_secs(2), "{fixture} took {:?}", started.elapsed());
            let ((ordinary_status, _), ordinary_took) = ordinary;
            assert_eq!(ordinary_status, StatusCode::CREATED);
            assert!(
                ordinary_took < Duration::from_millis(1500),
                "an ordinary submission took {ordinary_took:?} beside {fixture}"
            );
            let id = created["id"].as_str().unwrap();
            let failed =
                events(&app, id).await.into_iter().find(|e| e["kind"] == "plugin.failed").expect("plugin.failed");
            assert_eq!(failed["data"]["code"], code, "{fixture}: {failed}");
            if round == 0 {
                // A retry fails the same way and leaves the case where it was.
                let (status, case) = retry(&app, id).await;
                assert_eq!(status, StatusCode::OK, "{case}");
                assert_eq!(case["current_step"], "check");
                let failures = events(&app, id).await.iter().filter(|e| e["kind"] == "plugin.failed").count();
                assert_eq!(failures, 2, "{fixture}");
            }
        }
    }
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 256, "the server grew by {grown_mib} MiB running hostile plugins");
    let r = app.get("/healthz").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

baida_tests::both!(hostile, hostile_plugins_fail_their_step_and_nothing_else);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_asking_for_more_than_the_cap_gets_the_cap() {
    let app = spawn(Backend::Sqlite).await;
    upload(&app, plugin("endless_loop"), "endless", "1.0.0").await;
    save(&app, &app_with("slow", "endless@1.0.0", Some(10_000))).await;
    let started = Instant::now();
    let (status, created) = app.submit("slow", "xinzhou", json!({"plate": "粤B12345"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1000) && took < Duration::from_millis(2500), "{took:?}");
    // Over the absolute maximum, the definition itself is refused.
    let r = app
        .post("/api/v1/apps")
        .bearer_auth(TOKEN)
        .json(&app_with("slower", "endless@1.0.0", Some(60_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/steps/1/config/timeout_ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_adds_and_lists_plugins_with_the_same_checks() {
    use baida::cli::PluginCommand;
    use baida::plugin_cli;
    use baida_engine::plugin::Limits;

    let app = spawn(Backend::Sqlite).await;
    let store = app.running.store.clone();
    let dir = tempfile::tempdir().unwrap();
    let (echo, wasi) = (dir.path().join("echo.wasm"), dir.path().join("wasi.wasm"));
    std::fs::write(&echo, plugin("echo")).unwrap();
    std::fs::write(&wasi, plugin("wasi_import")).unwrap();
    let add = |file: &std::path::Path, name: &str| PluginCommand::Add {
        file: file.to_path_buf(),
        name: name.into(),
        version: "1.0.0".into(),
    };
    let code = plugin_cli::plugin(store.as_ref(), Limits::default(), add(&echo, "echo")).await.unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let code = plugin_cli::plugin(store.as_ref(), Limits::default(), add(&wasi, "wasi")).await.unwrap();
    assert_eq!(code, std::process::ExitCode::FAILURE, "a WASI import is refused");
    let code = plugin_cli::plugin(store.as_ref(), Limits::default(), PluginCommand::List).await.unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    // What the command line added, the server lists.
    let (_, list) = app.admin_get("/api/v1/plugins").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_without_a_name_is_a_problem_not_a_crash() {
    let app = spawn(Backend::Sqlite).await;
    let r = app
        .post("/api/v1/plugins")
        .bearer_auth(TOKEN)
        .header("content-type", "application/wasm")
        .body(plugin("echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "bad_query");
}
