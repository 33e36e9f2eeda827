//! A resident's submission through the API, end to end: photo upload, case creation, the
//! case and its events read back, filters and cursors, restarts, and app versions.

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{TestApp, both, fixture, minyi_answers};

both!(a_submitted_case_survives_a_restart, |app: TestApp| async move {
    let photo = app.upload(&fixture("photo.png")).await;
    let mut answers = minyi_answers();
    answers["photos"] = json!([photo]);
    answers.as_object_mut().unwrap().remove("anonymous");
    let (status, created) = app.submit("minyi-suban", "xinzhou", answers).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let number = created["number"].as_str().unwrap().to_string();
    assert!(number.len() == 15 && number.as_bytes()[8] == b'-', "case number like 20261121-000001: {number}");
    assert_eq!(created["current_step"], "sign", "dispatch runs at once; the department signs next");
    assert!(created["tracking_url"].as_str().unwrap().starts_with(&format!("/my/cases/{id}?t=")));

    let (status, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["record"]["title"], "小区门口垃圾三天没人清运");
    assert_eq!(case["record"]["photos"], json!([photo]));
    assert_eq!(case["record"]["anonymous"], false, "defaults apply to answers left out");
    assert_eq!(case["record"]["priority"], "normal", "computed by the server");
    assert_eq!(case["app_version"], "1.0.0");
    assert_eq!(case["community_id"], "xinzhou");

    let (_, events) = app.admin_get(&format!("/api/v1/cases/{id}/events")).await;
    let events = events.as_array().unwrap().clone();
    assert_eq!(
        events.iter().map(|e| e["kind"].as_str().unwrap()).collect::<Vec<_>>(),
        ["case.submitted", "case.dispatched", "step.entered"]
    );
    assert_eq!(events[0]["prev_hash"], "0".repeat(64));
    assert_eq!(events[1]["prev_hash"], events[0]["hash"], "events are chained");
    assert_eq!(events[2]["prev_hash"], events[1]["hash"], "events are chained");
    assert_eq!(case["head_hash"], events[2]["hash"]);

    let app = app.restart().await;
    let (status, again) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "the case is still there after a restart");
    assert_eq!(again["number"], number);
    // A new client, as after the restart: the case's readers see its photo (the admin token).
    let photo_response = app.get(&format!("/photos/{photo}")).bearer_auth(baida_tests::TOKEN).send().await.unwrap();
    assert_eq!(photo_response.status(), StatusCode::OK);
    let report = baida_engine::verify::verify_all(app.running.store.as_ref()).await.unwrap();
    assert!(report.broken.is_empty() && report.cases == 1 && report.events == 3, "{report:?}");
});

both!(cases_list_filters_and_pages_with_a_cursor, |app: TestApp| async move {
    for i in 0..5 {
        let mut a = minyi_answers();
        a["title"] = json!(format!("第 {i} 件"));
        assert_eq!(app.submit("minyi-suban", "xinzhou", a).await.0, StatusCode::CREATED);
    }
    let plate = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "福田路"}, "photos": [app.upload(&fixture("photo.png")).await],
                       "kind": "fire-lane", "reporter_phone": "13912345678"});
    let (status, body) = app.submit("nuoche-e-zhan", "tianan", plate).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, page1) = app.admin_get("/api/v1/cases?app=minyi-suban&limit=2").await;
    let items: Vec<&str> =
        page1["items"].as_array().unwrap().iter().map(|c| c["record"]["title"].as_str().unwrap()).collect();
    assert_eq!(items, ["第 4 件", "第 3 件"], "newest first");
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = app.admin_get(&format!("/api/v1/cases?app=minyi-suban&limit=2&cursor={cursor}")).await;
    let (_, page3) = app
        .admin_get(&format!("/api/v1/cases?app=minyi-suban&limit=2&cursor={}", page2["next_cursor"].as_str().unwrap()))
        .await;
    assert_eq!(page3["items"].as_array().unwrap().len(), 1);
    assert!(page3["next_cursor"].is_null(), "the last page has no cursor");

    let (_, tianan) = app.admin_get("/api/v1/cases?community=tianan").await;
    assert_eq!(tianan["items"].as_array().unwrap().len(), 1);
    let (_, open) = app.admin_get("/api/v1/cases?status=open&from=2000-01-01").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 6);
    let (_, none) = app.admin_get("/api/v1/cases?to=2000-01-01").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let (status, bad) = app.admin_get("/api/v1/cases?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(
        app.get("/api/v1/cases").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "cases need the admin token"
    );
});

