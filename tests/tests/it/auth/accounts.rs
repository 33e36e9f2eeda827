//! Hole 7 and its neighbours: who may change whose account and grant what; where `next` may
//! send a browser; changing one's own password under a stolen session; log-in names.

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{DEMO_PASSWORD, TOKEN, TestApp, both};

use super::{events, id};

/// A request with the admin token.
async fn root(app: &TestApp, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.client.request(method, app.url(path)).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

both!(a_community_admin_cannot_take_over_an_account_that_reaches_further, |app: TestApp| async move {
    // A district admin whose home unit is a community.
    let body =
        json!({"username": "upper", "name": "区管理员 二", "unit_id": "xinzhou", "password": "Strong-pass-2026!"});
    let (status, upper) = root(&app, Method::POST, "/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CREATED, "{upper}");
    let upper = id(&upper);
    let grant = json!({"role": "district_admin", "unit_id": "futian"});
    assert_eq!(root(&app, Method::POST, &format!("/api/v1/users/{upper}/grants"), grant).await.0, StatusCode::CREATED);

    let xinzhou = app.login("xinzhou").await;
    let shatou = app.login("shatou").await;
    let xzbuilder = app.running.store.credentials("xzbuilder").await.unwrap().unwrap().user.id;
    for (who, target) in [(&xinzhou, &upper), (&shatou, &upper), (&xinzhou, &xzbuilder)] {
        let user = format!("/api/v1/users/{target}");
        let tries = [
            (Method::POST, format!("{user}/password"), json!({"password": "Taken-over-2026"})),
            (Method::PATCH, user.clone(), json!({"disabled": true})),
            (Method::PATCH, user.clone(), json!({"phone": "13711112222", "name": "x"})),
            (Method::PATCH, user.clone(), json!({"unlock": true})),
            (Method::POST, format!("{user}/grants"), json!({"role": "grid_worker", "unit_id": "xinzhou-grid-1"})),
            (Method::DELETE, format!("{user}/grants/district_admin/futian"), json!({})),
            (Method::DELETE, format!("{user}/grants/app_builder/xinzhou"), json!({})),
        ];
        for (method, path, body) in tries {
            let (status, problem) = who.send(method.clone(), &path, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
            assert_eq!(problem["status"], 403);
        }
        // They still see the account (its home unit is theirs), but cannot change it.
        assert_eq!(who.get(&user).await.0, StatusCode::OK);
    }
    // Nothing changed: the same password, roles, name and state.
    let district = app.login_with("upper", "Strong-pass-2026!").await;
    assert_eq!(district.me["roles"], json!([{"role": "district_admin", "unit_id": "futian"}]));
    app.login("xzbuilder").await;
    let (_, view) = root(&app, Method::GET, &format!("/api/v1/users/{upper}"), json!(null)).await;
    assert_eq!((view["name"].as_str(), view["disabled_at"].is_null()), (Some("区管理员 二"), true), "{view}");
    assert!(!events(&app, "permission.denied").await.is_empty(), "each refusal is recorded");
    // What is theirs they still manage; the district admin manages the upper account.
    let grid1 = app.running.store.credentials("grid1").await.unwrap().unwrap().user.id;
    let reset = json!({"password": "Grid-one-reset-2026"});
    assert_eq!(xinzhou.post(&format!("/api/v1/users/{grid1}/password"), reset).await.0, StatusCode::NO_CONTENT);
    let district = app.login("district").await;
    let (status, _) =
        district.send(Method::PATCH, &format!("/api/v1/users/{upper}"), json!({"name": "区管理员 周二"})).await;
    assert_eq!(status, StatusCode::OK);
});

both!(nobody_grants_themselves_a_role_and_app_builders_come_from_the_district, |app: TestApp| async move {
    let xinzhou = app.login("xinzhou").await;
    let me = xinzhou.id();
    let own = |role: &str| json!({"role": role, "unit_id": "xinzhou"});
    for role in ["app_builder", "community_admin"] {
        let (status, p) = xinzhou.post(&format!("/api/v1/users/{me}/grants"), own(role)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {p}");
    }
    let (status, _) =
        xinzhou.post(&format!("/api/v1/users/{me}/password"), json!({"password": "Own-reset-2026!"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "one's own password is changed with the current one");
    let (status, _) =
        xinzhou.send(Method::DELETE, &format!("/api/v1/users/{me}/grants/community_admin/xinzhou"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Not to a colleague either: building apps is not a community admin's power to hand out.
    let grid1 = app.running.store.credentials("grid1").await.unwrap().unwrap().user.id;
    let (status, _) = xinzhou.post(&format!("/api/v1/users/{grid1}/grants"), own("app_builder")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        app.login("shatou").await.post(&format!("/api/v1/users/{grid1}/grants"), own("app_builder")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, me_now) = xinzhou.get("/api/v1/me").await;
    assert_eq!(me_now["roles"], json!([{"role": "community_admin", "unit_id": "xinzhou"}]), "nothing changed");
    // The district grants it.
    let (status, g) =
        app.login("district").await.post(&format!("/api/v1/users/{grid1}/grants"), own("app_builder")).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
});

both!(next_never_leaves_the_site, |app: TestApp| async move {
    let page = app.get("/login?next=%2F%09%2Fevil.example").send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"name="next" value="&#x2F;work""#), "the form does not carry it on: {page}");
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%0A%2Fevil.example",
        "%5C%5Cevil.example",
    ] {
        let client = app.client_from("127.0.0.7");
        let body = format!("login=grid1&password={DEMO_PASSWORD}&next={next}");
        let r = client.post(app.url("/login")).header("content-type", "application/x-www-form-urlencoded").body(body);
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.headers()["location"], "/work", "{next}");
    }
    let page = app.get("/my/login?next=%2F%5Cevil.example").send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"name="next" value="&#x2F;my""#), "{page}");
});

both!(guessing_ones_own_password_with_a_stolen_session_is_limited, |app: TestApp| async move {
    let grid1 = app.login("grid1").await;
    for n in 0..5 {
        let body = json!({"current": format!("Guess-number-{n}"), "new": "Grid-one-new-2026"});
        assert_eq!(grid1.post("/api/v1/me/password", body).await.0, StatusCode::UNAUTHORIZED);
    }
    let r = grid1
        .client
        .post(format!("{}/api/v1/me/password", app.base))
        .json(&json!({"current": DEMO_PASSWORD, "new": "Grid-one-new-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    app.login("grid1").await;
});

both!(a_log_in_name_is_never_another_accounts_phone, |app: TestApp| async move {
    let xinzhou = app.login("xinzhou").await;
    // The district admin's phone as a username.
    let body = json!({"username": "13900000001", "name": "x", "unit_id": "xinzhou", "password": "Sneaky-pass-2026"});
    let (status, p) = xinzhou.post("/api/v1/users", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "username_is_phone");
    // An account from before the rule, whose username is a phone number.
    let now = app.running.state.engine.clock.now();
    let old = baida_store::NewUser {
        id: uuid::Uuid::now_v7().to_string(),
        username: "13700000000".into(),
        phone: None,
        name: "旧账号".into(),
        unit_id: "xinzhou".into(),
        password_hash: "!".into(),
        at: now,
    };
    app.running.store.create_user(&old).await.unwrap();
    let body = json!({"username": "newbie", "name": "x", "phone": "13700000000", "unit_id": "xinzhou", "password": "Strong-pass-2026!"});
    let (status, p) = xinzhou.post("/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("13700000000"), "{p}");
    let grid1 = app.running.store.credentials("grid1").await.unwrap().unwrap().user.id;
    let (status, _) =
        xinzhou.send(Method::PATCH, &format!("/api/v1/users/{grid1}"), json!({"phone": "13700000000"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) =
        xinzhou.send(Method::PATCH, &format!("/api/v1/users/{grid1}"), json!({"phone": "13900000004"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "another account's phone");
    assert_eq!(
        app.running.store.credentials("grid1").await.unwrap().unwrap().user.phone.as_deref(),
        Some("13900000007")
    );
});
