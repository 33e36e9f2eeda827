//! Schedules that run, on both backends, with a test clock: a monthly visit opens one case per
//! elderly resident living alone on the first working day of the month, filed in the resident's
//! grid and sent to its grid worker; it runs exactly once (two nodes racing, and again later);
//! after a long stop it runs once, not once per missed month; paused it opens nothing; a run
//! over its threshold waits for a confirmation; bad schedules are refused at publish.

use std::sync::Arc;

use baida_engine::ManualClock;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TOKEN, TestApp, spawn_with};
use chrono::{DateTime, Utc};

const ROWS: &str = "/api/v1/apps/elderly-visits/registers/elderly/rows";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn visits_app() -> Value {
    json!({"id": "elderly-visits", "version": "1.0.0", "name": {"zh-CN": "独居老人走访", "en": "Visits to elderly residents"},
        "category": "people",
        "registers": [{"id": "elderly", "name": {"zh-CN": "独居老人台账", "en": "Elderly living alone"}, "key": "phone",
            "fields": [
                {"key": "phone", "type": "phone", "label": {"zh-CN": "手机号", "en": "Phone"}, "required": true},
                {"key": "name", "type": "text", "label": {"zh-CN": "姓名", "en": "Name"}, "required": true},
                {"key": "lives_alone", "type": "yes_no", "label": {"zh-CN": "独居", "en": "Lives alone"}}]}],
        "record": {"fields": [
            {"key": "resident", "type": "text", "required": true},
            {"key": "phone", "type": "phone", "required": true},
            {"key": "month", "type": "text"},
            {"key": "note", "type": "textarea"}]},
        "steps": [{"id": "visit-request", "block": "form", "config": {"who": ["grid_worker"]}},
                  {"id": "to-grid", "block": "dispatch", "config": {"otherwise": "role:grid_worker"}},
                  {"id": "visit", "block": "handle", "config": {"fields": ["note"]}}],
        "transitions": [{"from": "visit-request", "to": "to-grid"}, {"from": "to-grid", "to": "visit"}],
        "triggers": [{"type": "schedule", "id": "monthly-visit", "name": {"zh-CN": "每月走访", "en": "Monthly visit"},
            "every": "month", "on": "first_working_day", "at": "09:00",
            "for_each": {"register": "elderly", "where": "row.lives_alone == true"},
            "record": {"resident": "row.name", "phone": "row.phone", "month": "today"}}]})
}

