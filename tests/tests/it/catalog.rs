//! The district catalog end to end: the reference apps are published on a fresh demo; a
//! community submits its own app, the district reviews it (a rejected one never appears);
//! communities install published apps, change them locally and upgrade to a new version with
//! and without conflicts; nobody modifies the catalog copy or another community's fork. And
//! the data dictionary: browsing it, and validation flagging a field that copies it.

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Staff, TOKEN, TestApp, both, fixture};

async fn root(app: &TestApp, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.client.request(method, app.url(path)).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// An app builder at `unit`, logged in.
async fn builder(app: &TestApp, username: &str, unit: &str) -> Staff {
    let body = json!({"username": username, "name": username, "unit_id": unit, "password": "Builder-pass-2026"});
    let (status, user) = root(app, Method::POST, "/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let path = format!("/api/v1/users/{}/grants", user["id"].as_str().unwrap());
    let (status, _) = root(app, Method::POST, &path, json!({"role": "app_builder", "unit_id": unit})).await;
    assert_eq!(status, StatusCode::CREATED);
    app.login_with(username, "Builder-pass-2026").await
}

fn reference(id: &str) -> Value {
    let path = format!("{}/../templates-library/apps/{id}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|e| e["app_id"].as_str().unwrap().to_string()).collect()
}

/// A field of a definition by key.
fn field<'a>(def: &'a Value, key: &str) -> &'a Value {
    def["record"]["fields"].as_array().unwrap().iter().find(|f| f["key"] == key).unwrap_or(&Value::Null)
}

fn field_mut<'a>(def: &'a mut Value, key: &str) -> &'a mut Value {
    def["record"]["fields"].as_array_mut().unwrap().iter_mut().find(|f| f["key"] == key).unwrap()
}

