//! What a user notices of the web layer: answers compressed (but never the live streams),
//! assets revalidated by `ETag`, the language kept in the `baida_lang` cookie, the API page
//! at `/api/docs`, full-width digits in phone and ID numbers.

use baida_tests::reqwest::multipart::Form;
use baida_tests::reqwest::{Client, StatusCode, redirect};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TestApp, both, minyi_answers, sms_gateway, spawn_with};

/// A client that neither decompresses nor follows redirects, and keeps cookies.
fn raw_client() -> Client {
    Client::builder().no_gzip().no_brotli().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
}

both!(pages_and_api_answers_are_compressed_but_not_the_live_stream, |app: TestApp| async move {
    let client = raw_client();
    let get = |path: &str, encoding: &str| client.get(app.url(path)).header("accept-encoding", encoding).send();
    // An HTML page and a JSON answer, gzip when asked for gzip, brotli when asked for brotli.
    for path in ["/", "/dictionary", "/api/v1/dictionary", "/api/v1/openapi.json"] {
        let r = get(path, "gzip").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
        assert!(r.headers()["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"), "{path}");
        let r = get(path, "br").await.unwrap();
        assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("br"), "{path}");
        let r = get(path, "identity").await.unwrap();
        assert!(r.headers().get("content-encoding").is_none(), "{path}: not asked, not compressed");
    }
    let r = get("/api/v1/dictionary", "gzip").await.unwrap();
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip body");

    // The live stream of a case page: never compressed (an encoder would hold events back).
    let (status, case) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let link = case["tracking_url"].as_str().unwrap();
    let (page, query) = link.split_once('?').unwrap();
    let stream = client
        .get(app.url(&format!("{page}/stream?{query}")))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert!(stream.headers().get("content-encoding").is_none(), "{:?}", stream.headers());
    drop(stream);
});

both!(static_assets_are_revalidated_by_etag, |app: TestApp| async move {
    let client = raw_client();
    for path in ["/static/baida.css", "/static/form.js", "/designer/assets/editor.js", "/designer"] {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        let tag = r.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with('"') && !tag.starts_with("W/"), "{path}: a strong tag, {tag}");
        let body = r.bytes().await.unwrap();
        assert!(!body.is_empty());
        // The browser's copy is still good: 304, no body.
        let r = client.get(app.url(path)).header("if-none-match", &tag).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), tag);
        assert!(r.bytes().await.unwrap().is_empty());
        // A compressed copy carries the same tag, and is revalidated the same way.
        let r = client.get(app.url(path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), tag);
        let r = client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
        // A stale copy gets the new one.
        let r = client.get(app.url(path)).header("if-none-match", "\"0123\"").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.bytes().await.unwrap(), body);
    }
    // An unknown asset is still a 404 problem.
    let r = client.get(app.url("/static/nothing.css")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
});

