//! Receivers, as an app builder writes them and as cases meet them: a unit or role that does not
//! exist is refused at publish, naming the step's property; `role:` dispatch reaches the unit
//! where the role sits above the case; a receiver that stops existing later leaves the case
//! waiting for dispatch by hand, with an alert in its community's inbox — never stranded.

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{TOKEN, TestApp, both};

/// An app that sends every case to `to`, then asks it to handle the case.
fn app_to(id: &str, to: &str) -> Value {
    json!({"id": id, "version": "1.0.0", "name": "派单测试", "category": "test",
        "record": {"fields": [{"key": "title", "type": "text", "required": true}]},
        "steps": [{"id": "report", "block": "form", "config": {}},
                  {"id": "dispatch", "block": "dispatch", "config": {"otherwise": to}},
                  {"id": "handle", "block": "handle", "config": {}}],
        "transitions": [{"from": "report", "to": "dispatch"}, {"from": "dispatch", "to": "handle"}]})
}

async fn publish(app: &TestApp, def: &Value) -> (StatusCode, Value) {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(def).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

both!(receivers_that_do_not_exist_are_refused_at_publish, |app: TestApp| async move {
    for (to, code) in [
        ("dept:atlantis", "unknown_receiver"),
        ("atlantis", "unknown_receiver"),
        ("role:wizard", "unknown_role"),
        ("role:department_handler", "department_role"),
    ] {
        let (status, problem) = publish(&app, &app_to("receivers", to)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{to}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], "/steps/1/config/otherwise", "{to}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{to}: {problem}");
    }
    // In a rule too, and in an inbox message; nothing was published.
    let mut def = app_to("receivers", "dept:housing");
    def["steps"][1]["config"]["rules"] = json!([{"when": "true", "to": "dept:nowhere"}]);
    let (status, problem) = publish(&app, &def).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["pointer"], "/steps/1/config/rules/0/to", "{problem}");
    let (status, _) = app.admin_get("/api/v1/apps/receivers").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a refused app is not published");
    // A retired unit takes no new app either.
    let shatou = app.login("shatou").await;
    let (status, _) = shatou
        .post(
            "/api/v1/org-units",
            json!({"id": "xinzhou-grid-9", "kind": "grid", "parent_id": "xinzhou", "name_zh": "九", "name_en": "9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(shatou.post("/api/v1/org-units/xinzhou-grid-9/retire", json!({})).await.0, StatusCode::OK);
    let (status, problem) = publish(&app, &app_to("receivers", "unit:xinzhou-grid-9")).await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("retired_receiver"))
    );
});

both!(role_dispatch_reaches_the_unit_of_the_role_above_the_case, |app: TestApp| async move {
    for (id, to) in [
        ("to-grid-worker", "role:grid_worker"),
        ("to-community", "role:community_admin"),
        ("to-street", "role:street_admin"),
    ] {
        let (status, problem) = publish(&app, &app_to(id, to)).await;
        assert_eq!(status, StatusCode::CREATED, "{to}: {problem}");
    }
    let held = |id: &'static str, unit: &'static str| {
        let app = &app;
        async move {
            let (status, created) = app.submit(id, unit, json!({"title": "楼道堆物"})).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", created["id"].as_str().unwrap())).await;
            (case["assignee"].as_str().map(str::to_string), case["current_step"].as_str().map(str::to_string))
        }
    };
    assert_eq!(held("to-grid-worker", "xinzhou-grid-1").await, (Some("xinzhou-grid-1".into()), Some("handle".into())));
    assert_eq!(held("to-community", "xinzhou-grid-1").await, (Some("xinzhou".into()), Some("handle".into())));
    assert_eq!(held("to-street", "xinzhou").await, (Some("shatou".into()), Some("handle".into())));
    // The grid worker reads it among their cases.
    let grid1 = app.login("grid1").await;
    let (_, queue) = grid1.get("/api/v1/cases").await;
    assert!(queue["items"].as_array().unwrap().iter().any(|c| c["app_id"] == "to-grid-worker"), "{queue}");
    // Filed at the community itself, a grid worker's unit is the community (grid workers may be
    // posted there).
    assert_eq!(held("to-grid-worker", "xinzhou").await, (Some("xinzhou".into()), Some("handle".into())));
});

both!(a_case_whose_receiver_is_gone_waits_for_dispatch_with_an_alert, |app: TestApp| async move {
    let shatou = app.login("shatou").await;
    let (status, _) = shatou
        .post("/api/v1/org-units", json!({"id": "xinzhou-grid-8", "kind": "grid", "parent_id": "xinzhou", "name_zh": "新洲第八网格", "name_en": "Xinzhou Grid 8"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = publish(&app, &app_to("to-grid-8", "unit:xinzhou-grid-8")).await;
    assert_eq!(status, StatusCode::CREATED, "{problem}");
    // The unit is retired after the app was published.
    assert_eq!(shatou.post("/api/v1/org-units/xinzhou-grid-8/retire", json!({})).await.0, StatusCode::OK);
    let (status, created) = app.submit("to-grid-8", "xinzhou", json!({"title": "路灯不亮"})).await;
    assert_eq!(status, StatusCode::CREATED, "the resident's report is taken: {created}");
    let id = created["id"].as_str().unwrap();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!((case["assignee"].as_str(), case["current_step"].as_str()), (None, Some("dispatch")), "{case}");
    let (_, events) = app.admin_get(&format!("/api/v1/cases/{id}/events")).await;
    let waiting = events.as_array().unwrap().iter().find(|e| e["kind"] == "dispatch.unmatched").expect("waiting");
    assert_eq!(waiting["data"]["receiver"], "unit:xinzhou-grid-8", "{events}");
    // The community hears of it in the inbox its admin reads on the workbench.
    let none = baida_engine::notify::Transports::default();
    app.running.state.engine.deliver_due(&none, 10).await.unwrap();
    let xinzhou = app.login("xinzhou").await;
    let (status, inbox) = xinzhou.get("/api/v1/inbox/xinzhou").await;
    assert_eq!(status, StatusCode::OK);
    let alert =
        inbox.as_array().unwrap().iter().find(|m| m["subject"].as_str().unwrap_or_default().contains("待人工派单"));
    let alert = alert.unwrap_or_else(|| panic!("an alert: {inbox}"));
    assert!(alert["body"].as_str().unwrap().contains(created["number"].as_str().unwrap()), "{alert}");
    // …and on the workbench, linking to the case; a grid worker of another unit sees no such letter.
    let work = xinzhou.client.get(app.url("/work")).send().await.unwrap().text().await.unwrap();
    assert!(work.contains("待人工派单") && work.contains(&format!("/work/cases/{id}")), "{work}");
    let grid3 = app.login("grid3").await;
    let theirs = grid3.client.get(app.url("/work")).send().await.unwrap().text().await.unwrap();
    assert!(!theirs.contains("待人工派单"), "{theirs}");
    // Dispatched by hand to a unit that takes it, the case moves on.
    let r = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer_auth(TOKEN)
        .json(&json!({"action": "redispatch", "to": "xinzhou-grid-8", "reason": "原网格"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "not to the retired unit either");
    let r = app
        .post(&format!("/api/v1/cases/{id}/actions"))
        .bearer_auth(TOKEN)
        .json(&json!({"action": "redispatch", "to": "role:community_admin", "reason": "社区先接"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let case: Value = r.json().await.unwrap();
    assert_eq!((case["assignee"].as_str(), case["current_step"].as_str()), (Some("xinzhou"), Some("handle")));
});
