//! People end to end: staff log-in with server-side sessions (a new id at every log-in,
//! HttpOnly/SameSite cookies), lock-out after failed attempts, per-address rate limits,
//! accounts and roles whose changes take effect on the next request, API tokens shown once
//! and revocable, mass assignment refused, cross-origin writes refused, masked personal data,
//! and residents logging in with a code sent by SMS to see their own cases.

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, DEMO_PASSWORD, Options, TOKEN, TestApp, both, minyi_answers, sms_gateway, spawn_with};

fn session_cookie(r: &baida_tests::reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("baida_session="))
        .unwrap_or_default()
        .to_string()
}

async fn login_raw(
    app: &TestApp,
    client: &baida_tests::reqwest::Client,
    login: &str,
    password: &str,
) -> baida_tests::reqwest::Response {
    client.post(app.url("/api/v1/session")).json(&json!({"login": login, "password": password})).send().await.unwrap()
}

/// A case filed by grid worker 1 in their grid, with a phone number to mask.
async fn grid_case(app: &TestApp) -> Value {
    let grid1 = app.login("grid1").await;
    let mut answers = minyi_answers();
    answers["contact_phone"] = json!("13812345678");
    let (status, created) = grid1
        .post("/api/v1/apps/minyi-suban/submissions", json!({"community": "xinzhou-grid-1", "answers": answers}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

both!(log_in_starts_a_new_server_side_session, |app: TestApp| async move {
    let client = app.client_from("127.0.0.1");
    // Wrong password and unknown account: the same answer.
    let r = login_raw(&app, &client, "grid1", "wrong-Password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let wrong: Value = r.json().await.unwrap();
    let r = login_raw(&app, &client, "nobody", "wrong-Password-1").await;
    let unknown: Value = r.json().await.unwrap();
    assert_eq!(wrong["detail"], unknown["detail"], "the answer does not tell which accounts exist");
    assert_eq!(wrong["code"], "login_failed");

    let r = login_raw(&app, &client, "grid1", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = session_cookie(&r);
    assert!(first.contains("HttpOnly") && first.contains("SameSite=Lax") && first.contains("Path=/"), "{first}");
    assert!(!first.contains("Secure"), "plain HTTP: no Secure flag");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["roles"], json!([{"role": "grid_worker", "unit_id": "xinzhou-grid-1"}]));
    // By phone number too. A client claiming HTTPS itself (no trusted proxy is configured
    // here) does not make the cookie Secure: only a trusted proxy's word counts
    // (`forwarded_headers_on_*`, tests/proxy/run.sh).
    let r = client
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"login": "13900000007", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let second = session_cookie(&r);
    assert!(!second.contains("; Secure"), "{second}");
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "a new session id at log-in");
    // The first session ended when the second began (same browser).
    let old = app.get("/api/v1/me").header("cookie", id(&first)).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let now = app.get("/api/v1/me").header("cookie", id(&second)).send().await.unwrap();
    assert_eq!(now.status(), StatusCode::OK);
    // Log-out ends it on the server: the same cookie no longer works.
    let r = client.delete(app.url("/api/v1/session")).header("cookie", id(&second)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/me").header("cookie", id(&second)).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    // Every outcome is a security event, visible to the district admin.
    let district = app.login("district").await;
    let (status, events) = district.get("/api/v1/security-events").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"login") && kinds.contains(&"login.failed"), "{kinds:?}");
});

both!(failed_log_ins_lock_the_account_and_flooding_is_limited_per_address, |app: TestApp| async move {
    let client = app.client_from("127.0.0.2");
    for i in 1..=5 {
        let r = login_raw(&app, &client, "grid2", "Not-the-password-1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
        if i == 5 {
            let p: Value = r.json().await.unwrap();
            assert!(p["detail"].as_str().unwrap().contains("锁定"), "{p}");
        }
    }
    // Locked: even the right password is refused…
    let r = login_raw(&app, &client, "grid2", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // …until an admin of the community unlocks it.
    let xinzhou = app.login("xinzhou").await;
    let (_, users) = xinzhou.get("/api/v1/users").await;
    let grid2 = users.as_array().unwrap().iter().find(|u| u["username"] == "grid2").unwrap().clone();
    assert!(grid2["locked_until"].is_string(), "{grid2}");
    let (status, _) = xinzhou
        .send(Method::PATCH, &format!("/api/v1/users/{}", grid2["id"].as_str().unwrap()), json!({"unlock": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login_raw(&app, &client, "grid2", DEMO_PASSWORD).await.status(), StatusCode::OK);
    let (_, events) = xinzhou.get("/api/v1/security-events").await;
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"account.locked") && kinds.contains(&"user.unlocked"), "{kinds:?}");

    // Flooding from one address: 429 with Retry-After for it, and only for it.
    let flood = app.client_from("127.0.0.3");
    let mut limited = None;
    for _ in 0..30 {
        let r = login_raw(&app, &flood, "nobody", "Whatever-123").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = limited.expect("the flood is limited");
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert_eq!(limited.headers()["content-type"], "application/problem+json");
    let other = app.client_from("127.0.0.4");
    assert_eq!(
        login_raw(&app, &other, "grid1", DEMO_PASSWORD).await.status(),
        StatusCode::OK,
        "others are not limited"
    );
});

both!(roles_and_tokens_stop_working_on_the_next_request, |app: TestApp| async move {
    let created = grid_case(&app).await;
    let case = format!("/api/v1/cases/{}", created["id"].as_str().unwrap());
    let xinzhou = app.login("xinzhou").await;
    // A weak password is refused with the reason; a strong one makes the account.
    let new_user = |password: &str| json!({"username": "grid9", "name": "网格员 九", "phone": "13700000009", "unit_id": "xinzhou-grid-1", "password": password});
    let (status, p) = xinzhou.post("/api/v1/users", new_user("short")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/password");
    let (status, user) = xinzhou.post("/api/v1/users", new_user("Grid-nine-2026")).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert!(user.get("password_hash").is_none(), "{user}");
    let uid = user["id"].as_str().unwrap().to_string();
    // A community admin grants roles below their own, within their community only.
    let grant = |role: &str, unit: &str| json!({"role": role, "unit_id": unit});
    let (status, _) = xinzhou.post(&format!("/api/v1/users/{uid}/grants"), grant("district_admin", "xinzhou")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = xinzhou.post(&format!("/api/v1/users/{uid}/grants"), grant("grid_worker", "tianan-grid-1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another community's unit is not even there");
    let (status, _) =
        xinzhou.post(&format!("/api/v1/users/{uid}/grants"), grant("grid_worker", "xinzhou-grid-1")).await;
    assert_eq!(status, StatusCode::CREATED);

    let grid9 = app.login_with("grid9", "Grid-nine-2026").await;
    assert_eq!(grid9.get(&case).await.0, StatusCode::OK);
    let (status, _) = xinzhou
        .send(Method::DELETE, &format!("/api/v1/users/{uid}/grants/grid_worker/xinzhou-grid-1"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(grid9.get(&case).await.0, StatusCode::NOT_FOUND, "the revoked role stops at once");
    let (_, me) = grid9.get("/api/v1/me").await;
    assert_eq!(me["roles"], json!([]));

    // A token: shown once, scoped, no more than its maker holds, revoked at once.
    let (status, _) =
        xinzhou.post("/api/v1/tokens", json!({"name": "x", "unit_id": "xinzhou", "permissions": ["org.manage"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a community admin cannot hand out org.manage");
    let (status, token) = xinzhou
        .post("/api/v1/tokens", json!({"name": "12345 热线", "unit_id": "xinzhou", "permissions": ["cases.read"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let secret = token["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("baida_"));
    let r = app.get(&case).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, tokens) = xinzhou.get("/api/v1/tokens").await;
    let listed = &tokens.as_array().unwrap()[0];
    assert!(listed.get("secret").is_none() && listed["last_used_at"].is_string(), "{listed}");
    assert!(!tokens.to_string().contains(&secret), "the secret is never shown again");
    let r = app
        .post(&format!("{case}/actions"))
        .bearer_auth(&secret)
        .json(&json!({"action": "close", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "read-only token");
    let (status, _) =
        xinzhou.send(Method::DELETE, &format!("/api/v1/tokens/{}", token["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&case).bearer_auth(&secret).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let (_, events) = xinzhou.get("/api/v1/security-events").await;
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in ["user.created", "role.granted", "role.revoked", "token.created", "token.revoked", "permission.denied"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
});

both!(bodies_cannot_set_their_own_tenant_or_role, |app: TestApp| async move {
    let xinzhou = app.login("xinzhou").await;
    let sneaky = json!({"username": "sneaky", "name": "x", "unit_id": "xinzhou", "password": "Sneaky-pass-2026", "role": "district_admin"});
    let (status, p) = xinzhou.post("/api/v1/users", sneaky).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let sneaky = json!({"username": "sneaky", "name": "x", "unit_id": "xinzhou", "password": "Sneaky-pass-2026", "tenant_id": "futian"});
    assert_eq!(xinzhou.post("/api/v1/users", sneaky).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = xinzhou
        .post(
            "/api/v1/apps/minyi-suban/submissions",
            json!({"community": "xinzhou", "answers": minyi_answers(), "tenant_id": "tianan"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        xinzhou.send(Method::PATCH, "/api/v1/org-units/xinzhou-grid-1", json!({"kind": "district"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing changed: no account was made.
    let (_, users) = xinzhou.get("/api/v1/users").await;
    assert!(!users.to_string().contains("sneaky"));
    // A unit made where the admin may: under their street.
    let shatou = app.login("shatou").await;
    let (status, unit) = shatou
        .post("/api/v1/org-units", json!({"id": "tianan-grid-2", "kind": "grid", "parent_id": "tianan", "name_zh": "天安第二网格", "name_en": "Tian'an Grid 2"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    let (status, _) = shatou
        .post(
            "/api/v1/org-units",
            json!({"id": "xiangnan-grid-9", "kind": "grid", "parent_id": "xiangnan", "name_zh": "九", "name_en": "9"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another street's community is not there for them");
    // A rename with a refused move changes nothing: not the name either.
    for (parent, refused) in [("xinzhou-grid-1", StatusCode::UNPROCESSABLE_ENTITY), ("xiangnan", StatusCode::NOT_FOUND)]
    {
        let (status, p) = shatou
            .send(Method::PATCH, "/api/v1/org-units/tianan-grid-2", json!({"parent_id": parent, "name_zh": "改名了"}))
            .await;
        assert_eq!(status, refused, "{parent}: {p}");
    }
    let (_, units) = shatou.get("/api/v1/org-units").await;
    assert!(units.to_string().contains("天安第二网格") && !units.to_string().contains("改名了"), "{units}");
    let (status, moved) = shatou
        .send(
            Method::PATCH,
            "/api/v1/org-units/tianan-grid-2",
            json!({"parent_id": "xinzhou", "name_zh": "新洲第三网格"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((moved["parent_id"].as_str(), moved["name_zh"].as_str()), (Some("xinzhou"), Some("新洲第三网格")));
    let (status, retired) = shatou.post("/api/v1/org-units/tianan-grid-2/retire", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(retired["retired_at"].is_string());
    let (status, _) = app.submit("minyi-suban", "tianan-grid-2", minyi_answers()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a retired unit takes no new cases");
});

both!(cross_origin_writes_are_refused, |app: TestApp| async move {
    // A page served on a second loopback port is another origin.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil = format!("http://{}", other.local_addr().unwrap());
    let ours = app.base.clone();
    for (path, body) in [
        ("/api/v1/session", json!({"login": "grid1", "password": DEMO_PASSWORD})),
        ("/api/v1/apps/minyi-suban/submissions", json!({"community": "xinzhou", "answers": minyi_answers()})),
    ] {
        let r = app.post(path).header("origin", &evil).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "cross_origin");
        let r = app.post(path).header("sec-fetch-site", "cross-site").json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = app.post(path).header("origin", &ours).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: same origin passes ({})", r.status());
    }
    let r = app.post("/logout").header("origin", &evil).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.case_count().await, 1, "only the same-origin submission made a case");
});

both!(personal_data_is_masked_without_need_to_know, |app: TestApp| async move {
    let created = grid_case(&app).await;
    let path = format!("/api/v1/cases/{}", created["id"].as_str().unwrap());
    // The grid worker who filed it and the community admin need to know.
    for who in ["grid1", "xinzhou"] {
        let (_, case) = app.login(who).await.get(&path).await;
        assert_eq!(case["record"]["contact_phone"], "13812345678", "{who}");
    }
    // The street admin oversees, but sees the number masked — in the case, the list and the
    // event log alike.
    let shatou = app.login("shatou").await;
    let (status, case) = shatou.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["record"]["contact_phone"], "138****5678");
    assert_eq!(case["record"]["contact_name"], "李**");
    let (_, list) = shatou.get("/api/v1/cases").await;
    let (_, events) = shatou.get(&format!("{path}/events")).await;
    for text in [list.to_string(), events.to_string()] {
        assert!(!text.contains("13812345678") && text.contains("138****5678"), "{text}");
    }
});

async fn residents_log_in_with_a_code_and_see_their_own_cases(backend: Backend) {
    let (url, received) = sms_gateway().await;
    let notify: baida_web::config::NotifyConfig =
        serde_json::from_value(json!({"sms": {"provider": "generic", "url": url}})).unwrap();
    let app = spawn_with(backend, Options { notify: Some(notify), ..Options::default() }).await;
    let resident = app.client_from("127.0.0.5");
    let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| format!("{k}={}", v)).collect::<Vec<_>>().join("&");
    let post_form = |path: &str, body: String| {
        resident.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body)
    };
    // /my without a session asks to log in.
    let r = resident.get(app.url("/my")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Ask for a code; it goes out by SMS through the outbox.
    let r = post_form("/my/login", form(&[("phone", "13812345678")])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("138****5678") && html.contains(r#"name="code""#), "{html}");
    let sent = baida_tests::sent_sms(&app, &received).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let text = sent[0].to_string();
    assert!(text.contains("13812345678"), "{text}");
    let at = text.find("验证码是").expect("the code is in the text") + "验证码是".len();
    let code: String = text[at..].chars().filter(|c| !c.is_whitespace()).take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    // Again at once: limited per phone number.
    let r = post_form("/my/login", form(&[("phone", "13812345678")])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // A wrong code is refused; the right one logs in.
    let r = post_form("/my/login/verify", form(&[("phone", "13812345678"), ("code", "000000x")])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post_form("/my/login/verify", form(&[("phone", "13812345678"), ("code", &code)])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/my");
    // A case filed while logged in is theirs; someone else's is not listed.
    let submit = |client: &baida_tests::reqwest::Client| {
        client
            .post(app.url("/api/v1/apps/minyi-suban/submissions"))
            .json(&json!({"community": "xinzhou", "answers": minyi_answers()}))
            .send()
    };
    let mine: Value = submit(&resident).await.unwrap().json().await.unwrap();
    let theirs: Value = submit(&app.client).await.unwrap().json().await.unwrap();
    let html = resident.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(mine["number"].as_str().unwrap()), "{html}");
    assert!(!html.contains(theirs["number"].as_str().unwrap()), "{html}");
    // Their own case opens without the link's token; another's does not.
    let r = resident.get(app.url(&format!("/my/cases/{}", mine["id"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = resident.get(app.url(&format!("/my/cases/{}", theirs["id"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The resident cannot use the staff API.
    let r = resident.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = resident
        .get(app.url(&format!("/api/v1/cases/{}", mine["id"].as_str().unwrap())))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the admin token still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_on_sqlite() {
    residents_log_in_with_a_code_and_see_their_own_cases(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_on_postgres() {
    residents_log_in_with_a_code_and_see_their_own_cases(Backend::Postgres).await;
}

both!(the_admin_page_shows_only_the_admins_own_units, |app: TestApp| async move {
    // Nobody logged in: sent to log in.
    let r = app.client_from("127.0.0.1").get(app.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/admin");
    let xinzhou = app.login("xinzhou").await;
    let html = xinzhou.client.get(app.url("/admin")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("新洲第一网格") && html.contains("grid1"), "{html}");
    for other in ["天安社区", "香南社区", "grid3", "shatou"] {
        assert!(!html.contains(other), "{other} is not theirs: {html}");
    }
    // A form aimed at another community answers as if it did not exist, and changes nothing.
    let r = xinzhou
        .client
        .post(app.url("/admin/users"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=sneak&name=x&unit_id=tianan&password=Sneaky-pass-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("没有机构"));
    // Their own: made, and back to the page with a note.
    let r = xinzhou
        .client
        .post(app.url("/admin/users"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=grid7&name=%E7%BD%91%E6%A0%BC%E5%91%98&phone=&unit_id=xinzhou-grid-2&password=Grid-seven-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = xinzhou.client.get(app.url("/admin?done=user")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("账号已创建") && html.contains("grid7"), "{html}");
    let (_, users) = app.login("district").await.get("/api/v1/users").await;
    assert!(!users.to_string().contains("sneak"));
});

both!(people_change_their_own_password_on_the_admin_page, |app: TestApp| async move {
    let grid1 = app.login("grid1").await;
    let post = |body: &'static str| {
        grid1
            .client
            .post(app.url("/admin/password"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = post("current=wrong-Password-1&new=Grid-one-new-2026").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = post("current=Baida-demo-2026&new=weak").await.unwrap();
    assert!(r.text().await.unwrap().contains("密码至少 10 个字符"));
    let r = post("current=Baida-demo-2026&new=Grid-one-new-2026").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(grid1.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "every session ended");
    app.login_with("grid1", "Grid-one-new-2026").await;
});