both!(a_changed_definition_is_a_new_version_and_cases_keep_theirs, |app: TestApp| async move {
    let (status, first) = app
        .submit(
            "nuoche-e-zhan",
            "xinzhou",
            json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "福田路"},
        "photos": [app.upload(&fixture("photo.png")).await], "kind": "blocking-exit", "reporter_phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");

    let (_, current) = app.admin_get("/api/v1/apps/nuoche-e-zhan").await;
    let mut def: Value = current["definition"].clone();
    let same = app.post("/api/v1/apps").bearer_auth(baida_tests::TOKEN).json(&def).send().await.unwrap();
    assert_eq!(same.status(), StatusCode::OK, "an identical definition changes nothing");
    assert_eq!(same.json::<Value>().await.unwrap()["created"], false);

    def["name"]["zh-CN"] = json!("挪车e站（新版）");
    let saved = app.post("/api/v1/apps").bearer_auth(baida_tests::TOKEN).json(&def).send().await.unwrap();
    assert_eq!(saved.status(), StatusCode::CREATED);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["version"], "1.0.1", "same number, changed content: the next patch");
    def["version"] = json!("2.0.0");
    def["name"]["zh-CN"] = json!("挪车e站 2");
    let saved: Value =
        app.post("/api/v1/apps").bearer_auth(baida_tests::TOKEN).json(&def).send().await.unwrap().json().await.unwrap();
    assert_eq!(saved["version"], "2.0.0", "a higher number is kept");

    let (_, latest) = app.admin_get("/api/v1/apps/nuoche-e-zhan").await;
    assert_eq!(latest["version"], "2.0.0");
    let (_, old) = app.admin_get("/api/v1/apps/nuoche-e-zhan?version=1.0.0").await;
    assert_eq!(old["definition"]["name"]["zh-CN"], "挪车e站");
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(case["app_version"], "1.0.0", "the case keeps the version it started on");

    let unauthorized = app.post("/api/v1/apps").json(&def).send().await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unauthorized.headers()["content-type"], "application/problem+json");
    let (_, list) = app.admin_get("/api/v1/apps").await;
    let nuoche = list.as_array().unwrap().iter().find(|a| a["id"] == "nuoche-e-zhan").unwrap().clone();
    assert_eq!(nuoche["versions"], 3);
});