async fn publish(app: &TestApp, def: &Value) -> (StatusCode, Value) {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(def).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn visit_cases(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.admin_get("/api/v1/cases?app=elderly-visits&limit=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn run(app: &TestApp) -> usize {
    app.running.state.engine.run_due_schedules(20).await.expect("the schedules run")
}

/// Runs the due schedules until the app has `want` visit cases (the server's own scheduler,
/// ticking every second, may be the one that runs them), then checks that no more come.
async fn settle(app: &TestApp, want: usize) {
    for _ in 0..50 {
        run(app).await;
        if visit_cases(app).await.len() >= want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    run(app).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(visit_cases(app).await.len(), want, "exactly this many cases, however often it runs");
}

/// The schedule's state once `ready` holds for it (polling, as the server's scheduler may be
/// working on it).
async fn schedule_state(staff: &baida_tests::Staff, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let (_, schedules) = staff.get("/api/v1/apps/elderly-visits/schedules").await;
        if ready(&schedules[0]["state"]) {
            return schedules[0]["state"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the schedule never got there");
}

async fn schedules_run_on_the_calendar_exactly_once(backend: Backend) {
    // Monday 30 November 2026, 10:00 in Shanghai.
    let clock = Arc::new(ManualClock::new(utc("2026-11-30T02:00:00Z")));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let (status, body) = publish(&app, &visits_app()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let xinzhou = app.login("xinzhou").await;
    for (unit, phone, name, alone) in [
        ("xinzhou-grid-1", "13800000001", "王奶奶", true),
        ("xinzhou-grid-2", "13800000002", "李爷爷", true),
        ("xinzhou-grid-2", "13800000003", "张阿姨", false),
    ] {
        let (status, row) = xinzhou
            .post(ROWS, json!({"unit": unit, "values": {"phone": phone, "name": name, "lives_alone": alone}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{row}");
    }
    // The schedule is planned: Tuesday 1 December, 09:00.
    let (status, schedules) = xinzhou.get("/api/v1/apps/elderly-visits/schedules").await;
    assert_eq!(status, StatusCode::OK, "{schedules}");
    assert_eq!(schedules[0]["state"]["next_at"], "2026-12-01T01:00:00Z", "{schedules}");
    let (_, preview) = xinzhou.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/preview", json!({})).await;
    assert_eq!(preview["count"], 2, "{preview}");
    assert_eq!(preview["cases"][0]["record"]["resident"], "王奶奶", "{preview}");
    assert_eq!(preview["next"][1], "2027-01-04T01:00:00Z", "January's first working day is Monday the 4th: {preview}");
    assert_eq!(run(&app).await, 0, "not yet");
    assert!(visit_cases(&app).await.is_empty());

    // Tuesday 09:01: two nodes race for the run; it happens once.
    clock.set(utc("2026-12-01T01:01:00Z"));
    let other = app.another_node().await;
    let (a, b) = tokio::join!(run(&app), other.running.state.engine.run_due_schedules(20));
    assert!(a + b.unwrap() <= 1, "one run at most between the two");
    settle(&app, 2).await;
    let cases = visit_cases(&app).await;
    assert_eq!(cases.len(), 2, "one case per resident living alone");
    let mut seen: Vec<(String, String)> = cases
        .iter()
        .map(|c| {
            (
                c["record"]["resident"].as_str().unwrap().to_string(),
                c["assignee"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [("李爷爷".to_string(), "xinzhou-grid-2".to_string()), ("王奶奶".to_string(), "xinzhou-grid-1".to_string())],
        "each filed in the resident's grid and sent to its grid worker"
    );
    assert_eq!(cases[0]["record"]["month"], "2026-12-01");
    let grid1 = app.login("grid1").await;
    let (_, queue) = grid1.get("/api/v1/cases?limit=50").await;
    assert!(queue.to_string().contains("王奶奶") && !queue.to_string().contains("李爷爷"), "{queue}");

    // Down from 2 December to 20 March: January, February and March were missed; it runs once.
    clock.set(utc("2027-03-20T02:00:00Z"));
    // (Sessions ended while the clock moved on: log in again.)
    let xinzhou = app.login("xinzhou").await;
    let grid1 = app.login("grid1").await;
    settle(&app, 4).await; // once, not three times
    let state = schedule_state(&xinzhou, |s| s["next_at"] == "2027-04-01T01:00:00Z").await;
    assert_eq!(state["last_cases"], 2);

    // Paused: April's run opens nothing; resumed, it is due at once.
    let (status, _) = grid1.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/pause", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a grid worker does not pause the app's schedules");
    let (status, body) = xinzhou.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/pause", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["state"]["paused_by"], xinzhou.id());
    clock.set(utc("2027-04-01T01:30:00Z"));
    let xinzhou = app.login("xinzhou").await;
    assert_eq!(run(&app).await, 0);
    assert_eq!(
        xinzhou.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/resume", json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(run(&app).await, 1);
    assert_eq!(visit_cases(&app).await.len(), 6);

    // A new version that lowers the threshold: May's run of two cases waits for a confirmation.
    let mut def = visits_app();
    def["version"] = json!("1.1.0");
    def["triggers"][0]["confirm_over"] = json!(1);
    assert_eq!(publish(&app, &def).await.0, StatusCode::CREATED);
    clock.set(utc("2027-05-06T01:30:00Z"));
    let xinzhou = app.login("xinzhou").await;
    run(&app).await;
    let state = schedule_state(&xinzhou, |s| s["waiting_cases"] == 2).await;
    assert!(state["waiting_since"].is_string(), "{state}");
    settle(&app, 6).await; // nothing opened while waiting
    let (status, _) = xinzhou.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/confirm", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    settle(&app, 8).await;
    let (status, _) = xinzhou.post("/api/v1/apps/elderly-visits/schedules/monthly-visit/confirm", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing waits any more");

    // Another community's staff do not see the app's schedules.
    assert_eq!(app.login("tianan").await.get("/api/v1/apps/elderly-visits/schedules").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_on_sqlite() {
    schedules_run_on_the_calendar_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_on_postgres() {
    schedules_run_on_the_calendar_exactly_once(Backend::Postgres).await;
}

baida_tests::both!(bad_schedules_are_refused_at_publish, |app: TestApp| async move {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"on": "second_tuesday"}), "/triggers/0/on", "bad_schedule_day"),
        (json!({"at": "9am"}), "/triggers/0/at", "bad_time"),
        (json!({"for_each": {"register": "elders"}}), "/triggers/0/for_each/register", "unknown_register"),
        (json!({"record": {"age": "row.age"}}), "/triggers/0/record/age", "unknown_field"),
        (
            json!({"for_each": {"register": "elderly", "where": "row.lives_alone =="}}),
            "/triggers/0/for_each/where",
            "script",
        ),
        (json!({"every": "fortnight"}), "/triggers/0", "schema"),
    ];
    for (change, pointer, code) in cases {
        let mut def = visits_app();
        for (k, v) in change.as_object().unwrap() {
            def["triggers"][0][k] = v.clone();
        }
        let (status, problem) = publish(&app, &def).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{pointer}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let mut def = visits_app();
    def["triggers"][0]["every"] = json!("week");
    let (status, problem) = publish(&app, &def).await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_schedule_day"))
    );
});