async fn submit(staff: &Staff, app: &str, version: &str) -> Value {
    let body = json!({
        "app": app, "version": version,
        "description": {"zh-CN": "社区自建应用", "en": "Built by the community"},
        "changelog": {"zh-CN": "新版本", "en": "New version"}
    });
    let (status, s) = staff.post("/api/v1/catalog/submissions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    s
}

async fn review(staff: &Staff, id: &str, decision: &str, comment: Option<&str>) -> (StatusCode, Value) {
    staff
        .post(&format!("/api/v1/catalog/submissions/{id}/review"), json!({"decision": decision, "comment": comment}))
        .await
}

both!(publish_review_and_reject, |app: TestApp| async move {
    let xinzhou = app.login("xinzhou").await;
    let district = app.login("district").await;
    // A fresh demo publishes the reference apps.
    let (status, list) = xinzhou.get("/api/v1/catalog").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    for id in ["minyi-suban", "nuoche-e-zhan", "xinlin-huhang", "ti-ping-jue-fu"] {
        assert!(ids(&list).contains(&id.to_string()), "{id} in {list}");
    }
    let (_, ledger) = xinzhou.get("/api/v1/catalog?scenario=ledger").await;
    assert_eq!(ids(&ledger), ["ti-ping-jue-fu"], "the ledger app serves the ledger scenario");
    let (_, moving) = xinzhou.get("/api/v1/catalog?scenario=move-car").await;
    assert_eq!(ids(&moving), ["nuoche-e-zhan"]);
    let (_, by_category) = xinzhou.get("/api/v1/catalog?category=vehicles-parking").await;
    assert_eq!(ids(&by_category), ["nuoche-e-zhan"]);
    let (_, searched) = xinzhou.get("/api/v1/catalog?q=挪车").await;
    assert_eq!(ids(&searched), ["nuoche-e-zhan"]);

    // A community builds its own app and submits it, with a screenshot.
    let b = builder(&app, "builder-xinzhou", "xinzhou").await;
    let mut def = reference("minyi-suban");
    def["id"] = json!("xinzhou-parking");
    def["name"] = json!({"zh-CN": "新洲停车诉求", "en": "Xinzhou parking requests"});
    let (status, saved) = b.post("/api/v1/apps", def.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let shot = b.upload(&fixture("photo.png")).await;
    // Bad input names the field and stores nothing.
    let bad = json!({"app": "xinzhou-parking", "description": "", "changelog": "首发", "scenario": "nope", "screenshots": ["0".repeat(64)]});
    let (status, problem) = b.post("/api/v1/catalog/submissions", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let pointers: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/description", "/scenario", "/screenshots/0"], "{problem}");
    // Screenshots become public: a photo someone else uploaded answers as one that does not exist.
    let foreign = app.upload(&fixture("photo-gps.jpg")).await;
    let bad = json!({"app": "xinzhou-parking", "description": "停车", "changelog": "首发", "screenshots": [foreign]});
    let (status, problem) = b.post("/api/v1/catalog/submissions", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/screenshots/0", "{problem}");
    let (_, queue) = district.get("/api/v1/catalog/submissions?status=submitted").await;
    assert_eq!(queue.as_array().unwrap().len(), 0, "{queue}");
    let body = json!({
        "app": "xinzhou-parking", "scenario": "parking", "screenshots": [shot],
        "description": {"zh-CN": "小区停车问题的受理和处置", "en": "Taking in parking problems in estates"},
        "changelog": {"zh-CN": "首次发布", "en": "First release"}
    });
    let (status, sub) = b.post("/api/v1/catalog/submissions", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["status"], "submitted");
    let id = sub["id"].as_str().unwrap().to_string();
    assert_eq!(b.post("/api/v1/catalog/submissions", body).await.0, StatusCode::CONFLICT);
    // Not published before review.
    assert!(!ids(&xinzhou.get("/api/v1/catalog").await.1).contains(&"xinzhou-parking".to_string()));

    // Another community does not see it; the community itself may not review.
    let tianan = app.login("tianan").await;
    assert_eq!(tianan.get(&format!("/api/v1/catalog/submissions/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(review(&tianan, &id, "approve", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(review(&xinzhou, &id, "approve", None).await.0, StatusCode::FORBIDDEN);
    let (_, mine) = xinzhou.get("/api/v1/catalog/submissions").await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    // The review is a case of the district's review app, waiting in the district's workbench
    // on its review step with a clock; the community reads its progress through the catalog.
    assert_eq!(sub["review_case"], id.as_str(), "{sub}");
    let (status, case) = district.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!((case["app_id"].as_str(), case["current_step"].as_str()), (Some("catalog-review"), Some("review")));
    assert_eq!(case["record"]["app"], "xinzhou-parking");
    assert_eq!(case["record"]["app_name"], "新洲停车诉求");
    let (status, work) = page(&district, &app, "/work").await;
    assert_eq!(status, StatusCode::OK);
    assert!(work.contains("应用目录审核") && work.contains(case["number"].as_str().unwrap()), "{work}");
    assert_eq!(xinzhou.get(&format!("/api/v1/cases/{id}")).await.0, StatusCode::NOT_FOUND, "the district's case");
    // The district approves: published; the timeline is the case's, hash-chained.
    let (status, approved) = review(&district, &id, "approve", Some("同意发布")).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["review_comment"], "同意发布");
    assert!(approved["reviewed_by"].as_str().is_some_and(|by| by != "admin"), "{approved}");
    assert_eq!(review(&district, &id, "reject", Some("晚了")).await.0, StatusCode::CONFLICT);
    let (_, one) = xinzhou.get(&format!("/api/v1/catalog/submissions/{id}")).await;
    let timeline = one["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"case.submitted"), "{kinds:?}");
    assert!(kinds.contains(&"step.completed") && kinds.last() == Some(&"case.closed"), "{kinds:?}");
    for pair in timeline.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    let decided = timeline.iter().find(|e| e["kind"] == "step.completed").unwrap();
    assert_eq!(decided["data"]["answers"]["decision"], "approve");
    let (_, case) = district.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["status"], "closed");
    let (status, queue) = page(&district, &app, "/catalog/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("已发布") && queue.contains(&format!("/work/cases/{id}")), "{queue}");
    let (status, entry) = tianan.get("/api/v1/catalog/xinzhou-parking").await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!((entry["origin"].as_str(), entry["scenario"].as_str()), (Some("xinzhou"), Some("parking")));
    assert_eq!(entry["screenshots"][0], shot);
    assert_eq!(entry["definition"]["name"]["zh-CN"], "新洲停车诉求");

    // A rejected app never appears, and cannot be installed.
    let mut draft = def.clone();
    draft["id"] = json!("xinzhou-draft");
    assert_eq!(b.post("/api/v1/apps", draft).await.0, StatusCode::CREATED);
    let sub = submit(&b, "xinzhou-draft", "1.0.0").await;
    let draft_id = sub["id"].as_str().unwrap();
    let (status, problem) = review(&district, draft_id, "reject", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/comment");
    // Decided from the workbench like any case: the review step's own rules apply (a
    // rejection needs a comment there too), and the catalog follows the case.
    let act = format!("/api/v1/cases/{draft_id}/actions");
    let (status, problem) = district.post(&act, json!({"action": "complete", "answers": {"decision": "reject"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = xinzhou.post(&act, json!({"action": "complete", "answers": {"decision": "approve"}})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a community cannot decide its own submission");
    let answers = json!({"decision": "reject", "comment": "与民意速办重复，请直接安装"});
    let (status, case) = district.post(&act, json!({"action": "complete", "answers": answers})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (_, rejected) = xinzhou.get(&format!("/api/v1/catalog/submissions/{draft_id}")).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["review_comment"], "与民意速办重复，请直接安装");
    assert!(!ids(&tianan.get("/api/v1/catalog").await.1).contains(&"xinzhou-draft".to_string()));
    assert!(!ids(&tianan.get("/api/v1/catalog?q=draft").await.1).contains(&"xinzhou-draft".to_string()));
    assert_eq!(tianan.get("/api/v1/catalog/xinzhou-draft").await.0, StatusCode::NOT_FOUND);
    let (status, _) = tianan.post("/api/v1/catalog/xinzhou-draft/install", json!({"community": "tianan"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

both!(install_change_and_upgrade, |app: TestApp| async move {
    let district = app.login("district").await;
    let tianan = app.login("tianan").await;
    let xiangnan = app.login("xiangnan").await;
    // Install in one action; the fork remembers its source and version.
    let (status, i) = tianan.post("/api/v1/catalog/nuoche-e-zhan/install", json!({"community": "tianan"})).await;
    assert_eq!(status, StatusCode::CREATED, "{i}");
    assert_eq!((i["app_id"].as_str(), i["source_version"].as_str()), (Some("nuoche-e-zhan-tianan"), Some("1.0.0")));
    assert_eq!(
        tianan.post("/api/v1/catalog/nuoche-e-zhan/install", json!({"community": "tianan"})).await.0,
        StatusCode::CONFLICT
    );
    // Not into another community.
    let (status, _) = tianan.post("/api/v1/catalog/nuoche-e-zhan/install", json!({"community": "xiangnan"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = xiangnan.post("/api/v1/catalog/nuoche-e-zhan/install", json!({"community": "xiangnan"})).await;
    assert_eq!(status, StatusCode::CREATED);
    // Usage counts are real.
    let (_, entry) = district.get("/api/v1/catalog/nuoche-e-zhan").await;
    assert_eq!(entry["installs"], 2, "{entry}");
    let by: Vec<&str> =
        entry["installed_by"].as_array().unwrap().iter().map(|i| i["community_id"].as_str().unwrap()).collect();
    assert_eq!(by, ["tianan", "xiangnan"]);
    // The fork runs: a resident files a case with it in the community.
    let photo = app.upload(&fixture("photo.png")).await;
    let report = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "天安数码城 3 栋"},
                        "photos": [photo], "kind": "blocking-exit", "reporter_phone": "13912345678"});
    let (status, case) = app.submit("nuoche-e-zhan-tianan", "tianan", report).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["app_id"], "nuoche-e-zhan-tianan");

    // Nobody modifies the catalog copy or another community's fork.
    let tb = builder(&app, "builder-tianan", "tianan").await;
    let nb = builder(&app, "builder-xiangnan", "xiangnan").await;
    let mut source = reference("nuoche-e-zhan");
    source["name"]["zh-CN"] = json!("越权修改");
    assert_eq!(tb.post("/api/v1/apps", source).await.0, StatusCode::FORBIDDEN);
    let (_, fork) = tb.get("/api/v1/apps/nuoche-e-zhan-tianan").await;
    let mut theirs = fork["definition"].clone();
    theirs["name"]["zh-CN"] = json!("越权修改");
    assert_eq!(nb.post("/api/v1/apps", theirs).await.0, StatusCode::NOT_FOUND);
    assert_eq!(nb.get("/api/v1/catalog/installs/nuoche-e-zhan-tianan/upgrade").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        xiangnan.post("/api/v1/catalog/installs/nuoche-e-zhan-tianan/upgrade", json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    // Local changes: Tian'an renames its copy; Xiangnan rewrites a help text.
    let mut local = fork["definition"].clone();
    local["name"]["zh-CN"] = json!("天安挪车");
    assert_eq!(tb.post("/api/v1/apps", local).await.0, StatusCode::CREATED);
    let (_, xfork) = nb.get("/api/v1/apps/nuoche-e-zhan-xiangnan").await;
    let mut local = xfork["definition"].clone();
    field_mut(&mut local, "note")["help"] = json!({"zh-CN": "香南：请写明楼栋", "en": "Xiangnan: say which block"});
    assert_eq!(nb.post("/api/v1/apps", local).await.0, StatusCode::CREATED);

    // The district publishes 1.1.0: a new field, and a new help text for the same field.
    let mut next = reference("nuoche-e-zhan");
    next["version"] = json!("1.1.0");
    field_mut(&mut next, "note")["help"] =
        json!({"zh-CN": "请说明原因和车辆特征", "en": "Say why, and how to spot the car"});
    next["record"]["fields"].as_array_mut().unwrap().push(json!({"key": "car_color", "dict": "vehicle.color"}));
    let (status, saved) = app.login("builder").await.post("/api/v1/apps", next).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let sub = submit(&district, "nuoche-e-zhan", "1.1.0").await;
    assert_eq!(review(&district, sub["id"].as_str().unwrap(), "approve", None).await.0, StatusCode::OK);

    // Installed copies see it.
    let (_, installs) = tianan.get("/api/v1/catalog/installs").await;
    assert_eq!(installs.as_array().unwrap().len(), 1, "{installs}");
    assert_eq!(
        (installs[0]["update_available"].as_bool(), installs[0]["latest_version"].as_str()),
        (Some(true), Some("1.1.0"))
    );
    // Without conflicts: a readable diff, then the upgrade keeps the local change.
    let (status, plan) = tianan.get("/api/v1/catalog/installs/nuoche-e-zhan-tianan/upgrade").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let summaries: Vec<&str> =
        plan["changes"].as_array().unwrap().iter().map(|c| c["summary"]["zh-CN"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"新增 字段“car_color”"), "{summaries:?}");
    assert!(summaries.contains(&"修改 字段“note”：help"), "{summaries:?}");
    assert_eq!(plan["local_changes"][0]["path"], "/name", "{plan}");
    assert_eq!(plan["local_changes"][0]["after"]["zh-CN"], "天安挪车");
    assert_eq!(plan["conflicts"].as_array().unwrap().len(), 0);
    let (status, done) = tianan.post("/api/v1/catalog/installs/nuoche-e-zhan-tianan/upgrade", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, now) = tb.get("/api/v1/apps/nuoche-e-zhan-tianan").await;
    assert_eq!(now["version"], "1.1.0");
    assert_eq!(now["definition"]["name"]["zh-CN"], "天安挪车");
    assert_eq!(field(&now["definition"], "car_color")["dict"], "vehicle.color");
    assert_eq!(field(&now["definition"], "note")["help"]["zh-CN"], "请说明原因和车辆特征");
    assert_eq!(
        tianan.post("/api/v1/catalog/installs/nuoche-e-zhan-tianan/upgrade", json!({})).await.0,
        StatusCode::CONFLICT
    );

    // With a conflict: nothing changes until a side is chosen.
    let (status, problem) = xiangnan.post("/api/v1/catalog/installs/nuoche-e-zhan-xiangnan/upgrade", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "merge_conflict");
    let at = problem["errors"][0]["pointer"].as_str().unwrap().to_string();
    assert!(at.starts_with("/record/fields/note/help"), "{problem}");
    let (_, plan) = xiangnan.get("/api/v1/catalog/installs/nuoche-e-zhan-xiangnan/upgrade").await;
    assert_eq!(plan["conflicts"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(plan["conflicts"][0]["path"], "/record/fields/note/help");
    assert_eq!(plan["conflicts"][0]["mine"]["zh-CN"], "香南：请写明楼栋");
    assert_eq!(plan["conflicts"][0]["theirs"]["zh-CN"], "请说明原因和车辆特征");
    let (_, still) = nb.get("/api/v1/apps/nuoche-e-zhan-xiangnan").await;
    assert_eq!(still["version"], "1.0.1");
    let mut resolutions = serde_json::Map::new();
    for c in plan["conflicts"].as_array().unwrap() {
        resolutions.insert(c["path"].as_str().unwrap().into(), json!("mine"));
    }
    let (status, done) = xiangnan
        .post("/api/v1/catalog/installs/nuoche-e-zhan-xiangnan/upgrade", json!({"resolutions": resolutions}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, now) = nb.get("/api/v1/apps/nuoche-e-zhan-xiangnan").await;
    assert_eq!(field(&now["definition"], "note")["help"]["zh-CN"], "香南：请写明楼栋");
    assert_eq!(field(&now["definition"], "car_color")["dict"], "vehicle.color");
});

both!(dictionary_browsing_and_duplicate_fields, |app: TestApp| async move {
    let r = app.get("/api/v1/dictionary?scenario=move-car").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    let keys: Vec<&str> = d["fields"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"vehicle.plate_number") && !keys.contains(&"business.credit_code"), "{keys:?}");
    assert!(d["categories"].as_array().unwrap().len() >= 7 && d["scenarios"].as_array().unwrap().len() >= 20);
    let plate = d["fields"].as_array().unwrap().iter().find(|f| f["key"] == "vehicle.plate_number").unwrap();
    assert_eq!(plate["sensitivity"], "personal");
    assert!(plate["format"]["zh-CN"].is_string() && plate["validation"]["en"].is_string(), "{plate}");
    let html = app.get("/dictionary").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("数据字典") && html.contains("vehicle.plate_number") && html.contains("车牌号码"));
    let html = app.get("/dictionary?lang=en&category=business").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Unified social credit code") && !html.contains("vehicle.plate_number"));

    // A field that copies the dictionary under another name is flagged, with a code.
    let mut def = reference("nuoche-e-zhan");
    def["record"]["fields"].as_array_mut().unwrap().push(json!({
        "key": "chepai", "type": "text", "label": {"zh-CN": "车牌号码", "en": "Plate"}
    }));
    let r = app.post("/api/v1/apps/validate").json(&def).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["warnings"][0]["code"], "duplicates_dictionary_field", "{v}");
    assert!(v["warnings"][0]["pointer"].as_str().unwrap().starts_with("/record/fields/"));
    assert!(v["warnings"][0]["hint"]["zh-CN"].as_str().unwrap().contains("vehicle.plate_number"), "{v}");
    // The reference app copies nothing; it is warned only that anonymous reporters' numbers
    // get no text (they are not proven).
    let clean = reference("nuoche-e-zhan");
    let v: Value = app.post("/api/v1/apps/validate").json(&clean).send().await.unwrap().json().await.unwrap();
    let codes: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unproven_recipient"], "{v}");
    assert_eq!(v["warnings"][0]["pointer"], "/steps/3/config/to");
});

async fn page(staff: &Staff, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = staff.client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

both!(catalog_pages, |app: TestApp| async move {
    // Nobody logged in: to the log-in page.
    let r = app.client_from("127.0.0.1").get(app.url("/catalog")).send().await.unwrap();
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    let tianan = app.login("tianan").await;
    let (status, html) = page(&tianan, &app, "/catalog").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("应用目录") && html.contains("挪车e站") && html.contains("民意速办"), "{html}");
    let (_, html) = page(&tianan, &app, "/catalog?lang=en&scenario=move-car").await;
    assert!(
        html.contains("App catalog")
            && html.contains("/catalog/nuoche-e-zhan")
            && !html.contains("/catalog/minyi-suban")
    );
    // The language chosen stays in the `baida_lang` cookie: back to Chinese the same way.
    let (status, html) = page(&tianan, &app, "/catalog/nuoche-e-zhan?lang=zh-CN").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"flow\"") && html.contains("车牌号码") && html.contains("天安社区"), "{html}");
    // Install from the page, in one action.
    let origin = app.url("");
    let r = tianan
        .client
        .post(app.url("/catalog/nuoche-e-zhan/install"))
        .header("origin", origin.trim_end_matches('/'))
        .form(&[("community", "tianan")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let (_, html) = page(&tianan, &app, "/catalog/nuoche-e-zhan").await;
    assert!(html.contains("id=\"installed-by\""), "{html}");
    let (status, html) = page(&tianan, &app, "/catalog/installs/nuoche-e-zhan-tianan").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("已是最新"), "{html}");
    // The review queue is the district's.
    assert_eq!(page(&tianan, &app, "/catalog/review").await.0, StatusCode::FORBIDDEN);
    let district = app.login("district").await;
    let (status, html) = page(&district, &app, "/catalog/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("目录审核") && html.contains("随百搭发布的参考应用"), "{html}");
});

both!(a_submission_left_without_its_review_case_gets_one_at_start, |app: TestApp| async move {
    // As if the server stopped between storing a submission and opening its review case.
    let state = &app.running.state;
    let mut def = reference("nuoche-e-zhan");
    def["id"] = json!("xinzhou-orphan");
    let (status, _) = root(&app, Method::POST, "/api/v1/apps?owner=xinzhou", def.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = uuid::Uuid::now_v7().to_string();
    let submission = baida_store::Submission {
        id: id.clone(),
        app_id: "xinzhou-orphan".into(),
        version: "1.0.0".into(),
        origin_id: "xinzhou".into(),
        definition: def.clone(),
        name: def["name"].clone(),
        description: json!({"zh-CN": "挪车", "en": "Move a car"}),
        category: "vehicles-parking".into(),
        scenario: None,
        changelog: json!({"zh-CN": "首发", "en": "First"}),
        screenshots: Vec::new(),
        status: baida_store::SubmissionStatus::Submitted,
        submitted_by: "builder".into(),
        submitted_at: chrono::Utc::now(),
        reviewed_by: None,
        reviewed_at: None,
        review_comment: None,
        review_case_id: Some(id.clone()),
    };
    app.running.store.create_submission(&submission).await.unwrap();
    let district = app.login("district").await;
    assert_eq!(district.get(&format!("/api/v1/cases/{id}")).await.0, StatusCode::NOT_FOUND);
    // What the start does: every submission awaiting review gets its case, once.
    let catalog = baida_engine::catalog::Catalog::new(state.engine.clone());
    assert_eq!(catalog.open_missing_reviews().await.unwrap(), 1);
    assert_eq!(catalog.open_missing_reviews().await.unwrap(), 0);
    let (status, case) = district.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!((case["app_id"].as_str(), case["current_step"].as_str()), (Some("catalog-review"), Some("review")));
    let (_, queue) = district.get("/api/v1/catalog/submissions?status=submitted").await;
    assert!(queue.as_array().unwrap().iter().any(|s| s["id"] == id.as_str()), "{queue}");
    let (status, done) = review(&district, &id, "approve", None).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("approved")), "{done}");
});

both!(built_in_app_ids_are_reserved, |app: TestApp| async move {
    // A community builder (or even the operator) cannot start an app with the id of a built-in
    // app or in Baida's `baida-` namespace: before, publishing `catalog-review` made the next
    // catalog submission fail and the server refuse to start.
    let b = builder(&app, "builder-xinzhou", "xinzhou").await;
    for id in ["catalog-review", "baida-anything"] {
        let mut def = reference("nuoche-e-zhan");
        def["id"] = json!(id);
        let (status, problem) = b.post("/api/v1/apps", def.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], "/id", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "reserved_id", "{problem}");
        let (status, _) = root(&app, Method::POST, "/api/v1/apps?owner=xinzhou", def).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id} as root");
        assert_eq!(app.admin_get(&format!("/api/v1/apps/{id}")).await.0, StatusCode::NOT_FOUND);
    }
    // The review app itself is still made by Baida, and a submission is reviewed as before.
    let mut def = reference("nuoche-e-zhan");
    def["id"] = json!("xinzhou-own");
    assert_eq!(b.post("/api/v1/apps", def).await.0, StatusCode::CREATED);
    let s = submit(&b, "xinzhou-own", "1.0.0").await;
    let district = app.login("district").await;
    let (status, done) = review(&district, s["id"].as_str().unwrap(), "approve", None).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("approved")), "{done}");
    let (_, review_app) = app.admin_get("/api/v1/apps/catalog-review").await;
    assert_eq!((review_app["owner"].as_str(), review_app["created_by"].as_str()), (Some("futian"), Some("baida")));
});