both!(a_language_chosen_with_lang_is_kept_in_a_cookie, |app: TestApp| async move {
    let client = raw_client();
    let html = |r: baida_tests::reqwest::Response| async move { r.text().await.unwrap() };
    // Without a choice: zh-CN, and no cookie.
    let r = client.get(app.url("/dictionary")).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    assert!(html(r).await.contains(r#"<html lang="zh-CN">"#));
    // ?lang=en on a page keeps English for a year on every path.
    let r = client.get(app.url("/?lang=en")).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_eq!(cookie, "baida_lang=en; Path=/; SameSite=Lax; Max-Age=31536000");
    assert!(html(r).await.contains(r#"<html lang="en">"#));
    // The next page, without ?lang=: still English; the cookie is not set again.
    let r = client.get(app.url("/dictionary")).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    assert!(html(r).await.contains(r#"<html lang="en">"#));
    let r = client.get(app.url("/a/xinzhou/minyi-suban")).send().await.unwrap();
    assert!(html(r).await.contains(r#"<html lang="en">"#));
    // Back to Chinese the same way.
    let r = client.get(app.url("/dictionary?lang=zh-CN")).send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().starts_with("baida_lang=zh-CN;"));
    let r = client.get(app.url("/")).send().await.unwrap();
    assert!(html(r).await.contains(r#"<html lang="zh-CN">"#));
    // An API answer's ?lang= is about that answer only: no cookie.
    let r = client.get(app.url("/api/v1/dictionary?lang=en")).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    // Nor does the designer's preview of a form in the other language (a POST).
    let builder = app.login("xzbuilder").await;
    let (_, draft) = builder.post("/api/v1/drafts", json!({})).await;
    let r =
        builder.client.post(app.url("/api/v1/apps/preview?lang=en")).json(&draft["definition"]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.headers().get("set-cookie").is_none(), "{:?}", r.headers());
    // A language Baida does not speak changes nothing.
    let r = client.get(app.url("/?lang=fr")).send().await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
});

both!(the_api_page_lists_every_operation_by_tag, |app: TestApp| async move {
    let r = app.get("/api/docs").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // Tera escapes `/` in text as `&#x2F;`.
    let html = r.text().await.unwrap().replace("&#x2F;", "/");
    assert!(html.contains(r#"<html lang="zh-CN">"#) && html.contains("接口文档"));
    assert!(
        html.contains(r#"<span class="method method-post">POST</span> <code class="api-path">/api/v1/apps/{app}/submissions</code>"#),
        "{html}"
    );
    assert!(html.contains("<code>SubmissionBody</code>"), "the request body's schema is named");
    assert!(html.contains(r#"id="tag-cases""#) && html.contains("案件 cases"), "grouped by tag, named in Chinese");
    assert!(!html.contains("<script"), "no script at all");
    // Every operation of the document is there.
    let doc: Value = app.get("/api/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let shown = format!(r#">{}</span> <code class="api-path">{path}</code>"#, method.to_uppercase());
            assert!(html.contains(&shown), "{method} {path} is on the page");
        }
    }
    let en = app.get("/api/docs?lang=en").send().await.unwrap().text().await.unwrap();
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("API reference") && en.contains("Request body"));
});

both!(a_form_takes_full_width_phone_and_id_numbers_and_stores_them_half_width, |app: TestApp| async move {
    let client = raw_client();
    let form = Form::new()
        .text("name", "王芳")
        .text("id_number", "１１０１０５１９４９１２３１００２ｘ")
        .text("phone", "１３９　２２２２－３３３３")
        .text("move_in_date", "2026-01-05")
        .text("address", "新洲花园 3 栋 1201")
        .text("consent", "yes");
    let r = client.post(app.url("/a/xinzhou/xinlin-huhang")).multipart(form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let id = location.unwrap().split("/my/cases/").nth(1).unwrap().split(['?', '/']).next().unwrap().to_string();
    let (status, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["record"]["phone"], "13922223333", "{case}");
    assert_eq!(case["record"]["id_number"], "11010519491231002X", "{case}");
    // Through the API too, with a +86 in full width; a number that is no mobile number is refused.
    let mut answers = minyi_answers();
    answers["contact_phone"] = json!("＋８６ １３８１２３４５６７８");
    let (status, created) = app.submit("minyi-suban", "xinzhou", answers.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", created["id"].as_str().unwrap())).await;
    assert_eq!(case["record"]["contact_phone"], "13812345678", "{case}");
    answers["contact_phone"] = json!("１２３４５");
    let (status, problem) = app.submit("minyi-suban", "xinzhou", answers).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/contact_phone", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "bad_format", "{problem}");
});

async fn a_resident_logs_in_with_a_full_width_phone_number(backend: Backend) {
    let (url, received) = sms_gateway().await;
    let notify: baida_web::config::NotifyConfig =
        serde_json::from_value(json!({"sms": {"provider": "generic", "url": url}})).unwrap();
    let app = spawn_with(backend, Options { notify: Some(notify), ..Options::default() }).await;
    let resident = raw_client();
    let post = |path: &str, pairs: &[(&str, &str)]| {
        resident.post(app.url(path)).header("origin", app.base.as_str()).form(pairs).send()
    };
    let typed = "１３８ １２３４ ５６７８";
    let r = post("/my/login", &[("phone", typed)]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("138****5678") && html.contains(r#"value="13812345678""#), "{html}");
    let sent = baida_tests::sent_sms(&app, &received).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let text = sent[0].to_string();
    assert_eq!(sent[0]["phone"], "13812345678", "sent to the half-width number");
    let at = text.find("验证码是").expect("the code is in the text") + "验证码是".len();
    let code: String = text[at..].chars().filter(|c| !c.is_whitespace()).take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    // The code form posts the number back; typed again in full width it is the same number,
    // and so is the code typed in full width with a space (an input method left in full-width).
    let full: String = code.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    let full = format!("{}\u{3000}{}", &full[..9], &full[9..]);
    let r = post("/my/login/verify", &[("phone", "１３８１２３４５６７８"), ("code", &full)]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/my");
    let r = resident.get(app.url("/api/v1/me")).send().await.unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["name"], "138****5678", "{me}");
    // Bad input is still refused with the page's message, in Chinese first.
    let r = post("/my/login", &[("phone", "１２３")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请输入 11 位手机号"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_logs_in_with_a_full_width_phone_number_sqlite() {
    a_resident_logs_in_with_a_full_width_phone_number(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_logs_in_with_a_full_width_phone_number_postgres() {
    a_resident_logs_in_with_a_full_width_phone_number(Backend::Postgres).await;
}

both!(staff_log_in_with_their_phone_number_in_full_width, |app: TestApp| async move {
    let client = raw_client();
    let log_in = |login: &str| {
        client
            .post(app.url("/api/v1/session"))
            .header("origin", app.base.as_str())
            .json(&json!({"login": login, "password": baida_tests::DEMO_PASSWORD}))
            .send()
    };
    for login in ["13900000004", "１３９ ０００ ０ ０００４", "+86 139-0000-0004"] {
        let r = log_in(login).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{login}");
        let me: Value = client.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["unit_id"], "xinzhou", "{login}: {me}");
    }
    let r = log_in("１３９０００００００９９").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no such account");
});