both!(concurrent_submissions_are_all_kept, |app: TestApp| async move {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = app.url("/api/v1/apps/minyi-suban/submissions");
        tasks.push(tokio::spawn(async move {
            let mut a = minyi_answers();
            a["title"] = json!(format!("并发 {i}"));
            let r = client.post(url).json(&json!({"community": "xinzhou", "answers": a})).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_string()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 40, "every acknowledged submission has its own case number");
    assert_eq!(app.case_count().await, 40);
});

both!(access_rules_come_from_the_latest_version, |app: TestApp| async move {
    // Version 1.0.0 of 挪车e站 is open to anyone; the builder then closes it to logged-in
    // residents and lets only the district read its cases. Asking for the old version must not
    // reopen either (before, `?version=1.0.0` accepted an anonymous submission).
    let answers = json!({"plate": "粤B12345", "spot": {"lon": 114.05, "lat": 22.53, "address": "福田路"},
        "photos": [app.upload(&fixture("photo.png")).await], "kind": "blocking-exit", "reporter_phone": "13912345678"});
    let (status, first) = app.submit("nuoche-e-zhan", "xinzhou", answers.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let xinzhou = app.login("xinzhou").await;
    let case_path = format!("/api/v1/cases/{}", first["id"].as_str().unwrap());
    assert_eq!(xinzhou.get(&case_path).await.0, StatusCode::OK, "the community reads it under 1.0.0's rules");

    let (_, current) = app.admin_get("/api/v1/apps/nuoche-e-zhan").await;
    let mut def: Value = current["definition"].clone();
    def["version"] = json!("2.0.0");
    def["access"] = json!({"submit": "resident", "view": ["district_admin"]});
    let saved = app.post("/api/v1/apps").bearer_auth(baida_tests::TOKEN).json(&def).send().await.unwrap();
    assert_eq!(saved.status(), StatusCode::CREATED);

    let before = app.case_count().await;
    for path in ["/api/v1/apps/nuoche-e-zhan/submissions?version=1.0.0", "/api/v1/apps/nuoche-e-zhan/submissions"] {
        let r = app.post(path).json(&json!({"community": "xinzhou", "answers": answers})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let p = r.json::<Value>().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("需要登录"), "{path}: {p}");
    }
    assert_eq!(app.case_count().await, before, "nothing stored");
    assert_eq!(xinzhou.get(&case_path).await.0, StatusCode::NOT_FOUND, "the 1.0.0 case is read under 2.0.0's rules");
    // `access.view` holds for lists, figures and actions too (before, only single reads).
    let (_, list) = xinzhou.get("/api/v1/cases?app=nuoche-e-zhan").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    let (_, minyi) = xinzhou.get("/api/v1/cases?app=minyi-suban").await;
    assert!(minyi["items"].is_array(), "other apps are listed as before: {minyi}");
    let (_, figures) = xinzhou.get("/api/v1/figures?app=nuoche-e-zhan").await;
    assert_eq!(figures["total"]["received"], 0, "{figures}");
    let (status, _) = xinzhou.post(&format!("{case_path}/actions"), json!({"action": "suspend", "reason": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let district = app.login("district").await;
    assert_eq!(district.get(&case_path).await.0, StatusCode::OK);
    let (_, list) = district.get("/api/v1/cases?app=nuoche-e-zhan").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    let (_, figures) = district.get("/api/v1/figures?app=nuoche-e-zhan").await;
    assert_eq!(figures["total"]["received"], 1, "{figures}");
});

both!(personal_data_is_masked_inside_groups_and_outboxes, |app: TestApp| async move {
    // 新邻护航 with a household member: before, the members' names and phones and the SMS's
    // recipient were shown in clear to staff without a need to know.
    let reg = json!({"name": "王芳", "id_number": "440301199001011234", "phone": "13922223333",
                     "move_in_date": "2026-01-05", "address": "新洲花园 3 栋 1201", "consent": true,
                     "members": [{"name": "李小明", "relation": "spouse", "phone": "13944445555"}]});
    let (status, created) = app.submit("xinlin-huhang", "xinzhou", reg).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let shatou = app.login("shatou").await;
    let (status, case) = shatou.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let member = &case["record"]["members"][0];
    assert_eq!((member["name"].as_str(), member["phone"].as_str()), (Some("李**"), Some("139****5555")), "{case}");
    let (_, events) = shatou.get(&format!("/api/v1/cases/{id}/events")).await;
    assert!(!events.to_string().contains("13944445555") && !events.to_string().contains("李小明"), "{events}");
    let (_, outbox) = shatou.get(&format!("/api/v1/cases/{id}/outbox")).await;
    let sms = outbox.as_array().unwrap().iter().find(|o| o["message"]["channel"] == "sms").unwrap();
    assert_eq!(sms["message"]["recipient"], "139****3333", "{outbox}");
    // Who needs to know sees them.
    let xinzhou = app.login("xinzhou").await;
    let (_, case) = xinzhou.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["record"]["members"][0]["phone"], "13944445555");
    let (_, outbox) = xinzhou.get(&format!("/api/v1/cases/{id}/outbox")).await;
    assert!(outbox.to_string().contains("13922223333"), "{outbox}");
});
