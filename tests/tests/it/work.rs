//! The staff workbench: a department's queue (to sign, to handle; overdue marked and first),
//! the case page with the record, countdown and the step's form, acting through the page
//! until the case reaches review in the community admin's queue — and nobody else's.

use std::sync::Arc;

use baida_engine::ManualClock;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, Staff, TestApp, minyi_answers, spawn_with};
use chrono::{DateTime, Duration, Utc};

fn monday_9am() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z").unwrap().with_timezone(&Utc)
}

async fn noise(app: &TestApp, title: &str) -> Value {
    let mut a = minyi_answers();
    a["category"] = json!("noise");
    a["subcategory"] = json!("construction_noise");
    a["title"] = json!(title);
    let (status, created) = app.submit("minyi-suban", "xinzhou", a).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn html(staff: &Staff, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = staff.client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn submit_step(
    staff: &Staff,
    app: &TestApp,
    id: &str,
    step: &str,
    fields: &[(&str, &str)],
) -> baida_tests::reqwest::Response {
    let mut form = baida_tests::reqwest::multipart::Form::new().text("_step", step.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    staff.client.post(app.url(&format!("/work/cases/{id}/complete"))).multipart(form).send().await.unwrap()
}

async fn workbench(backend: Backend) {
    let clock = Arc::new(ManualClock::new(monday_9am()));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let older = noise(&app, "工地夜间施工噪音").await;
    clock.advance(Duration::minutes(40));
    let newer = noise(&app, "广场舞音响太响").await;
    let (old_id, new_id) = (older["id"].as_str().unwrap(), newer["id"].as_str().unwrap());

    // Nobody logged in: to the log-in page.
    let r = app.client_from("127.0.0.1").get(app.url("/work")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login?next=/work");

    let urban = app.login("urban").await;
    let (status, page) = html(&urban, &app, "/work").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("待签收"), "{page}");
    let (a, b) =
        (page.find(older["number"].as_str().unwrap()).unwrap(), page.find(newer["number"].as_str().unwrap()).unwrap());
    assert!(a < b, "the overdue case comes first");
    assert!(page.contains(r#"class="late""#) && page.contains("已超时 10 分钟"), "{page}");
    assert!(page.contains("剩余 30 分钟"), "{page}");

    // The case page: record in clear (the department needs to know), countdown, the form.
    let (_, case) = html(&urban, &app, &format!("/work/cases/{new_id}")).await;
    assert!(case.contains("13812345678") && case.contains("广场舞音响太响"), "{case}");
    assert!(case.contains("剩余 30 分钟") && case.contains(r#"action="/work/cases/"#), "{case}");
    // Sign, then handle: first without the required answers, then with them.
    let r = submit_step(&urban, &app, new_id, "sign", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The same form again (a double click, a stale tab) does not sign twice or handle.
    let r = submit_step(&urban, &app, new_id, "sign", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, page) = html(&urban, &app, "/work").await;
    assert!(page.contains("待办理"), "{page}");
    let r = submit_step(&urban, &app, new_id, "handle", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("请按提示修改后再提交"), "{body}");
    let r = submit_step(
        &urban,
        &app,
        new_id,
        "handle",
        &[("result", "resolved"), ("reply", "已协调广场舞队降低音量并调整时间。")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = html(&urban, &app, "/work").await;
    assert!(!page.contains(newer["number"].as_str().unwrap()), "the department is done with it: {page}");
    // Review, level 1: the community admin's queue.
    let xinzhou = app.login("xinzhou").await;
    let (_, page) = html(&xinzhou, &app, "/work").await;
    assert!(page.contains("待审核") && page.contains(newer["number"].as_str().unwrap()), "{page}");
    // An admin's actions on the page: suspend needs a reason, then works.
    let act = |body: &'static str| {
        xinzhou
            .client
            .post(app.url(&format!("/work/cases/{old_id}/act")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(act("action=suspend&reason=").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(act("action=suspend&reason=%E7%AD%89%E5%BE%85").await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, case) = html(&xinzhou, &app, &format!("/work/cases/{old_id}")).await;
    assert!(case.contains("暂停中") && case.contains("恢复办理"), "{case}");
    // A grid worker elsewhere does not see the cases at all.
    let grid3 = app.login("grid3").await;
    assert_eq!(html(&grid3, &app, &format!("/work/cases/{old_id}")).await.0, StatusCode::NOT_FOUND);
    let (_, page) = html(&grid3, &app, "/work").await;
    assert!(page.contains("现在没有需要您办理的案件"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_on_sqlite() {
    workbench(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_on_postgres() {
    workbench(Backend::Postgres).await;
}
