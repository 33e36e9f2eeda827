//! Bad input: each gets a clear 4xx with a problem+json body, and each stores nothing.
//!
//! Kept whole (over 500 lines): one catalogue of refusals, each a short scenario on both
//! backends; grouped by what is refused rather than by route.

use baida_tests::reqwest::StatusCode;
use baida_tests::reqwest::multipart::{Form, Part};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TOKEN, TestApp, both, fixture, minyi_answers, spawn_with};

async fn problem(r: baida_tests::reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    assert_eq!(r.headers()["content-type"], "application/problem+json", "status {status}");
    (status, r.json().await.unwrap())
}

fn pointers(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

both!(bad_answers_are_refused_with_every_problem_and_nothing_is_stored, |app: TestApp| async move {
    let url = "/api/v1/apps/minyi-suban/submissions";
    // Malformed JSON.
    let (status, p) = problem(
        app.post(url)
            .header("content-type", "application/json")
            .body("{\"community\": \"xinzhou\", ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
    // The body has the wrong shape.
    let (status, _) = problem(app.post(url).json(&json!({"community": 7, "answers": {}})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Wrong types, missing required fields, out of range, bad formats — all reported at once.
    let mut a = minyi_answers();
    a["title"] = json!(42);
    a.as_object_mut().unwrap().remove("description");
    a["location"] = json!({"lon": 514.0, "lat": 22.5, "address": "x"});
    a["contact_phone"] = json!("12345");
    a["category"] = json!("nonsense");
    a["sneaky"] = json!("x");
    let (status, p) =
        problem(app.post(url).json(&json!({"community": "xinzhou", "answers": a})).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "invalid_answers");
    let found = pointers(&p);
    for expected in [
        ("/title", "wrong_type"),
        ("/description", "required"),
        ("/location", "bad_location"),
        ("/contact_phone", "bad_format"),
        ("/category", "not_an_option"),
        ("/sneaky", "unknown_answer"),
    ] {
        assert!(found.contains(&(expected.0.into(), expected.1.into())), "{expected:?} missing from {found:?}");
    }
    assert!(
        p["errors"][0]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "zh-CN by default: {p}"
    );
    // English on request.
    let (_, p) = problem(
        app.post(&format!("{url}?lang=en")).json(&json!({"community": "xinzhou", "answers": {}})).send().await.unwrap(),
    )
    .await;
    assert!(p["errors"].as_array().unwrap().iter().any(|e| e["message"] == "This field is required"), "{p}");
    let (_, p) = problem(
        app.post(url)
            .header("accept-language", "en-GB,en;q=0.9")
            .json(&json!({"community": "xinzhou", "answers": {}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p["title"], "Some answers are not valid");
    // A resident ID number with a wrong checksum.
    let reg = json!({"name": "王芳", "id_number": "440301199001011236", "phone": "13800138000", "move_in_date": "2026-01-05", "address": "新洲花园 3 栋 1201", "consent": true});
    let (status, p) = problem(
        app.post("/api/v1/apps/xinlin-huhang/submissions")
            .json(&json!({"community": "xinzhou", "answers": reg}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&p), vec![("/id_number".to_string(), "bad_format".to_string())]);
    // A photo that was never uploaded.
    let mut a = minyi_answers();
    a["photos"] = json!(["a".repeat(64)]);
    let (_, p) =
        problem(app.post(url).json(&json!({"community": "xinzhou", "answers": a})).send().await.unwrap()).await;
    assert_eq!(pointers(&p), vec![("/photos/0".to_string(), "unknown_photo".to_string())]);
    // Unknown app, version, community.
    let (status, _) = problem(
        app.post("/api/v1/apps/no-such-app/submissions")
            .json(&json!({"community": "xinzhou", "answers": {}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, p) = problem(
        app.post(&format!("{url}?version=9.9.9"))
            .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
    let (status, _) = problem(
        app.post(url).json(&json!({"community": "atlantis", "answers": minyi_answers()})).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        problem(app.post(url).json(&json!({"community": "shatou", "answers": minyi_answers()})).send().await.unwrap())
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a street is not a community");
    assert_eq!(app.case_count().await, 0, "nothing was stored");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_on_sqlite() {
    over_the_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_on_postgres() {
    over_the_limit(Backend::Postgres).await;
}

async fn over_the_limit(backend: Backend) {
    let app = spawn_with(backend, Options { max_body_bytes: Some(32 * 1024), ..Options::default() }).await;
    let mut a = minyi_answers();
    a["description"] = json!("长".repeat(20_000));
    let (status, p) = problem(
        app.post("/api/v1/apps/minyi-suban/submissions")
            .json(&json!({"community": "xinzhou", "answers": a}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(p["code"], "too_large");
    let big = vec![0u8; 64 * 1024];
    let r = app.post("/api/v1/photos").body(big).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.case_count().await, 0);
}

both!(photos_are_checked_by_content_and_lose_their_location, |app: TestApp| async move {
    let upload = |name: &'static str, ty: &'static str, bytes: Vec<u8>| {
        let form = Form::new().part("photo", Part::bytes(bytes).file_name(name).mime_str(ty).unwrap());
        app.post("/api/v1/photos").multipart(form).send()
    };
    let html = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let (status, p) = problem(upload("evil.jpg", "image/jpeg", html).await.unwrap()).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>"#.to_vec();
    let (status, _) = problem(upload("cat.jpg", "image/jpeg", svg).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut bomb = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bomb.extend(60_000u32.to_be_bytes());
    bomb.extend(60_000u32.to_be_bytes());
    bomb.extend([8, 2, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x5a]);
    let (status, p) = problem(upload("bomb.png", "image/png", bomb).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");

    // A name with ../ is ignored: photos are stored under their hash only.
    let r = upload("../../../../tmp/baida-escape.png", "image/png", fixture("photo.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let sha = r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
    assert!(app.data_dir.join("blobs/sha256").join(&sha[..2]).join(&sha).exists());
    assert!(!std::path::Path::new("/tmp/baida-escape.png").exists());
    assert!(!app.data_dir.parent().unwrap().join("baida-escape.png").exists());

    // EXIF: the GPS directory is emptied, the rest (camera, orientation) kept.
    let original = fixture("photo-gps.jpg");
    // The fixture is big-endian ("MM"): tag 2 (GPSLatitude), type 5 (rational), count 3.
    let latitude_entry = [0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03];
    assert!(original.windows(8).any(|w| w == latitude_entry), "the fixture carries a GPS latitude");
    let sha = app.upload(&original).await;
    let served = app.get(&format!("/photos/{sha}")).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let bytes = served.bytes().await.unwrap();
    assert!(!bytes.windows(8).any(|w| w == latitude_entry), "the GPS latitude is gone");
    assert!(bytes.windows(12).any(|w| w == b"BaidaTestCam"), "the rest of EXIF is kept");
    assert_eq!(app.get("/photos/..%2F..%2Fetc%2Fpasswd").send().await.unwrap().status(), StatusCode::NOT_FOUND);
});

both!(hostile_text_is_escaped_and_endless_scripts_are_stopped, |app: TestApp| async move {
    let def = json!({
        "id": "hostile", "version": "1.0.0", "category": "test",
        "name": "<script>alert('name')</script>",
        "record": {"fields": [
            {"key": "kind", "type": "select", "label": "\"><img src=x onerror=alert(1)>", "options": [{"value": "a", "label": "<script>alert('opt')</script>"}]},
            {"key": "note", "type": "text", "label": "备注", "max_length": 10},
            {"key": "spin", "type": "text", "visible_if": "loop { }"}
        ]},
        "steps": [{"id": "report", "block": "form", "config": {}}]
    });
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(&def).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let page = app.get("/a/xinzhou/hostile").send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>alert"), "no script tag gets through");
    assert!(!page.contains("<img src=x"), "no injected element");
    assert!(page.contains("&lt;script&gt;alert(&#x27;opt&#x27;)"), "the option is shown escaped");

    // An answer with markup is kept, escaped, when the form comes back with errors.
    let form = Form::new().text("kind", "a").text("note", "\"><img src=x onerror=alert(2)> 太长了太长了");
    let r = app.post("/a/xinzhou/hostile").multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), "the answer is kept, escaped");
    assert!(!page.contains("<img src=x onerror=alert(2)>"));

    // The endless loop in visible_if is stopped with a clear error; the server keeps answering.
    let started = std::time::Instant::now();
    let spin =
        app.post("/api/v1/apps/hostile/submissions").json(&json!({"community": "xinzhou", "answers": {"kind": "a"}}));
    let health = app.get("/healthz");
    let (spin, health) = tokio::join!(spin.send(), health.send());
    assert_eq!(health.unwrap().status(), StatusCode::OK);
    let (status, p) = problem(spin.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pointers(&p).contains(&("/spin".into(), "script_failed".into())), "{p}");
    assert!(p["errors"].to_string().contains("运算次数"), "{p}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(app.case_count().await, 0);
});

/// A multipart body of `n` text parts named by `name(i)`, built by hand (fast to make).
fn multipart_body(n: usize, name: impl Fn(usize) -> String) -> (String, Vec<u8>) {
    let boundary = "floodfloodflood";
    let mut body = String::with_capacity(n * 80);
    for i in 0..n {
        body.push_str(&format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"\r\n\r\na\r\n", name(i)));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

both!(a_flood_of_form_fields_is_refused_at_once, |app: TestApp| async move {
    // 100,000 pairs such as `members.{i}.name=a`, anonymous: before, each form scanned every
    // pair once per field and once more per group index — minutes of CPU on a worker.
    let state_url = "/a/xinzhou/xinlin-huhang/state";
    let many: String = (0..100_000).map(|i| format!("members.{}.name=a&", i % 50)).collect();
    let far: String = (0..100_000).map(|i| format!("members.{i}.name=a&")).collect();
    let (_, minyi) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    let staff = app.login("xinzhou").await;
    let started = std::time::Instant::now();
    let healthz = async {
        // Meanwhile, others are answered.
        for _ in 0..5 {
            assert_eq!(app.get("/healthz").send().await.unwrap().status(), StatusCode::OK);
        }
        started.elapsed()
    };
    let floods = async {
        let urlencoded = |body: String| {
            app.post(state_url).header("content-type", "application/x-www-form-urlencoded").body(body).send()
        };
        let (status, p) = problem(urlencoded(many.clone()).await.unwrap()).await;
        assert_eq!((status, p["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{p}");
        let (status, p) = problem(urlencoded(far.clone()).await.unwrap()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(pointers(&p), [("/members".to_string(), "too_many".to_string())], "{p}");
        // The same bounds on every page that reads a posted form with photos.
        let (kind, body) = multipart_body(100_000, |i| format!("members.{}.name", i % 50));
        let work = format!("/work/cases/{}/complete", minyi["id"].as_str().unwrap());
        for (client, path) in [(&app.client, "/a/xinzhou/xinlin-huhang"), (&staff.client, work.as_str())] {
            let r = client
                .post(app.url(path))
                .header("content-type", kind.clone())
                .header("origin", app.base.clone())
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
            // A page's refusal is a page (in the reader's language), not JSON.
            let kind = r.headers()["content-type"].to_str().unwrap().to_string();
            let html = r.text().await.unwrap();
            assert!(kind.starts_with("text/html") && html.contains("<h1>"), "{path} {kind}: {html}");
        }
        started.elapsed()
    };
    let (answered, refused) = tokio::join!(healthz, floods);
    assert!(refused < std::time::Duration::from_secs(2), "four floods refused in {refused:?}");
    assert!(answered < std::time::Duration::from_secs(1), "others answered within {answered:?}");
    assert_eq!(app.case_count().await, 1, "only the case made above");
});

both!(a_method_a_route_does_not_take_is_405_with_allow, |app: TestApp| async move {
    // Before, 400: a client (or an OpenAPI fuzzer) could not tell a wrong method from bad input.
    let r = app.client.delete(app.url("/api/v1/apps/validate")).send().await.unwrap();
    let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
    let (status, p) = problem(r).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")), "{p}");
    assert_eq!(allow.as_deref(), Some("POST"));
});

async fn public_submissions_are_limited_per_client(backend: Backend) {
    // Before, anyone could file cases (and, through them, messages) as fast as they liked.
    let app = spawn_with(backend, Options { public_submissions_per_minute: Some(3), ..Options::default() }).await;
    for _ in 0..3 {
        assert_eq!(app.submit("minyi-suban", "xinzhou", minyi_answers()).await.0, StatusCode::CREATED);
    }
    let r = app
        .post("/api/v1/apps/minyi-suban/submissions")
        .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
        .send()
        .await
        .unwrap();
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let (status, p) = problem(r).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{p}");
    assert!(retry.is_some_and(|s| (1..=20).contains(&s)), "{retry:?}");
    // The form page says so in a page, and keeps nothing.
    let form = reqwest_form(&app).await;
    assert_eq!(form.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(form.1.contains("提交过于频繁"), "{}", form.1);
    assert_eq!(app.case_count().await, 3, "nothing more was stored");
    // Another address, and a logged-in resident, are not held back.
    for client in [app.client_from("127.0.0.2"), app.resident("13800001111").await] {
        let r = client
            .post(app.url("/api/v1/apps/minyi-suban/submissions"))
            .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

/// Posts the resident form of 民意速办 anonymously; answers the status and the page.
async fn reqwest_form(app: &TestApp) -> (StatusCode, String) {
    let form = baida_tests::reqwest::multipart::Form::new().text("title", "路灯坏了");
    let r = app.post("/a/xinzhou/minyi-suban").multipart(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_submissions_are_limited_on_sqlite() {
    public_submissions_are_limited_per_client(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_submissions_are_limited_on_postgres() {
    public_submissions_are_limited_per_client(Backend::Postgres).await;
}

async fn forwarded_headers_count_only_from_trusted_proxies(backend: Backend) {
    let submit = |app: &TestApp, forwarded_for: String| {
        app.post("/api/v1/apps/minyi-suban/submissions")
            .header("x-forwarded-for", forwarded_for)
            .header("x-forwarded-proto", "https")
            .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
            .send()
    };
    // No proxy is trusted: a client that writes X-Forwarded-For is still itself (before, any
    // header-writing client could claim to be anyone — here, the limits are not fooled), and
    // its claim to have come over HTTPS brings no HSTS.
    let app = spawn_with(backend, Options { public_submissions_per_minute: Some(2), ..Options::default() }).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = submit(&app, format!("198.51.100.{i}")).await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none());
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 429]);
    // 127.0.0.1 is the trusted reverse proxy: each client it forwards is its own, and the
    // answers to HTTPS requests carry HSTS.
    let options = Options {
        public_submissions_per_minute: Some(2),
        trusted_proxies: Some(vec!["127.0.0.1".into()]),
        ..Options::default()
    };
    let app = spawn_with(backend, options).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = submit(&app, format!("6.6.6.6, 198.51.100.{i}")).await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_some());
        statuses.push(r.status().as_u16());
    }
    for _ in 0..3 {
        statuses.push(submit(&app, "198.51.100.9".into()).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429], "one client per forwarded address");
    // Through the trusted proxy, a log-in over HTTPS gets a Secure cookie.
    let r = app
        .post("/api/v1/session")
        .header("x-forwarded-proto", "https")
        .json(&json!({"login": "grid1", "password": baida_tests::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_on_sqlite() {
    forwarded_headers_count_only_from_trusted_proxies(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_on_postgres() {
    forwarded_headers_count_only_from_trusted_proxies(Backend::Postgres).await;
}

both!(checking_definitions_is_bounded_for_strangers, |app: TestApp| async move {
    // Anyone may check a definition, which compiles its scripts: before, without a size cap or
    // a limit per address.
    let huge = json!({"id": "x", "version": "1.0.0", "name": "x", "category": "x", "padding": "长".repeat(400_000)});
    let (status, p) = problem(app.post("/api/v1/apps/validate").json(&huge).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "definition_too_large", "{p}");
    let small = json!({"id": "x"});
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(app.post("/api/v1/apps/validate").json(&small).send().await.unwrap().status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(statuses[..29].iter().all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
    // A logged-in builder is not held back.
    let staff = app.login("xinzhou").await;
    assert_eq!(staff.post("/api/v1/apps/validate", small).await.0, StatusCode::UNPROCESSABLE_ENTITY);
});

both!(a_client_holds_only_so_many_live_pages, |app: TestApp| async move {
    // Each live page held a connection and polled the database every second, with no cap:
    // one client could open thousands.
    let (_, case) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    let stream = format!(
        "{}/stream?{}",
        case["tracking_url"].as_str().unwrap().split('?').next().unwrap(),
        case["tracking_url"].as_str().unwrap().split('?').nth(1).unwrap()
    );
    let mut open = Vec::new();
    for _ in 0..baida_web::live::PER_CLIENT {
        let r = app.get(&stream).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        open.push(r);
    }
    let (status, p) = problem(app.get(&stream).send().await.unwrap()).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{p}");
    let other = app.client_from("127.0.0.2");
    assert_eq!(
        other.get(app.url(&stream)).send().await.unwrap().status(),
        StatusCode::OK,
        "another client is not held back"
    );
    drop(open);
});

// A photo's readers are decided once (`http::photos::audience`): before, every photo was public
// by its hash with a year-long public cache.
both!(a_photo_is_served_only_to_those_who_may_see_it, |app: TestApp| async move {
    let status_of = |client: baida_tests::reqwest::Client, sha: String| {
        let url = app.url(&format!("/photos/{sha}"));
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status(), r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()))
        }
    };
    let stranger = || baida_tests::reqwest::Client::new();

    // Uploaded for a submission in progress: the uploader (its upload key cookie) sees it, no one else.
    let photo = app.upload(&fixture("photo.png")).await;
    let (status, cache) = status_of(app.client.clone(), photo.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cache.as_deref().is_some_and(|c| c.starts_with("private")), "{cache:?}");
    assert_eq!(status_of(stranger(), photo.clone()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(status_of(app.client_from("127.0.0.2"), photo.clone()).await.0, StatusCode::NOT_FOUND);

    // Attached to a case of 新洲: its staff see it (private), another community's staff and strangers do not.
    let mut answers = minyi_answers();
    answers["photos"] = json!([photo]);
    let (status, created) = app.submit("minyi-suban", "xinzhou", answers).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        status_of(stranger(), photo.clone()).await.0,
        StatusCode::NOT_FOUND,
        "anonymous: as if there were no photo"
    );
    let xinzhou = app.login("xinzhou").await;
    let (status, cache) = status_of(xinzhou.client.clone(), photo.clone()).await;
    assert_eq!(status, StatusCode::OK, "the community's staff read the case");
    assert!(cache.as_deref().is_some_and(|c| c.starts_with("private")), "{cache:?}");
    let tianan = app.login("tianan").await;
    assert_eq!(status_of(tianan.client.clone(), photo.clone()).await.0, StatusCode::NOT_FOUND, "another community");

    // A resident's own case: they see its photo, another resident does not.
    let filer = app.resident("13700000001").await;
    let other = app.resident("13700000002").await;
    let r = filer
        .post(app.url("/api/v1/photos"))
        .header("content-type", "application/octet-stream")
        .body(fixture("photo-gps.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let own = r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
    let mut answers = minyi_answers();
    answers["photos"] = json!([own]);
    let r = filer
        .post(app.url("/api/v1/apps/minyi-suban/submissions"))
        .json(&json!({"community": "xinzhou", "answers": answers}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let (status, cache) = status_of(filer.clone(), own.clone()).await;
    assert_eq!(status, StatusCode::OK, "the resident who filed the case");
    assert!(cache.as_deref().is_some_and(|c| c.starts_with("private")), "{cache:?}");
    assert_eq!(status_of(other.clone(), own.clone()).await.0, StatusCode::NOT_FOUND, "another resident");
    // Knowing the hash is not enough: another resident cannot attach the photo to a case of theirs.
    let mut answers = minyi_answers();
    answers["photos"] = json!([own]);
    let r = other
        .post(app.url("/api/v1/apps/minyi-suban/submissions"))
        .json(&json!({"community": "xinzhou", "answers": answers}))
        .send()
        .await
        .unwrap();
    let (status, p) = problem(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&p), vec![("/photos/0".to_string(), "unknown_photo".to_string())]);
    assert_eq!(status_of(other, own.clone()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(status_of(tianan.client.clone(), own).await.0, StatusCode::NOT_FOUND);
    // A photo that does not exist answers the same.
    assert_eq!(status_of(stranger(), "0".repeat(64)).await.0, StatusCode::NOT_FOUND);
});

both!(photo_uploads_are_limited_per_client, |app: TestApp| async move {
    let upload = |client: baida_tests::reqwest::Client| {
        let url = app.url("/api/v1/photos");
        async move {
            client
                .post(url)
                .header("content-type", "application/octet-stream")
                .body(fixture("photo.png"))
                .send()
                .await
                .unwrap()
        }
    };
    for i in 0..30 {
        assert_eq!(upload(app.client.clone()).await.status(), StatusCode::CREATED, "upload {i}");
    }
    let r = upload(app.client.clone()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let (_, p) = problem(r).await;
    assert_eq!(p["code"], "rate_limited", "{p}");
    assert_eq!(upload(app.client_from("127.0.0.2")).await.status(), StatusCode::CREATED, "another client goes on");
});
