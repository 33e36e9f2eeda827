//! The designer's API end to end, on both backends: a blank draft autosaved revision by
//! revision with the same problems as `baida validate`; a stale revision refused; publishing
//! makes a version and the app answers submissions; the history with readable changes and a
//! rollback; duplicating and archiving (an archived app takes no submissions); only a
//! community's app builders change its apps; the live preview and the test run store nothing.

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Staff, TestApp, both};

async fn put_draft(s: &Staff, id: &str, revision: i64, definition: &Value) -> (StatusCode, Value) {
    s.send(Method::PUT, &format!("/api/v1/drafts/{id}"), json!({"revision": revision, "definition": definition})).await
}

/// A small complete app: an intake form, dispatch, a notify step.
fn finish(def: &mut Value) {
    def["name"] = json!({"zh-CN": "楼道杂物", "en": "Hallway clutter"});
    def["record"]["fields"] = json!([
        {"key": "spot", "type": "text", "label": {"zh-CN": "位置", "en": "Where"}, "required": true},
        {"key": "phone", "dict": "people.phone", "required": true}
    ]);
    def["steps"][0]["config"]["fields"] = json!(["spot", "phone"]);
    def["steps"].as_array_mut().unwrap().extend([
        json!({"id": "dispatch", "block": "dispatch", "config": {"otherwise": "list:responsibility"}}),
        json!({"id": "handle", "block": "handle", "config": {"fields": []}}),
        json!({"id": "notify", "block": "notify", "config": {"channel": "sms", "to": "record.phone", "template": "move-car-result"}}),
    ]);
    def["transitions"] = json!([
        {"from": "report", "to": "dispatch"}, {"from": "dispatch", "to": "handle"}, {"from": "handle", "to": "notify"}
    ]);
}

