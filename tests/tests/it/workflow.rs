//! A 民意速办 case from intake to close: dispatch by the responsibility list, the 30-minute
//! sign clock escalating (remind at 80%, urge at due, supervise two hours later), sign,
//! handle, a return (退回), a rejection at review sending it back, three review levels, the
//! resident's rating — and re-dispatch, suspend/resume with paused clocks, close/reopen.
//! Time is moved by the test, not slept through.
//!
//! Kept whole (over 500 lines): one case's life, step after step, each scenario building on
//! the shared helpers at the top.

use std::sync::Arc;

use baida_engine::ManualClock;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TOKEN, TestApp, minyi_answers, spawn_with};
use chrono::{DateTime, Duration, Utc};

fn monday_9am() -> DateTime<Utc> {
    // 2026-11-23 09:00 in Shanghai.
    DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z").unwrap().with_timezone(&Utc)
}

async fn start(backend: Backend) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(monday_9am()));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    (app, clock)
}

async fn act(app: &TestApp, id: &str, action: Value) -> (StatusCode, Value) {
    let r = app.post(&format!("/api/v1/cases/{id}/actions")).bearer_auth(TOKEN).json(&action).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn tick(app: &TestApp, clock: &ManualClock, by: Duration) {
    clock.advance(by);
    app.running.state.engine.fire_due_timers(100).await.unwrap();
}

async fn kinds(app: &TestApp, id: &str) -> Vec<String> {
    let (_, events) = app.admin_get(&format!("/api/v1/cases/{id}/events")).await;
    events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

async fn a_case_goes_from_intake_to_close(backend: Backend) {
    let (app, clock) = start(backend).await;
    let mut answers = minyi_answers();
    answers["category"] = json!("noise");
    answers["subcategory"] = json!("construction_noise");
    let (status, created) = app.submit("minyi-suban", "xinzhou", answers).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["current_step"], "sign", "dispatch ran at once");
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["assignee"], "urban-management", "noise → urban management, from the responsibility list");

    // The 30-minute sign clock: nothing at 23 minutes, a reminder at 24 (80%).
    tick(&app, &clock, Duration::minutes(23)).await;
    assert!(!kinds(&app, &id).await.contains(&"sla.remind".to_string()));
    tick(&app, &clock, Duration::minutes(1)).await;
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["escalation"], "remind");
    // Urge and overdue at 30 minutes; supervision two hours later, to the level above too.
    tick(&app, &clock, Duration::minutes(6)).await;
    let k = kinds(&app, &id).await;
    assert!(k.contains(&"sla.urge".to_string()) && k.contains(&"sla.overdue".to_string()), "{k:?}");
    tick(&app, &clock, Duration::hours(2)).await;
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["escalation"], "supervise");
    let (_, outbox) = app.admin_get(&format!("/api/v1/cases/{id}/outbox")).await;
    let letters: Vec<(String, String)> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["message"]["template"].as_str().unwrap().to_string(),
                o["message"]["recipient"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("sla.remind", "urban-management"),
        ("sla.urge", "urban-management"),
        ("sla.supervise", "urban-management"),
        ("sla.supervise", "futian"),
    ] {
        assert!(letters.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {letters:?}");
    }
    // No rung fires twice, however often the scheduler looks.
    tick(&app, &clock, Duration::hours(1)).await;
    tick(&app, &clock, Duration::seconds(1)).await;
    let k = kinds(&app, &id).await;
    assert_eq!(k.iter().filter(|k| *k == "sla.remind").count(), 1, "{k:?}");
    assert_eq!(k.iter().filter(|k| *k == "sla.supervise").count(), 1, "{k:?}");

    // Sign; the sign clock stops and the 24-hour reply clock starts.
    let (status, case) = act(&app, &id, json!({"action": "complete"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["current_step"], "handle");
    assert!(case["escalation"].is_null(), "a new step starts with a clean mark");
    // The handler returns it (退回): back to signing.
    let (status, case) = act(&app, &id, json!({"action": "return", "reason": "不属于本部门，请核实"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["current_step"], "sign");
    act(&app, &id, json!({"action": "complete"})).await;
    // Handling needs its answers.
    let (status, p) = act(&app, &id, json!({"action": "complete", "answers": {}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let handled = json!({"action": "complete", "answers": {"result": "resolved", "reply": "已责令工地停止夜间施工，并安排夜间巡查。"}});
    let (_, case) = act(&app, &id, handled.clone()).await;
    assert_eq!(case["current_step"], "review");
    // Review rejects: back to handling (a loop), then approves at three levels.
    let (_, case) = act(
        &app,
        &id,
        json!({"action": "complete", "answers": {"review_result": "reject", "review_comment": "请附整改照片"}}),
    )
    .await;
    assert_eq!(case["current_step"], "handle");
    act(&app, &id, handled).await;
    for level in 1..=3 {
        let (status, case) =
            act(&app, &id, json!({"action": "complete", "answers": {"review_result": "approve"}})).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        let expected = if level < 3 { "review" } else { "feedback" };
        assert_eq!(case["current_step"], expected, "after level {level}");
    }
    // The resident rates it; the case closes.
    let (_, case) =
        act(&app, &id, json!({"action": "complete", "answers": {"rating": 5, "comment": "处理及时"}})).await;
    assert_eq!(case["status"], "closed");
    assert!(case["closed_at"].is_string());
    let (status, p) = act(&app, &id, json!({"action": "complete", "answers": {}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["code"], "action_not_allowed");

    let k = kinds(&app, &id).await;
    for expected in [
        "case.submitted",
        "case.dispatched",
        "step.entered",
        "case.returned",
        "step.completed",
        "review.level_approved",
        "case.closed",
    ] {
        assert!(k.contains(&expected.to_string()), "{expected} in {k:?}");
    }
    let report = baida_engine::verify::verify_all(app.running.store.as_ref()).await.unwrap();
    assert!(report.broken.is_empty(), "{report:?}");
}

async fn cases_are_redispatched_suspended_and_reopened(backend: Backend) {
    let (app, clock) = start(backend).await;
    // The admin changes the responsibility list: parking now goes to urban management.
    let r = app
        .client
        .put(app.url("/api/v1/responsibilities/parking"))
        .bearer_auth(TOKEN)
        .json(&json!({"department": "urban-management"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .put(app.url("/api/v1/responsibilities/parking"))
        .bearer_auth(TOKEN)
        .json(&json!({"department": "atlantis"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let mut answers = minyi_answers();
    answers["category"] = json!("parking");
    answers["subcategory"] = json!("disorderly_parking");
    let (_, created) = app.submit("minyi-suban", "xinzhou", answers).await;
    let id = created["id"].as_str().unwrap().to_string();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["assignee"], "urban-management");

    // Re-dispatch to the traffic police: they must sign again.
    let (status, case) =
        act(&app, &id, json!({"action": "redispatch", "to": "traffic-police", "reason": "属交警职责"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!((case["assignee"].as_str(), case["current_step"].as_str()), (Some("traffic-police"), Some("sign")));
    let (status, _) = act(&app, &id, json!({"action": "redispatch", "to": "atlantis"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nor out of the district, nor to a retired unit (before, any unit anywhere took it).
    let unit = |id: &str, kind: &str, parent: Option<&str>| {
        app.post("/api/v1/org-units")
            .bearer_auth(TOKEN)
            .json(&json!({"id": id, "kind": kind, "parent_id": parent, "name_zh": id, "name_en": id}))
            .send()
    };
    assert_eq!(unit("nanshan", "district", None).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(unit("nanshan-police", "department", Some("nanshan")).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(unit("old-dept", "department", Some("futian")).await.unwrap().status(), StatusCode::CREATED);
    let retired = app.post("/api/v1/org-units/old-dept/retire").bearer_auth(TOKEN).send().await.unwrap();
    assert!(retired.status().is_success(), "{}", retired.status());
    for to in ["nanshan-police", "old-dept"] {
        let (status, body) = act(&app, &id, json!({"action": "redispatch", "to": to})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{to}: {body}");
    }

    // Suspended for an hour at minute 10: the clock pauses, and resumes with 20 minutes left.
    tick(&app, &clock, Duration::minutes(10)).await;
    let (_, case) = act(&app, &id, json!({"action": "suspend", "reason": "等待车主联系"})).await;
    assert_eq!(case["status"], "suspended");
    tick(&app, &clock, Duration::hours(1)).await;
    assert!(!kinds(&app, &id).await.iter().any(|k| k.starts_with("sla.")), "no escalation while suspended");
    let (_, case) = act(&app, &id, json!({"action": "resume"})).await;
    assert_eq!(case["status"], "open");
    tick(&app, &clock, Duration::minutes(13)).await;
    assert!(!kinds(&app, &id).await.contains(&"sla.remind".to_string()), "14 of 20 remaining minutes: not yet");
    tick(&app, &clock, Duration::minutes(1)).await;
    assert!(kinds(&app, &id).await.contains(&"sla.remind".to_string()), "the reminder at 24 minutes of clock time");

    // Closed by hand, reopened.
    let (_, case) = act(&app, &id, json!({"action": "close", "reason": "重复诉求"})).await;
    assert_eq!(case["status"], "closed");
    let (_, case) = act(&app, &id, json!({"action": "reopen", "reason": "群众再次反映"})).await;
    assert_eq!((case["status"].as_str(), case["current_step"].as_str()), (Some("open"), Some("sign")));
    let (status, _) = act(&app, "no-such-case", json!({"action": "resume"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, p) = act(&app, &id, json!({"action": "teleport"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let report = baida_engine::verify::verify_all(app.running.store.as_ref()).await.unwrap();
    assert!(report.broken.is_empty(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_to_close_on_sqlite() {
    a_case_goes_from_intake_to_close(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_to_close_on_postgres() {
    a_case_goes_from_intake_to_close(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redispatch_suspend_reopen_on_sqlite() {
    cases_are_redispatched_suspended_and_reopened(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redispatch_suspend_reopen_on_postgres() {
    cases_are_redispatched_suspended_and_reopened(Backend::Postgres).await;
}

fn shanghai(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().with_timezone(&Utc)
}

/// An 8-working-hour clock across the National Day holidays (10/1–10/7 2026) and onto the
/// make-up working Saturday 10/10.
async fn the_ladder_runs_on_working_time(backend: Backend) {
    let clock = Arc::new(ManualClock::new(shanghai("2026-09-30T14:00:00")));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let def = json!({"id": "working-clock", "version": "1.0.0", "name": "工作时间时钟", "category": "test",
        "record": {"fields": [{"key": "title", "type": "text", "required": true}]},
        "steps": [{"id": "report", "block": "form", "config": {}},
                  {"id": "dispatch", "block": "dispatch", "config": {"otherwise": "dept:housing"}},
                  {"id": "handle", "block": "handle", "config": {"sla": {"due": "8h", "calendar": "working", "ladder": ["remind@50%", "urge@100%", "supervise@+1wd"]}}}],
        "transitions": [{"from": "report", "to": "dispatch"}, {"from": "dispatch", "to": "handle"}]});
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(&def).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, a) = app.submit("working-clock", "xinzhou", json!({"title": "节前报修"})).await;
    let a = a["id"].as_str().unwrap().to_string();
    let at = |s: &str| {
        let (app, clock) = (&app, &clock);
        let s = s.to_string();
        async move {
            clock.set(shanghai(&s));
            app.running.state.engine.fire_due_timers(100).await.unwrap();
        }
    };
    let has = |id: String, kind: &'static str| {
        let app = &app;
        async move { kinds(app, &id).await.iter().any(|k| k == kind) }
    };
    // 4 of 8 working hours: the rest of Wednesday afternoon.
    at("2026-09-30T17:59:00").await;
    assert!(!has(a.clone(), "sla.remind").await);
    at("2026-09-30T18:00:00").await;
    assert!(has(a.clone(), "sla.remind").await, "reminder at half the working time");
    // The holiday week counts for nothing; due on Thursday 10/8 at 14:30.
    at("2026-10-08T14:29:00").await;
    assert!(!has(a.clone(), "sla.urge").await, "not during the holidays, not before 14:30");
    at("2026-10-08T14:30:00").await;
    assert!(has(a.clone(), "sla.urge").await && has(a.clone(), "sla.overdue").await);
    // Supervision one working day after due.
    at("2026-10-09T14:29:00").await;
    assert!(!has(a.clone(), "sla.supervise").await);
    at("2026-10-09T14:30:00").await;
    assert!(has(a.clone(), "sla.supervise").await);

    // Friday 16:00 + 8 working hours ends on the make-up working Saturday at 16:30.
    at("2026-10-09T16:00:00").await;
    let (_, b) = app.submit("working-clock", "xinzhou", json!({"title": "周五报修"})).await;
    let b = b["id"].as_str().unwrap().to_string();
    at("2026-10-10T16:29:00").await;
    assert!(!has(b.clone(), "sla.urge").await);
    at("2026-10-10T16:30:00").await;
    assert!(has(b.clone(), "sla.urge").await, "the make-up Saturday is a working day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_time_ladder_on_sqlite() {
    the_ladder_runs_on_working_time(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_time_ladder_on_postgres() {
    the_ladder_runs_on_working_time(Backend::Postgres).await;
}

/// Reads server-sent events from `response` until `want` events arrived or 5 s passed.
async fn read_events(mut response: baida_tests::reqwest::Response, want: usize) -> Vec<(i64, Value)> {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut out = Vec::new();
    while out.len() < want && tokio::time::Instant::now() < deadline {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        out = text
            .split("\n\n")
            .filter_map(|block| {
                let id = block.lines().find_map(|l| l.strip_prefix("id:"))?.trim().parse().ok()?;
                let data = block.lines().find_map(|l| l.strip_prefix("data:"))?.trim();
                Some((id, serde_json::from_str(data).ok()?))
            })
            .collect();
    }
    out
}

async fn the_resident_sees_the_case_move_live(backend: Backend) {
    let app = baida_tests::spawn(backend).await;
    let r = app
        .post("/api/v1/apps/minyi-suban/submissions")
        .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
        .send()
        .await
        .unwrap();
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let stream_url = format!(
        "{}&lang=zh-CN",
        created["tracking_url"]
            .as_str()
            .unwrap()
            .replace(&format!("/my/cases/{id}"), &format!("/my/cases/{id}/stream"))
    );
    let live = app.get(&stream_url).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    act(&app, &id, json!({"action": "complete"})).await; // signed: completed + entered handle
    let got = read_events(live, 2).await;
    assert_eq!(
        got.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        vec![4, 5],
        "only what happened after the page loaded"
    );
    assert_eq!(got[1].1["current_step"], "办理答复", "{got:?}");
    // Resuming after event 1 replays 2..5, in order.
    let resumed = app.get(&stream_url).header("last-event-id", "1").send().await.unwrap();
    let got = read_events(resumed, 4).await;
    assert_eq!(got.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
    let wrong = app.get(&format!("/my/cases/{id}/stream?t=guess")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tracking_on_sqlite() {
    the_resident_sees_the_case_move_live(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tracking_on_postgres() {
    the_resident_sees_the_case_move_live(Backend::Postgres).await;
}

/// Two nodes on one PostgreSQL database: a resident's page open on one node and a unit's
/// inbox open on it see what staff do on the other (the change feed is LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_pages_follow_changes_made_on_another_node() {
    let one = baida_tests::spawn(Backend::Postgres).await;
    let two = one.another_node().await;
    let (status, created) = one.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let stream_url = created["tracking_url"]
        .as_str()
        .unwrap()
        .replace(&format!("/my/cases/{id}"), &format!("/my/cases/{id}/stream"));
    let live = one.get(&stream_url).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    act(&two, &id, json!({"action": "complete"})).await; // on the other node
    let got = read_events(live, 2).await;
    assert_eq!(got.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), vec![4, 5], "{got:?}");
    assert_eq!(got[1].1["current_step"], "办理答复", "{got:?}");
}

async fn the_resident_rates_the_result_on_the_tracking_page(backend: Backend) {
    let app = baida_tests::spawn(backend).await;
    let (_, created) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    let id = created["id"].as_str().unwrap().to_string();
    let page = app.url(created["tracking_url"].as_str().unwrap());
    let html = app.client.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(r#"id="ask""#), "nothing is asked of the resident while the department works");
    act(&app, &id, json!({"action": "complete"})).await;
    act(
        &app,
        &id,
        json!({"action": "complete", "answers": {"result": "resolved", "reply": "垃圾已清运，并增加了清运频次。"}}),
    )
    .await;
    for _ in 0..3 {
        act(&app, &id, json!({"action": "complete", "answers": {"review_result": "approve"}})).await;
    }
    let html = app.client.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(r#"id="ask""#) && html.contains("回访评价") && html.contains(r#"name="rating""#),
        "the rating form is shown"
    );
    let no_redirect = baida_tests::reqwest::Client::builder()
        .redirect(baida_tests::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = baida_tests::reqwest::multipart::Form::new().text("comment", "很满意");
    let r = no_redirect.post(&page).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the rating is required");
    assert!(r.text().await.unwrap().contains("很满意"), "the comment is kept");
    let form = baida_tests::reqwest::multipart::Form::new().text("rating", "5").text("comment", "很满意");
    let r = no_redirect.post(&page).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!((case["status"].as_str(), case["record"]["rating"].as_i64()), (Some("closed"), Some(5)));
    let html = app.client.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("已办结") && !html.contains(r#"id="ask""#));
    let r = no_redirect
        .post(app.url(&format!("/my/cases/{id}?t=guess")))
        .multipart(baida_tests::reqwest::multipart::Form::new().text("rating", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_rating_on_sqlite() {
    the_resident_rates_the_result_on_the_tracking_page(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_rating_on_postgres() {
    the_resident_rates_the_result_on_the_tracking_page(Backend::Postgres).await;
}

async fn a_move_my_car_case_closes_the_loop(backend: Backend) {
    let app = baida_tests::spawn(backend).await;
    let photo = app.upload(&baida_tests::fixture("photo.png")).await;
    let report = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "新洲花园东门消防通道"},
                        "photos": [photo], "kind": "fire-lane", "reporter_phone": "13912345678"});
    let (status, created) = app.submit("nuoche-e-zhan", "xinzhou", report).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        (case["assignee"].as_str(), case["current_step"].as_str()),
        (Some("fire-safety"), Some("handle")),
        "a fire lane goes to the fire brigade"
    );
    let (_, case) =
        act(&app, &id, json!({"action": "complete", "answers": {"outcome": "moved", "credit_record": true}})).await;
    assert_eq!(case["current_step"], "feedback", "the notification went out on the way");
    let (_, outbox) = app.admin_get(&format!("/api/v1/cases/{id}/outbox")).await;
    let sms = &outbox[0]["message"];
    assert_eq!(
        (sms["channel"].as_str(), sms["recipient"].as_str(), sms["template"].as_str()),
        (Some("sms"), Some("13912345678"), Some("move-car-result"))
    );
    act(&app, &id, json!({"action": "complete", "answers": {"rating": 4}})).await;
    let lookup =
        |plate: &str| app.post("/api/v1/vehicles/lookup").bearer_auth(TOKEN).json(&json!({ "plate": plate })).send();
    let r = lookup("粤b 12345").await.unwrap();
    let (status, record): (StatusCode, Value) = (r.status(), r.json().await.unwrap());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["plate"], "粤B12345");
    assert_eq!(record["cases"].as_array().unwrap().len(), 1, "{record}");
    assert_eq!(record["credit_marks"], 1);
    assert_eq!(record["cases"][0]["outcome"], "moved");
    let other: Value = lookup("粤B99999").await.unwrap().json().await.unwrap();
    assert_eq!(other["cases"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_my_car_on_sqlite() {
    a_move_my_car_case_closes_the_loop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_my_car_on_postgres() {
    a_move_my_car_case_closes_the_loop(Backend::Postgres).await;
}

/// A local SMS gateway that fails its first `fail` requests with 500, then accepts; it keeps
/// what it accepted.
async fn sms_gateway(fail: usize) -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (kept, counter) = (received.clone(), calls.clone());
    let router = axum::Router::new().route(
        "/sms",
        post(move |axum::Json(body): axum::Json<Value>| {
            let (kept, counter) = (kept.clone(), counter.clone());
            async move {
                if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < fail {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                kept.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

async fn notifications_are_retried_without_blocking_the_case(backend: Backend) {
    let (url, received) = sms_gateway(1).await;
    let clock = Arc::new(ManualClock::new(monday_9am()));
    let notify: baida_web::config::NotifyConfig =
        serde_json::from_value(json!({"sms": {"provider": "generic", "url": url}})).unwrap();
    let app =
        spawn_with(backend, Options { clock: Some(clock.clone()), notify: Some(notify), ..Options::default() }).await;
    // The reporter logged in with the number the result is texted to (proven by the SMS code).
    let reporter = app.resident("13912345678").await;
    let id = report_blocked_exit(&app, &reporter, "13912345678").await;
    let (_, case) = act(&app, &id, json!({"action": "complete", "answers": {"outcome": "moved"}})).await;
    assert_eq!(case["current_step"], "feedback", "the case does not wait for its message");
    let engine = &app.running.state.engine;
    let transports = baida::server::transports(&app.running.state.config.notify).unwrap();
    engine.deliver_due(&transports, 10).await.unwrap();
    let (_, outbox) = app.admin_get(&format!("/api/v1/cases/{id}/outbox")).await;
    let sms = outbox.as_array().unwrap().iter().find(|o| o["message"]["channel"] == "sms").unwrap().clone();
    assert_eq!(sms["message"]["state"], "pending", "a 500 is retried: {sms}");
    assert_eq!(sms["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(sms["attempts"][0]["ok"], false);
    // Not before the backoff…
    clock.advance(Duration::seconds(30));
    engine.deliver_due(&transports, 10).await.unwrap();
    assert!(received.lock().unwrap().is_empty());
    // …and delivered once after it.
    clock.advance(Duration::seconds(31));
    engine.deliver_due(&transports, 10).await.unwrap();
    engine.deliver_due(&transports, 10).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "delivered exactly once: {got:?}");
    assert_eq!(got[0]["phone"], "13912345678");
    let text = got[0]["text"].as_str().unwrap();
    assert!(text.contains("粤B12345") && text.contains("车主已挪车"), "{text}");
    let (_, outbox) = app.admin_get(&format!("/api/v1/cases/{id}/outbox")).await;
    let sms = outbox.as_array().unwrap().iter().find(|o| o["message"]["channel"] == "sms").unwrap().clone();
    assert_eq!(sms["message"]["state"], "delivered");
    assert_eq!(sms["attempts"].as_array().unwrap().len(), 2, "every attempt is recorded");
}

/// 挪车e站 reported by `client` (a resident's or anonymous), the result to be texted to `phone`.
async fn report_blocked_exit(app: &TestApp, client: &baida_tests::reqwest::Client, phone: &str) -> String {
    // Uploaded by the same client: only its uploader may attach a photo to a case.
    let r = client
        .post(app.url("/api/v1/photos"))
        .header("content-type", "application/octet-stream")
        .body(baida_tests::fixture("photo.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let photo = r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
    let report = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "新洲花园东门"},
                        "photos": [photo], "kind": "blocking-exit", "reporter_phone": phone});
    let r = client
        .post(app.url("/api/v1/apps/nuoche-e-zhan/submissions"))
        .json(&json!({"community": "xinzhou", "answers": report}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// Delivers what is due and answers the state and last attempt of the case's SMS, once it is
/// no longer pending (the server's own outbox worker may be the one that delivers it).
async fn sms_of(app: &TestApp, id: &str) -> (String, String) {
    let transports = baida::server::transports(&app.running.state.config.notify).unwrap();
    for _ in 0..50 {
        app.running.state.engine.deliver_due(&transports, 10).await.unwrap();
        let (_, outbox) = app.admin_get(&format!("/api/v1/cases/{id}/outbox")).await;
        let sms = outbox.as_array().unwrap().iter().find(|o| o["message"]["channel"] == "sms").unwrap().clone();
        let state = sms["message"]["state"].as_str().unwrap().to_string();
        if state != "pending" {
            let detail =
                sms["attempts"].as_array().unwrap().last().map(|a| a["detail"].to_string()).unwrap_or_default();
            return (state, detail);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the SMS of {id} is still pending");
}

async fn sms_go_only_to_proven_numbers_within_a_daily_cap(backend: Backend) {
    let (url, received) = sms_gateway(0).await;
    let notify: baida_web::config::NotifyConfig =
        serde_json::from_value(json!({"sms": {"provider": "generic", "url": url}, "daily_cap": 2})).unwrap();
    let app = spawn_with(backend, Options { notify: Some(notify), ..Options::default() }).await;
    // An anonymous report naming somebody's number: before, the district's sender texted any
    // number anyone typed, as often as they liked.
    let id = report_blocked_exit(&app, &app.client, "13700000001").await;
    act(&app, &id, json!({"action": "complete", "answers": {"outcome": "moved"}})).await;
    let (state, detail) = sms_of(&app, &id).await;
    assert_eq!(state, "failed", "{detail}");
    assert!(detail.contains("未经验证"), "{detail}");
    // A resident who logged in with one number may not have another texted either.
    let reporter = app.resident("13912345678").await;
    let id = report_blocked_exit(&app, &reporter, "13700000002").await;
    act(&app, &id, json!({"action": "complete", "answers": {"outcome": "moved"}})).await;
    assert_eq!(sms_of(&app, &id).await.0, "failed");
    assert!(received.lock().unwrap().is_empty(), "nothing was texted");
    // Their own number gets its results, up to the daily cap (2 here).
    let mut states = Vec::new();
    for _ in 0..3 {
        let id = report_blocked_exit(&app, &reporter, "13912345678").await;
        act(&app, &id, json!({"action": "complete", "answers": {"outcome": "moved"}})).await;
        states.push(sms_of(&app, &id).await);
    }
    assert_eq!(states.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["delivered", "delivered", "failed"]);
    assert!(states[2].1.contains("daily cap"), "{states:?}");
    let texts = received.lock().unwrap().clone();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.iter().all(|t| t["phone"] == "13912345678"), "{texts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_to_proven_numbers_on_sqlite() {
    sms_go_only_to_proven_numbers_within_a_daily_cap(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_to_proven_numbers_on_postgres() {
    sms_go_only_to_proven_numbers_within_a_daily_cap(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_retries_on_sqlite() {
    notifications_are_retried_without_blocking_the_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_retries_on_postgres() {
    notifications_are_retried_without_blocking_the_case(Backend::Postgres).await;
}

async fn escalation_letters_reach_the_inbox_live(backend: Backend) {
    let (app, clock) = start(backend).await;
    let (_, created) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    let number = created["number"].as_str().unwrap().to_string();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", created["id"].as_str().unwrap())).await;
    let unit = case["assignee"].as_str().unwrap().to_string();
    let engine = &app.running.state.engine;
    let none = baida_engine::notify::Transports::default();
    tick(&app, &clock, Duration::minutes(24)).await;
    engine.deliver_due(&none, 10).await.unwrap();
    let (status, inbox) = app.admin_get(&format!("/api/v1/inbox/{unit}")).await;
    assert_eq!(status, StatusCode::OK);
    let first = &inbox[0];
    assert!(
        first["subject"].as_str().unwrap().contains("提醒函") && first["body"].as_str().unwrap().contains(&number),
        "{inbox}"
    );
    // The handlers of that unit read it on their workbench, linking to the case.
    let handler = match unit.as_str() {
        "urban-management" => "urban",
        "housing" => "housing",
        "traffic-police" => "traffic",
        other => panic!("no demo handler at {other}"),
    };
    let work = app.login(handler).await.client.get(app.url("/work")).send().await.unwrap().text().await.unwrap();
    assert!(
        work.contains("提醒函") && work.contains(&format!("/work/cases/{}", created["id"].as_str().unwrap())),
        "{work}"
    );
    // Live: the urging letter (and the overdue notice, due at the same moment) arrive on the
    // open stream.
    let live = app.get(&format!("/api/v1/inbox/{unit}/stream")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    tick(&app, &clock, Duration::minutes(6)).await;
    engine.deliver_due(&none, 10).await.unwrap();
    let got = read_events_by_kind(live, 2).await;
    assert!(got.iter().any(|m| m["subject"].as_str().unwrap_or_default().contains("催办函")), "{got:?}");
    assert_eq!(app.get(&format!("/api/v1/inbox/{unit}")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

/// Reads `data:` payloads of server-sent events until `want` arrived or 5 s passed.
async fn read_events_by_kind(mut response: baida_tests::reqwest::Response, want: usize) -> Vec<Value> {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut out = Vec::new();
    while out.len() < want && tokio::time::Instant::now() < deadline {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        out = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .collect();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_on_sqlite() {
    escalation_letters_reach_the_inbox_live(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_on_postgres() {
    escalation_letters_reach_the_inbox_live(Backend::Postgres).await;
}
