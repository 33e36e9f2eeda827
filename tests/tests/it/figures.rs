//! Figures (办理统计) from real cases moved by a test clock: six 民意速办 requests and one
//! 挪车e站 report over two days — signed on time, signed late after the scheduler marked the
//! sign step overdue, replied late, closed by hand, left overdue — then the exact figures by
//! app, department and category, over periods of Shanghai days, as JSON and as the page in
//! both languages.

use std::sync::Arc;

use baida_engine::ManualClock;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TOKEN, TestApp, fixture, minyi_answers, spawn_with};
use chrono::{DateTime, Duration, Utc};

/// Monday 2026-11-23, 09:00 in Shanghai.
fn monday_9am() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z").unwrap().with_timezone(&Utc)
}

async fn act(app: &TestApp, id: &str, action: Value) -> Value {
    let r = app.post(&format!("/api/v1/cases/{id}/actions")).bearer_auth(TOKEN).json(&action).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{action} on {id}: {body}");
    body
}

/// Moves the clock to `offset` after Monday 09:00 and fires every timer due by then.
async fn at(app: &TestApp, clock: &ManualClock, offset: Duration) {
    clock.set(monday_9am() + offset);
    app.running.state.engine.fire_due_timers(100).await.unwrap();
}

async fn request(app: &TestApp, category: &str, subcategory: &str) -> String {
    let mut answers = minyi_answers();
    answers["category"] = json!(category);
    answers["subcategory"] = json!(subcategory);
    let (status, created) = app.submit("minyi-suban", "xinzhou", answers).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

async fn sign(app: &TestApp, id: &str) {
    let case = act(app, id, json!({"action": "complete"})).await;
    assert_eq!(case["current_step"], "handle");
}

async fn reply(app: &TestApp, id: &str) {
    let case = act(
        app,
        id,
        json!({"action": "complete", "answers": {"result": "resolved", "reply": "已到现场处理完毕，并电话回复了反映人。"}}),
    )
    .await;
    assert_eq!(case["current_step"], "review");
}

async fn close(app: &TestApp, id: &str) {
    let case = act(app, id, json!({"action": "close", "reason": "已办结"})).await;
    assert_eq!(case["status"], "closed");
}

async fn figures(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.admin_get(&format!("/api/v1/figures{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// One row in a line: `key: received, closed, on time/signed, on time/replied, median, overdue`.
fn line(row: &Value) -> String {
    let median = match row["median_handling_seconds"].as_f64() {
        Some(s) => format!("{s}s"),
        None => "-".into(),
    };
    format!(
        "{}: {} received, {} closed, signed {}/{}, replied {}/{}, median {median}, {} overdue",
        row["key"].as_str().unwrap_or("(none)"),
        row["received"],
        row["closed"],
        row["signed_on_time"],
        row["signed"],
        row["replied_on_time"],
        row["replied"],
        row["overdue_now"]
    )
}

fn lines(figures: &Value) -> Vec<String> {
    let mut out: Vec<String> = figures["rows"].as_array().unwrap().iter().map(line).collect();
    out.push(format!("total {}", line(&figures["total"])));
    out
}

/// The text of the table row whose heading is `name`, tags stripped, spaces collapsed.
fn table_row(html: &str, name: &str) -> String {
    let start =
        html.find(&format!(r#"<th scope="row">{name}</th>"#)).unwrap_or_else(|| panic!("a row {name} in {html}"));
    let end = start + html[start..].find("</tr>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#x2F;", "/").split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn page(app: &TestApp, query: &str) -> (StatusCode, String) {
    let r = app.get(&format!("/figures{query}")).bearer_auth(TOKEN).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn figures_count_what_happened(backend: Backend) {
    let clock = Arc::new(ManualClock::new(monday_9am()));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;

    // Monday 09:00: four requests and a car in a fire lane.
    let a = request(&app, "noise", "construction_noise").await; // → urban management (responsibility list)
    let b = request(&app, "parking", "disorderly_parking").await; // → traffic police
    let c = request(&app, "city_appearance", "garbage").await; // → urban management (dispatch rule)
    let d = request(&app, "property", "repair_delay").await; // → property supervision
    let car = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "福田路"},
                     "photos": [app.upload(&fixture("photo.png")).await], "kind": "fire-lane", "reporter_phone": "13912345678"});
    let (status, g) = app.submit("nuoche-e-zhan", "tianan", car).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let g = g["id"].as_str().unwrap().to_string(); // → fire safety, straight to its 30-minute handle step

    // 09:10 A, B and C are signed; 09:20 A and C replied; 09:25 A closed (25 minutes).
    at(&app, &clock, Duration::minutes(10)).await;
    for id in [&a, &b, &c] {
        sign(&app, id).await;
    }
    at(&app, &clock, Duration::minutes(20)).await;
    reply(&app, &a).await;
    reply(&app, &c).await;
    at(&app, &clock, Duration::minutes(25)).await;
    close(&app, &a).await;

    // 09:31: D's sign clock and the car's handle clock have run out.
    at(&app, &clock, Duration::minutes(31)).await;
    let (_, events) = app.admin_get(&format!("/api/v1/cases/{d}/events")).await;
    assert!(
        events.as_array().unwrap().iter().any(|e| e["kind"] == "sla.overdue" && e["data"]["step"] == "sign"),
        "{events}"
    );
    let now = figures(&app, "").await;
    assert_eq!(
        lines(&now),
        [
            "(none): 5 received, 1 closed, signed 3/3, replied 2/2, median 1500s, 2 overdue",
            "total (none): 5 received, 1 closed, signed 3/3, replied 2/2, median 1500s, 2 overdue",
        ]
    );

    // 09:40 D is signed, late; E comes in (and will be left unsigned). 10:00 B closed (1 hour).
    at(&app, &clock, Duration::minutes(40)).await;
    sign(&app, &d).await;
    let e = request(&app, "noise", "square_dance").await;
    at(&app, &clock, Duration::minutes(60)).await;
    close(&app, &b).await;

    // Tuesday 07:30 in Shanghai (Monday 23:30 UTC): F comes in.
    at(&app, &clock, Duration::minutes(22 * 60 + 30)).await;
    let f = request(&app, "noise", "construction_noise").await;
    // Tuesday 09:41: D's 24-hour reply clock has run out (and F's sign clock); 09:45 D is
    // replied, late, and the car's case is closed by hand (24 h 45 min); 10:00 D is closed (25 h).
    at(&app, &clock, Duration::minutes(24 * 60 + 41)).await;
    at(&app, &clock, Duration::minutes(24 * 60 + 45)).await;
    reply(&app, &d).await;
    close(&app, &g).await;
    at(&app, &clock, Duration::minutes(25 * 60)).await;
    close(&app, &d).await;
    for (id, escalation) in [(&e, "supervise"), (&c, ""), (&f, "supervise")] {
        let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
        assert_eq!(case["escalation"].as_str().unwrap_or(""), escalation, "{case}");
    }

    // By app: the median of everything is the mean of the two middle times (1 h and 24 h 45 min).
    let by_app = figures(&app, "?by=app").await;
    assert_eq!(
        lines(&by_app),
        [
            "minyi-suban: 6 received, 3 closed, signed 3/4, replied 2/3, median 3600s, 2 overdue",
            "nuoche-e-zhan: 1 received, 1 closed, signed 0/0, replied 0/0, median 89100s, 0 overdue",
            "total (none): 7 received, 4 closed, signed 3/4, replied 2/3, median 46350s, 2 overdue",
        ]
    );
    let minyi = &by_app["rows"][0];
    assert_eq!(minyi["closure_rate"], 0.5);
    assert_eq!(minyi["on_time_sign_rate"], 0.75);
    assert_eq!(minyi["on_time_reply_rate"].as_f64(), Some(2.0 / 3.0));
    assert_eq!(minyi["name"], json!({"zh-CN": "民意速办", "en": "Citizen requests, quick handling"}));
    let car_row = &by_app["rows"][1];
    assert!(car_row["on_time_sign_rate"].is_null() && car_row["on_time_reply_rate"].is_null(), "{car_row}");
    assert_eq!(car_row["closure_rate"], 1.0);
    assert_eq!(by_app["by"], "app");
    assert!(by_app["from"].is_null() && by_app["since"].is_null());

    // By department: the unit holding the case now.
    let by_department = figures(&app, "?by=department").await;
    assert_eq!(
        lines(&by_department),
        [
            "urban-management: 4 received, 1 closed, signed 2/2, replied 2/2, median 1500s, 2 overdue",
            "fire-safety: 1 received, 1 closed, signed 0/0, replied 0/0, median 89100s, 0 overdue",
            "property-supervision: 1 received, 1 closed, signed 0/1, replied 0/1, median 90000s, 0 overdue",
            "traffic-police: 1 received, 1 closed, signed 1/1, replied 0/0, median 3600s, 0 overdue",
            "total (none): 7 received, 4 closed, signed 3/4, replied 2/3, median 46350s, 2 overdue",
        ]
    );
    assert_eq!(
        by_department["rows"][0]["name"],
        json!({"zh-CN": "城市管理和综合执法局", "en": "Urban Management Bureau"})
    );
    assert_eq!(by_department["rows"][0]["closure_rate"], 0.25);

    // By category: the car has none.
    let by_category = figures(&app, "?by=category").await;
    assert_eq!(
        lines(&by_category),
        [
            "noise: 3 received, 1 closed, signed 1/1, replied 1/1, median 1500s, 2 overdue",
            "city_appearance: 1 received, 0 closed, signed 1/1, replied 1/1, median -, 0 overdue",
            "parking: 1 received, 1 closed, signed 1/1, replied 0/0, median 3600s, 0 overdue",
            "property: 1 received, 1 closed, signed 0/1, replied 0/1, median 90000s, 0 overdue",
            "(none): 1 received, 1 closed, signed 0/0, replied 0/0, median 89100s, 0 overdue",
            "total (none): 7 received, 4 closed, signed 3/4, replied 2/3, median 46350s, 2 overdue",
        ]
    );
    assert_eq!(by_category["rows"][0]["name"], json!({"zh-CN": "噪音扰民", "en": "Noise"}));
    assert_eq!(by_category["rows"][4]["name"], json!({"zh-CN": "未分类", "en": "No category"}));
    let minyi_only = figures(&app, "?by=category&app=minyi-suban").await;
    assert_eq!(minyi_only["rows"].as_array().unwrap().len(), 4, "{minyi_only}");
    assert_eq!(minyi_only["total"]["received"], 6);

    // Periods are Shanghai days, both ends included: F (Tuesday 07:30 there) is Tuesday's.
    let monday = figures(&app, "?to=2026-11-23").await;
    assert_eq!(
        lines(&monday),
        [
            "(none): 6 received, 4 closed, signed 3/4, replied 2/3, median 46350s, 1 overdue",
            "total (none): 6 received, 4 closed, signed 3/4, replied 2/3, median 46350s, 1 overdue",
        ]
    );
    assert_eq!(monday["until"], "2026-11-23T16:00:00Z");
    let tuesday = figures(&app, "?by=department&from=2026-11-24&to=2026-11-24").await;
    assert_eq!(
        lines(&tuesday),
        [
            "urban-management: 1 received, 0 closed, signed 0/0, replied 0/0, median -, 1 overdue",
            "total (none): 1 received, 0 closed, signed 0/0, replied 0/0, median -, 1 overdue",
        ]
    );
    assert_eq!(
        (tuesday["since"].as_str(), tuesday["until"].as_str()),
        (Some("2026-11-23T16:00:00Z"), Some("2026-11-24T16:00:00Z"))
    );
    let wednesday = figures(&app, "?by=app&from=2026-11-25").await;
    assert_eq!(wednesday["rows"], json!([]));
    assert_eq!(wednesday["total"]["received"], 0);
    assert!(wednesday["total"]["closure_rate"].is_null());

    // Bad parameters and no token.
    for query in ["?by=street", "?from=2026-13-01", "?from=2026-11-24&to=2026-11-23", "?by=app&by=category"] {
        let (status, problem) = app.admin_get(&format!("/api/v1/figures{query}")).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_query")),
            "{query}: {problem}"
        );
    }
    let r = app.get("/api/v1/figures").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (_, openapi) = app.admin_get("/api/v1/openapi.json").await;
    assert!(openapi["paths"]["/api/v1/figures"]["get"].is_object());

    // The page: Chinese first.
    let (status, html) = page(&app, "?by=department").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="zh-CN">"#) && html.contains("办理统计"));
    assert!(html.contains(r#"<form method="get" action="/figures">"#), "filters in a GET form");
    assert!(html.contains(r#"<option value="department" selected>"#), "the grouping is kept");
    assert!(!html.contains("<script"), "no JavaScript");
    assert_eq!(
        table_row(&html, "城市管理和综合执法局"),
        "城市管理和综合执法局 4 1 25.0% 100.0% (2/2) 100.0% (2/2) 25 分钟 2"
    );
    assert_eq!(table_row(&html, "物业监管科"), "物业监管科 1 1 100.0% 0.0% (0/1) 0.0% (0/1) 1 天 1 小时 0");
    assert_eq!(table_row(&html, "合计"), "合计 7 4 57.1% 75.0% (3/4) 66.7% (2/3) 12 小时 52 分钟 2");

    // …and in English.
    let (status, html) = page(&app, "?by=category&lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="en">"#) && html.contains("Case figures"));
    assert!(html.contains(r#"<input type="hidden" name="lang" value="en">"#), "the form keeps the language");
    assert_eq!(table_row(&html, "Noise"), "Noise 3 1 33.3% 100.0% (1/1) 100.0% (1/1) 25 min 2");
    assert_eq!(table_row(&html, "No category"), "No category 1 1 100.0% — (0/0) — (0/0) 1 d 45 min 0");
    assert_eq!(table_row(&html, "Total"), "Total 7 4 57.1% 75.0% (3/4) 66.7% (2/3) 12 h 52 min 2");
    let (_, html) = page(&app, "?from=2026-11-24&lang=en").await;
    assert_eq!(table_row(&html, "All cases"), "All cases 1 0 0.0% — (0/0) — (0/0) — 1");
    assert!(html.contains("Period: 2026-11-24 — now"), "{html}");

    // A bad date keeps the form and says what is wrong; without a log-in, no figures: the
    // log-in page instead.
    // (The language chosen stays in the `baida_lang` cookie: back to Chinese the same way.)
    let (status, html) = page(&app, "?from=yesterday&lang=zh-CN").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains(r#"id="error-summary""#) && html.contains("参数 from 应为日期"), "{html}");
    let r = app.get("/figures").send().await.unwrap();
    assert_eq!(r.url().path(), "/login");
    assert_eq!(r.url().query(), Some("next=/figures"));
    let html = r.text().await.unwrap();
    assert!(html.contains("工作人员登录") && !html.contains("城市管理"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_on_sqlite() {
    figures_count_what_happened(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_on_postgres() {
    figures_count_what_happened(Backend::Postgres).await;
}