async fn drafts_publish_and_history(app: TestApp) {
    let builder = app.login("xzbuilder").await;
    let (status, draft) = builder.post("/api/v1/drafts", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap().to_string();
    assert_eq!(draft["owner"], "xinzhou", "a new app belongs to the builder's community");
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["community"], "xinzhou");

    // It is listed as a draft.
    let (_, list) = builder.get("/api/v1/drafts").await;
    let mine = list.as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).expect("listed");
    assert_eq!(mine["status"], "draft");
    assert_eq!(mine["version"], Value::Null);

    // An invalid draft is kept, with the problems `baida validate` gives, pointing at the fault.
    let mut def = draft["definition"].clone();
    def["steps"].as_array_mut().unwrap().push(json!({"id": "tell", "block": "notify", "config": {}}));
    let (status, saved) = put_draft(&builder, &id, 1, &def).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["revision"], 2);
    let problems = saved["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["pointer"].as_str().unwrap().starts_with("/steps/1")), "{problems:?}");

    // A script error comes with its line and column.
    def["steps"].as_array_mut().unwrap().pop();
    def["record"]["fields"] =
        json!([{"key": "spot", "type": "text", "label": "位置", "visible_if": "record.spot ==\n  "}]);
    let (_, saved) = put_draft(&builder, &id, 2, &def).await;
    let script = saved["problems"].as_array().unwrap().iter().find(|p| p["pointer"] == "/record/fields/0/visible_if");
    assert!(script.is_some_and(|p| p["line"].is_number() && p["column"].is_number()), "{saved}");

    // Someone saving from an old revision is refused and changes nothing.
    let (status, body) = put_draft(&builder, &id, 1, &def).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, now) = builder.get(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(now["revision"], 3);

    // A receiver that does not exist is a problem while editing, where publishing would refuse it.
    let mut wrong = draft["definition"].clone();
    finish(&mut wrong);
    wrong["steps"][1]["config"]["otherwise"] = json!("dept:atlantis");
    let (_, saved) = put_draft(&builder, &id, 3, &wrong).await;
    assert_eq!(saved["problems"][0]["pointer"], "/steps/1/config/otherwise", "{saved}");
    assert_eq!(saved["problems"][0]["code"], "unknown_receiver", "{saved}");
    let (status, body) = builder.post(&format!("/api/v1/drafts/{id}/publish"), json!({"revision": 4})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "unknown_receiver", "{body}");
    let (_, saved) = put_draft(&builder, &id, 4, &def).await;
    assert_eq!(saved["revision"], 5);

    // Publishing an invalid draft is refused.
    let (status, body) = builder.post(&format!("/api/v1/drafts/{id}/publish"), json!({"revision": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Fixed and published: a version, and the resident form takes submissions.
    let mut def = draft["definition"].clone();
    finish(&mut def);
    let (_, saved) = put_draft(&builder, &id, 5, &def).await;
    assert_eq!(saved["problems"], json!([]), "{saved}");
    let (status, published) = builder.post(&format!("/api/v1/drafts/{id}/publish"), json!({"revision": 6})).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let first = published["version"].as_str().unwrap().to_string();
    let (status, case) = app.submit(&id, "xinzhou", json!({"spot": "3 栋楼道", "phone": "13812345678"})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["current_step"], "handle");

    // The draft is gone; reading it gives the published version as revision 0.
    let (_, now) = builder.get(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(now["revision"], 0);
    assert_eq!(now["published_version"], first.as_str());

    // A second version changes a label; the history says what changed, in words.
    let mut def2 = now["definition"].clone();
    def2["record"]["fields"][0]["label"] = json!({"zh-CN": "具体位置", "en": "Exact place"});
    let (_, saved) = put_draft(&builder, &id, 0, &def2).await;
    assert_eq!(saved["revision"], 1);
    let (_, list) = builder.get("/api/v1/drafts").await;
    let mine = list.as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(mine["status"], "changed", "published, with unpublished changes");
    let (_, changes) = builder.get(&format!("/api/v1/apps/{id}/diff?to=draft")).await;
    let summaries: Vec<&str> =
        changes.as_array().unwrap().iter().map(|c| c["summary"]["zh-CN"].as_str().unwrap()).collect();
    assert_eq!(summaries.len(), 1, "{changes}");
    assert!(summaries[0].contains("spot"), "{summaries:?}");
    let (status, second) = builder.post(&format!("/api/v1/drafts/{id}/publish"), json!({"revision": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (_, history) = builder.get(&format!("/api/v1/apps/{id}/versions")).await;
    let versions: Vec<&str> = history.as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(versions, vec![second["version"].as_str().unwrap(), first.as_str()], "newest first");
    assert_eq!(history[0]["created_by"].as_str().map(|s| s.contains("陈晨")), Some(true), "{history}");
    assert_eq!(history[0]["changes"], 1);

    // Rolling back makes the first definition the latest again, as a third version.
    let (status, rolled) = builder.post(&format!("/api/v1/apps/{id}/rollback"), json!({"version": first})).await;
    assert_eq!(status, StatusCode::CREATED, "{rolled}");
    let (_, latest) = app.admin_get(&format!("/api/v1/apps/{id}")).await;
    assert_eq!(latest["definition"]["record"]["fields"][0]["label"], json!({"zh-CN": "位置", "en": "Where"}));
    assert_ne!(latest["version"], first.as_str(), "history is kept: a new version");

    // Duplicate: a new draft with the same flow under a new id.
    let (status, copy) = builder.post("/api/v1/drafts", json!({"copy_of": id})).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], id.as_str());
    assert_eq!(copy["definition"]["steps"].as_array().unwrap().len(), 4);
    assert_eq!(copy["definition"]["name"]["zh-CN"], "楼道杂物（副本）");

    // Archive: it leaves the list and takes no new submissions; restore brings it back.
    let (status, _) =
        builder.send(Method::PUT, &format!("/api/v1/apps/{id}/archived"), json!({"archived": true})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = builder.get("/api/v1/drafts").await;
    assert!(!list.as_array().unwrap().iter().any(|a| a["id"] == id.as_str()));
    let (status, _) = app.submit(&id, "xinzhou", json!({"spot": "楼道", "phone": "13812345678"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an archived app takes nothing new");
    let (_, list) = builder.get("/api/v1/drafts?archived=true").await;
    assert!(list.as_array().unwrap().iter().any(|a| a["id"] == id.as_str() && a["archived"] == true));
    builder.send(Method::PUT, &format!("/api/v1/apps/{id}/archived"), json!({"archived": false})).await;
    let (status, _) = app.submit(&id, "xinzhou", json!({"spot": "楼道", "phone": "13812345678"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

both!(drafts_are_saved_published_and_rolled_back, drafts_publish_and_history);

async fn only_builders_of_the_community(app: TestApp) {
    let builder = app.login("xzbuilder").await;
    let (_, draft) = builder.post("/api/v1/drafts", json!({})).await;
    let id = draft["id"].as_str().unwrap().to_string();

    // A grid worker of the same community may not build; another community's admin does not see it.
    let grid = app.login("grid1").await;
    let (status, body) = put_draft(&grid, &id, 1, &draft["definition"]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = grid.post("/api/v1/drafts", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other = app.login("tianan").await;
    let (status, _) = other.get(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = other.get("/api/v1/drafts").await;
    assert!(!list.as_array().unwrap().iter().any(|a| a["id"] == id.as_str()));

    // A draft may not take another app's id, nor be created under a taken one.
    let mut def = draft["definition"].clone();
    def["id"] = json!("minyi-suban");
    let (status, body) = put_draft(&builder, &id, 1, &def).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/definition/id");
    let (status, _) = builder.post("/api/v1/drafts", json!({"id": "minyi-suban"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = builder.post("/api/v1/drafts", json!({"id": "Bad Id"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, unchanged) = builder.get(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(unchanged["revision"], 1, "nothing changed");
}

both!(only_a_communitys_app_builders_change_its_apps, only_builders_of_the_community);

async fn preview_and_test_run(app: TestApp) {
    let builder = app.login("xzbuilder").await;
    let (_, draft) = builder.post("/api/v1/drafts", json!({})).await;
    let mut def = draft["definition"].clone();
    finish(&mut def);
    def["steps"][1]["config"]["rules"] =
        json!([{"when": "record.spot.contains(\"车库\")", "to": "dept:traffic-police"}]);

    // The preview is the real resident form, in either language, and needs nothing saved.
    let r = builder.client.post(format!("{}/api/v1/apps/preview?lang=en", app.base)).json(&def).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Hallway clutter") && html.contains("id=\"f-spot\""), "{html}");
    assert!(!html.contains("method=\"post\""), "the preview cannot be submitted");

    // A test run: dispatched by the rule, stops at handle; nothing stored.
    let cases_before = app.case_count().await;
    let body = json!({"definition": def, "answers": {"spot": "地下车库", "phone": "13812345678"}});
    let (status, run) = builder.post("/api/v1/apps/test-run", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["stopped_at"]["step"], "handle");
    assert_eq!(run["stopped_at"]["holder"], "交警大队", "{run}");
    assert!(run["trace"].as_array().unwrap().iter().any(|e| e["kind"] == "case.dispatched"));

    // Going on past handle: the message that would be sent, and the case closes.
    let mut on = body.clone();
    on["then"] = json!([{"step": "handle", "answers": {}}]);
    let (_, run) = builder.post("/api/v1/apps/test-run", on).await;
    assert_eq!(run["status"], "closed", "{run}");
    assert_eq!(run["messages"][0]["channel"], "sms");
    assert_eq!(run["messages"][0]["recipient"], "13812345678");
    assert_eq!(app.case_count().await, cases_before, "a test run stores no case, so nothing can be sent");

    // Not in a community the builder does not work for.
    let mut elsewhere = body.clone();
    elsewhere["community"] = json!("tianan");
    let (status, _) = builder.post("/api/v1/apps/test-run", elsewhere).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad answers are named by field.
    let bad = json!({"definition": def, "answers": {"phone": "123"}});
    let (_, run) = builder.post("/api/v1/apps/test-run", bad).await;
    let pointers: Vec<&str> =
        run["problems"].as_array().unwrap().iter().map(|p| p["pointer"].as_str().unwrap()).collect();
    assert!(pointers.contains(&"/spot") && pointers.contains(&"/phone"), "{pointers:?}");
}

both!(preview_and_test_run_store_nothing, preview_and_test_run);
