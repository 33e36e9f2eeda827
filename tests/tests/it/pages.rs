//! The resident's pages, without JavaScript: the form, its errors, the success page and the
//! tracking page; plus the schema and API documents a client needs.

use baida_tests::reqwest::multipart::{Form, Part};
use baida_tests::reqwest::{StatusCode, redirect};
use baida_tests::serde_json::{Value, json};
use baida_tests::{TestApp, both, fixture};

both!(a_resident_fills_the_form_with_a_photo_and_follows_the_case, |app: TestApp| async move {
    let page = app.get("/a/xinzhou/minyi-suban").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains(r#"<label for="f-title">"#) && html.contains(r#"id="f-title""#), "labels are tied to inputs");
    assert!(html.contains(r#"accept="image/*" capture="environment""#));
    assert!(html.contains(r#"enctype="multipart/form-data""#));

    // Keeps cookies, as a browser does: the photos it uploads are bound to it (the upload key).
    let client =
        baida_tests::reqwest::Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap();
    // First attempt: the title is missing; the page comes back with the error and what was typed.
    let form = Form::new()
        .text("category", "city_appearance")
        .text("subcategory", "garbage")
        .text("description", "东门垃圾桶满溢已经三天了，气味很大")
        .text("location.lon", "114.0513")
        .text("location.lat", "22.5121")
        .text("location.address", "新洲花园东门")
        .text("anonymous", "no")
        .text("contact_name", "李明")
        .text("contact_phone", "138 1234 5678")
        .part(
            "photos",
            Part::bytes(fixture("photo-gps.jpg")).file_name("IMG_0001.JPG").mime_str("image/jpeg").unwrap(),
        );
    let r = client.post(app.url("/a/xinzhou/minyi-suban")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="error-summary""#), "an error summary at the top");
    assert!(html.contains(r##"href="#f-title""##), "the summary links to the field");
    assert!(html.contains(r#"id="f-title-error""#) && html.contains("此项必填"));
    assert!(
        html.contains("东门垃圾桶满溢已经三天了，气味很大") && html.contains("新洲花园东门"),
        "everything typed is kept"
    );
    let sha = html
        .split(r#"name="photos" value=""#)
        .nth(1)
        .and_then(|s| s.get(..64))
        .expect("the uploaded photo is kept")
        .to_string();
    // Its thumbnail is shown to this browser only, until the case holds it.
    let thumbnail = client.get(app.url(&format!("/photos/{sha}"))).send().await.unwrap();
    assert_eq!(thumbnail.status(), StatusCode::OK);
    assert!(thumbnail.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    let elsewhere = baida_tests::reqwest::Client::new().get(app.url(&format!("/photos/{sha}"))).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // Second attempt, complete: a redirect to the tracking page with the case number.
    let form = Form::new()
        .text("category", "city_appearance")
        .text("subcategory", "garbage")
        .text("title", "东门垃圾没人清运")
        .text("description", "东门垃圾桶满溢已经三天了，气味很大")
        .text("location.lon", "114.0513")
        .text("location.lat", "22.5121")
        .text("location.address", "新洲花园东门")
        .text("anonymous", "no")
        .text("contact_name", "李明")
        .text("contact_phone", "138 1234 5678")
        .text("photos", sha.clone());
    let r = client.post(app.url("/a/xinzhou/minyi-suban")).multipart(form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    if status != StatusCode::SEE_OTHER {
        let body = r.text().await.unwrap();
        let summary = body.split("error-summary").nth(1).unwrap_or(&body);
        panic!("expected a redirect, got {status}: {}", &summary[..summary.len().min(1500)]);
    }
    let location = location.unwrap();
    assert!(
        location.starts_with("/my/cases/") && location.contains("?t=") && location.ends_with("&new=1"),
        "{location}"
    );
    // The link's token moves into a cookie for this case's pages, and the page comes back
    // without it: no token in the address bar, the history or the page's links.
    let bare = baida_tests::reqwest::Client::builder()
        .redirect(baida_tests::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = bare.get(app.url(&location)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let case_page = location.split('?').next().unwrap().to_string();
    assert_eq!(r.headers()["location"], format!("{case_page}?new=1"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = location.split("t=").nth(1).unwrap().split('&').next().unwrap();
    assert!(cookie.starts_with(&format!("baida_track={token};")), "{cookie}");
    assert!(cookie.contains(&format!("Path={case_page};")) && cookie.contains("HttpOnly"), "{cookie}");
    let html = app.get(&location).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("提交成功"));
    // The receipt offers the link to keep, with its token (it opens the case on another phone
    // too); the page's other links, and the page reloaded, carry none.
    assert_eq!(html.matches(token).count(), 1, "only the link to keep: {html}");
    assert!(html.contains(&format!(r#"?t={token}">"#)), "{html}");
    let again = app.get(&case_page).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("办理经过") && !again.contains(token), "{again}");
    let number = html.split(r#"<strong class="number">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(number.len(), 15);
    assert!(html.contains(r#"<dd id="current-step">签收</dd>"#), "the current step is named: {html}");
    assert!(html.contains("已派给承办单位"), "the timeline tells of the dispatch");

    let (_, cases) = app.admin_get("/api/v1/cases").await;
    let case = cases["items"][0].clone();
    assert_eq!(case["number"], number.as_str());
    assert_eq!(case["record"]["contact_phone"], "13812345678", "the phone is normalised");
    assert_eq!(case["record"]["photos"], json!([sha]));

    // Without the token, or with a wrong one, the tracking page is not found.
    let id = case["id"].as_str().unwrap();
    assert_eq!(bare.get(app.url(&format!("/my/cases/{id}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bare.get(app.url(&format!("/my/cases/{id}?t=guess"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let r = bare.get(app.url(&format!("/my/cases/{id}"))).header("cookie", "baida_track=guess").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let english = app.get(&location.replace("&new=1", "&lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(english.contains(r#"<html lang="en">"#) && english.contains("Case number"));
});

both!(conditional_fields_and_repeat_groups_work_without_javascript, |app: TestApp| async move {
    // The live state, as the page's script asks for it.
    let r = app
        .post("/a/xinzhou/minyi-suban/state")
        .form(&[("anonymous", "yes"), ("category", "safety_hazard")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["visible"]["f-contact_name"], false, "anonymous reports hide the contact");
    assert_eq!(s["computed"]["f-priority"], "特急", "the server computes priority and shows its label");
    assert!(
        s["options"]["f-subcategory"].as_array().unwrap().iter().all(|v| v.as_str().is_some()),
        "cascading options: {s}"
    );

    // "Add an item" in a repeat group, by a plain submit button.
    let form = Form::new().text("name", "王芳").text("members.0.name", "王小明").text("_add", "members");
    let r = app.post("/a/xinzhou/xinlin-huhang").multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"name="members.1.name""#), "a second item appears");
    assert!(html.contains("王小明"), "the first item is kept");
    assert!(!html.contains(r#"id="error-summary""#), "adding an item is not an error");
});

both!(pages_and_documents_a_client_needs, |app: TestApp| async move {
    let home = app.get("/").send().await.unwrap().text().await.unwrap();
    assert!(home.contains("新洲社区") && home.contains("/a/xinzhou/minyi-suban"));
    let schema = app.get("/schemas/app.schema.json").send().await.unwrap();
    assert_eq!(schema.headers()["content-type"], "application/schema+json");
    let schema: Value = schema.json().await.unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let api: Value = app.get("/api/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/healthz",
        "/api/v1/apps",
        "/api/v1/apps/{app}",
        "/api/v1/apps/validate",
        "/api/v1/apps/{app}/submissions",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/events",
        "/api/v1/photos",
    ] {
        assert!(api["paths"].get(path).is_some(), "{path} is documented");
    }
    let missing = app.get("/a/xinzhou/no-such-app").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("找不到页面"));
    let r = app.get("/api/v1/nothing-here").send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["content-type"].to_str().unwrap()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    let css = app.get("/static/baida.css").send().await.unwrap();
    let js = app.get("/static/form.js").send().await.unwrap();
    let form = app.get("/a/xinzhou/minyi-suban").send().await.unwrap();
    let weight = css.bytes().await.unwrap().len() + js.bytes().await.unwrap().len() + form.bytes().await.unwrap().len();
    println!("page weight of the 民意速办 form (HTML + CSS + JS, uncompressed): {weight} bytes");
    assert!(weight < 40_000, "the form page stays small: {weight} bytes");
});

both!(app_definitions_are_validated_with_pointers_and_hints, |app: TestApp| async move {
    let bad = json!({
        "id": "Bad App", "version": "1.0", "name": "坏应用", "category": "test",
        "record": {"fields": [
            {"key": "a", "type": "text"}, {"key": "a", "type": "text"},
            {"key": "b", "type": "colour"},
            {"key": "c", "dict": "people.no_such_field"},
            {"key": "d", "type": "text", "visible_if": "record.a ==\n (1 +"}
        ]},
        "steps": [{"id": "report", "block": "form", "config": {}}, {"id": "x", "block": "teleport", "config": {}}],
        "transitions": [{"from": "report", "to": "nowhere"}]
    });
    let r = app.post("/api/v1/apps/validate").json(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let errors = p["errors"].as_array().unwrap();
    let has = |ptr: &str, code: &str| errors.iter().any(|e| e["pointer"] == ptr && e["code"] == code);
    assert!(has("/steps/1/block", "unknown_block"), "{p}");
    assert!(has("/record/fields/2/type", "unknown_field_type"), "{p}");
    // With the unknown kinds fixed, the semantic problems all come at once.
    let mut fixed = bad.clone();
    fixed["steps"][1]["block"] = json!("notify");
    fixed["steps"][1]["config"] = json!({"channel": "sms", "to": "record.phone", "template": "t"});
    fixed["record"]["fields"][2]["type"] = json!("text");
    let p: Value = app.post("/api/v1/apps/validate?lang=en").json(&fixed).send().await.unwrap().json().await.unwrap();
    let errors = p["errors"].as_array().unwrap();
    let has = |ptr: &str, code: &str| errors.iter().any(|e| e["pointer"] == ptr && e["code"] == code);
    for (ptr, code) in [
        ("/id", "bad_id"),
        ("/version", "bad_version"),
        ("/record/fields/1/key", "duplicate_key"),
        ("/record/fields/3/dict", "unknown_dict_field"),
        ("/record/fields/4/visible_if", "script"),
        ("/transitions/0/to", "dangling_transition"),
        ("/steps/1/config/to", "unknown_field"),
        ("/steps/1/config/template", "unknown_template"),
        ("/steps/1", "unreachable_step"),
    ] {
        assert!(has(ptr, code), "{ptr} {code} missing: {p:#}");
    }
    let script = errors.iter().find(|e| e["code"] == "script").unwrap();
    assert_eq!(script["line"], 2, "script errors carry line and column: {script}");
    assert!(errors.iter().all(|e| e["hint"].is_string()
        || e["code"] == "duplicate_key"
        || e["code"] == "unknown_field"
        || e["code"] == "bad_version"
        || e["hint"].is_null()));
    let ok: Value = app
        .post("/api/v1/apps/validate")
        .json(&app.admin_get("/api/v1/apps/minyi-suban").await.1["definition"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["valid"], true);
});

async fn metrics_are_for_the_operator(backend: baida_tests::Backend) {
    // nginx on this machine forwards the public's requests: they must not read /metrics.
    let options = baida_tests::Options { trusted_proxies: Some(vec!["127.0.0.1".into()]), ..Default::default() };
    let app = baida_tests::spawn_with(backend, options).await;
    let (status, _) = app.submit("minyi-suban", "xinzhou", baida_tests::minyi_answers()).await;
    assert_eq!(status, StatusCode::CREATED);
    let from_outside = app.get("/metrics").header("x-forwarded-for", "203.0.113.5").send().await.unwrap();
    assert_eq!(from_outside.status(), StatusCode::NOT_FOUND);
    let r = app.get("/metrics").bearer_auth(baida_tests::TOKEN).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    for expected in [
        "baida_submissions_total",
        "baida_http_requests_total{method=\"POST\",route=\"/api/v1/apps/{app}/submissions\",status=\"201\"}",
        "baida_http_request_duration_seconds",
        "baida_group_commit_batch_size",
        "baida_outbox_backlog",
        "baida_db_pool_connections",
        "baida_db_pool_wait_seconds",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // A scraper on this machine needs no token.
    assert_eq!(app.get("/metrics").send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_sqlite() {
    metrics_are_for_the_operator(baida_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_postgres() {
    metrics_are_for_the_operator(baida_tests::Backend::Postgres).await;
}
