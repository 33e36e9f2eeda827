//! Hole 6 and API tokens: the admin token must be long and is compared only as a bearer
//! token; a token acts with no more than its creator may do now.

use std::sync::Arc;

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{TOKEN, TestApp, both, minyi_answers};

use super::id;

#[tokio::test]
async fn a_server_refuses_to_start_with_an_empty_or_short_admin_token() {
    for token in ["", "short", "0123456789abcdef0123456789abcde"] {
        let dir = tempfile::tempdir().unwrap();
        let config = baida_web::config::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            admin_token: Some(token.into()),
            ..Default::default()
        };
        let clock = Arc::new(baida_engine::SystemClock);
        let err = match baida::server::start(config, clock).await {
            Ok(running) => {
                running.stop();
                panic!("started with the admin token {token:?}");
            }
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("BAIDA_ADMIN_TOKEN") && err.contains("--admin-token"), "{err}");
        assert!(!dir.path().join("data").exists(), "refused before anything was made");
    }
}

both!(only_a_well_formed_bearer_token_is_the_admin, |app: TestApp| async move {
    assert!(TOKEN.len() >= 32);
    let ok = app.get("/api/v1/cases").header("authorization", format!("Bearer {TOKEN}")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    for value in ["Basic x", "", "Bearer ", "Bearer", &format!("Basic {TOKEN}"), &format!("Bearer  {TOKEN}"), TOKEN] {
        let r = app.get("/api/v1/cases").header("authorization", value).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "Authorization: {value:?}");
    }
});

/// A request with the admin token.
async fn root(app: &TestApp, method: Method, path: &str, body: Value) -> StatusCode {
    app.client.request(method, app.url(path)).bearer_auth(TOKEN).json(&body).send().await.unwrap().status()
}

both!(a_token_acts_with_no_more_than_its_creator_may_do_now, |app: TestApp| async move {
    let (status, case) = app.submit("minyi-suban", "xinzhou", minyi_answers()).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case = format!("/api/v1/cases/{}", id(&case));
    let body =
        json!({"username": "maker", "name": "令牌创建人", "unit_id": "xinzhou", "password": "Strong-pass-2026!"});
    let r = app.client.post(app.url("/api/v1/users")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    let maker: Value = r.json().await.unwrap();
    let maker = id(&maker);
    let role = json!({"role": "community_admin", "unit_id": "xinzhou"});
    assert_eq!(
        root(&app, Method::POST, &format!("/api/v1/users/{maker}/grants"), role.clone()).await,
        StatusCode::CREATED
    );
    let session = app.login_with("maker", "Strong-pass-2026!").await;
    let (status, token) = session
        .post("/api/v1/tokens", json!({"name": "热线", "unit_id": "xinzhou", "permissions": ["cases.read"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let secret = token["secret"].as_str().unwrap().to_string();
    let read = || app.get(&case).bearer_auth(&secret).send();
    assert_eq!(read().await.unwrap().status(), StatusCode::OK);
    // The creator loses the role: so does the token, at once.
    let revoke = format!("/api/v1/users/{maker}/grants/community_admin/xinzhou");
    assert_eq!(root(&app, Method::DELETE, &revoke, json!({})).await, StatusCode::NO_CONTENT);
    assert_eq!(read().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Given back, it works again; the creator disabled, the token stops.
    assert_eq!(root(&app, Method::POST, &format!("/api/v1/users/{maker}/grants"), role).await, StatusCode::CREATED);
    assert_eq!(read().await.unwrap().status(), StatusCode::OK);
    let disable = json!({"disabled": true});
    assert_eq!(root(&app, Method::PATCH, &format!("/api/v1/users/{maker}"), disable).await, StatusCode::OK);
    assert_eq!(read().await.unwrap().status(), StatusCode::UNAUTHORIZED);
});
