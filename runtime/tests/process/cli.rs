//! The `baida` command line, run as a person would: `validate` prints every problem with its
//! pointer and hint and exits non-zero; `verify` finds an edited, deleted or reordered event.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use baida_engine::SystemClock;
use baida_web::config::Config;
use serde_json::json;

fn baida(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baida"))
        .args(args)
        .env_remove("BAIDA_DATABASE_URL")
        .output()
        .expect("baida runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn validate_prints_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates-library/apps/nuoche-e-zhan.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        json!({"id": "bad-app", "version": "1.0.0", "name": "坏", "category": "t",
               "record": {"fields": [{"key": "a", "type": "text"}, {"key": "a", "type": "text"}]},
               "steps": [{"id": "s", "block": "form", "config": {}}, {"id": "x", "block": "teleport", "config": {}}]})
        .to_string(),
    )
    .unwrap();
    let (code, out) = baida(&["validate", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("通过"));
    let (code, out) = baida(&["validate", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("/record/fields/1/key") && out.contains("duplicate_key"), "{out}");
    assert!(out.contains("/steps/1/block") && out.contains("不认识的积木类型"), "{out}");
    assert!(out.contains("提示："), "hints are printed: {out}");
    let (_, out) = baida(&["validate", "--lang", "en", bad.to_str().unwrap()]);
    assert!(out.contains("Unknown block kind") && out.contains("hint:"), "{out}");
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    let (code, out) = baida(&["validate", dir.path().join("broken.json").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("not valid JSON") && out.contains("line 1"), "{out}");
}

#[test]
fn help_explains_the_commands() {
    let (code, out) = baida(&["--help"]);
    assert_eq!(code, 0);
    for word in ["serve", "validate", "migrate", "verify", "BAIDA_"] {
        assert!(out.contains(word), "{word} in {out}");
    }
    let (code, out) = baida(&["serve", "--timezone", "Mars/Olympus", "--data-dir", "/nonexistent/x"]);
    assert_eq!(code, 1);
    assert!(out.contains("unknown time zone") && out.contains("Asia/Shanghai"), "{out}");
}

/// Creates three cases in a fresh SQLite data folder, then stops the server.
async fn data_with_cases(dir: &Path) {
    let config =
        Config { listen: "127.0.0.1:0".parse().unwrap(), data_dir: dir.to_path_buf(), demo: true, ..Config::default() };
    let running = baida::server::start(config, Arc::new(SystemClock)).await.unwrap();
    let client = reqwest::Client::new();
    for i in 0..3 {
        let answers = json!({"category": "noise", "subcategory": "construction_noise", "title": format!("夜间施工 {i}"),
            "description": "工地每天晚上十一点以后还在施工，噪音很大", "anonymous": false, "contact_name": "李明", "contact_phone": "13812345678",
            "location": {"lon": 114.05, "lat": 22.53, "address": "新洲路"}});
        let r = client
            .post(format!("http://{}/api/v1/apps/minyi-suban/submissions", running.addr))
            .json(&json!({"community": "xinzhou", "answers": answers}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_edited_deleted_and_reordered_events() {
    let dir = tempfile::tempdir().unwrap();
    data_with_cases(dir.path()).await;
    let data = dir.path().to_str().unwrap();
    let (code, out) = baida(&["verify", "--data-dir", data]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified 3 cases, 9 events: 0 broken"), "{out}");

    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}/baida.db", data)).await.unwrap();
    let cases: Vec<(String, String)> =
        sqlx::query_as("SELECT id, number FROM cases WHERE app_id = 'minyi-suban' ORDER BY seq")
            .fetch_all(&db)
            .await
            .unwrap();

    // Edit the record inside the first case's first event.
    sqlx::query(
        "UPDATE case_events SET data = json_set(data, '$.record.title', '改过的标题') WHERE case_id = ? AND seq = 1",
    )
    .bind(&cases[0].0)
    .execute(&db)
    .await
    .unwrap();
    // Delete the second case's last event.
    sqlx::query("DELETE FROM case_events WHERE case_id = ? AND seq = 3").bind(&cases[1].0).execute(&db).await.unwrap();
    // Swap the third case's two events.
    sqlx::query("UPDATE case_events SET seq = -seq WHERE case_id = ? AND seq IN (1, 2)")
        .bind(&cases[2].0)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE case_events SET seq = 3 + seq WHERE case_id = ? AND seq < 0")
        .bind(&cases[2].0)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;

    let (code, out) = baida(&["verify", "--data-dir", data]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("BROKEN case {}", cases[0].1)) && out.contains("event 1 was changed"), "{out}");
    assert!(out.contains(&format!("BROKEN case {}", cases[1].1)) && out.contains("an event was removed"), "{out}");
    assert!(out.contains(&format!("BROKEN case {}", cases[2].1)), "{out}");
    assert!(out.contains("3 broken"), "{out}");
}

#[test]
fn version_names_the_commit() {
    let (code, out) = baida(&["--version"]);
    assert_eq!(code, 0);
    let line = out.lines().next().unwrap_or_default();
    assert!(line.starts_with(&format!("baida {} (commit ", env!("CARGO_PKG_VERSION"))), "{out}");
    let commit = line.split("commit ").nth(1).unwrap_or_default();
    assert!(commit.starts_with("unknown") || commit.chars().take(12).all(|c| c.is_ascii_hexdigit()), "{out}");
}
