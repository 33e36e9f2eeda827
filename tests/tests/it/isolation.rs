//! Tenant isolation, as a matrix: every route of the OpenAPI document, and the pages, tried by
//! every role from a sibling grid, a sibling community and another street, by a department
//! that does not hold the case, and with no session at all. Each try must be denied (401
//! without a session; 403 or 404 otherwise) or, for a list, come back without anything of
//! the other tenant — and no answer, error or not, may carry any of it. Afterwards nothing
//! of the tenant has changed.

use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Staff, TOKEN, TestApp, both, minyi_answers};

/// What belongs to the tenant (xinzhou, grid 1) and must not show up elsewhere.
struct Tenant {
    case_id: String,
    case_number: String,
    user_id: String,
    token_id: String,
    /// The community's own app, submitted to the district catalog and awaiting review.
    submission_id: String,
    canaries: Vec<String>,
    /// Of the community as a whole (its own app): a sibling grid of the same community may
    /// see these, since the app is offered to it too.
    community_canaries: Vec<String>,
}

async fn root(app: &TestApp, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.client.request(method, app.url(path)).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn set_up(app: &TestApp) -> Tenant {
    // An app owned by the community itself.
    let mut def: Value = serde_json::from_str(&baida_catalog_app("minyi-suban")).unwrap();
    def["id"] = json!("xinzhou-only");
    def["name"] = json!({"zh-CN": "新洲专用诉求", "en": "Xinzhou-only requests"});
    let (status, saved) = root(app, Method::POST, "/api/v1/apps?owner=xinzhou", def).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    // A case filed by the grid worker in their grid, with personal data in it.
    let grid1 = app.login("grid1").await;
    let mut answers = minyi_answers();
    answers["title"] = json!("新洲隔离金丝雀：东门路灯不亮");
    let (status, case) = grid1
        .post("/api/v1/apps/xinzhou-only/submissions", json!({"community": "xinzhou-grid-1", "answers": answers}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    // A token of the community.
    let xinzhou = app.login("xinzhou").await;
    let (status, token) = xinzhou
        .post("/api/v1/tokens", json!({"name": "新洲热线", "unit_id": "xinzhou", "permissions": ["cases.read"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The community's app, submitted to the district catalog.
    let (status, submission) = xinzhou
        .post(
            "/api/v1/catalog/submissions",
            json!({"app": "xinzhou-only", "description": "新洲专用诉求应用", "changelog": "首次提交"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{submission}");
    // Extra people, so that every role is tried from each place.
    for (username, unit, role) in
        [("builder-tianan", "tianan", "app_builder"), ("builder-xiangmihu", "xiangmihu", "app_builder")]
    {
        let (status, user) = root(
            app,
            Method::POST,
            "/api/v1/users",
            json!({"username": username, "name": username, "unit_id": unit, "password": "Builder-pass-2026"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let path = format!("/api/v1/users/{}/grants", user["id"].as_str().unwrap());
        assert_eq!(root(app, Method::POST, &path, json!({"role": role, "unit_id": unit})).await.0, StatusCode::CREATED);
    }
    Tenant {
        case_id: case["id"].as_str().unwrap().into(),
        case_number: case["number"].as_str().unwrap().into(),
        user_id: grid1.id(),
        token_id: token["id"].as_str().unwrap().into(),
        submission_id: submission["id"].as_str().unwrap().into(),
        canaries: vec![
            case["id"].as_str().unwrap().into(),
            case["number"].as_str().unwrap().into(),
            "新洲隔离金丝雀".into(),
            "13812345678".into(),
            "138****5678".into(),
            grid1.id(),
            token["id"].as_str().unwrap().into(),
            "新洲热线".into(),
        ],
        community_canaries: vec![
            "xinzhou-only".into(),
            "新洲专用诉求".into(),
            submission["id"].as_str().unwrap().into(),
        ],
    }
}

fn baida_catalog_app(id: &str) -> String {
    let path = format!("{}/../templates-library/apps/{id}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// Routes anyone may use by design: public forms and uploads, log-in, documents, health,
/// one's own account.
const OPEN: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/apps/validate"),
    ("post", "/api/v1/apps/{app}/submissions"),
    ("post", "/api/v1/photos"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    // The open ledger: every community's books and the signed log are public by design.
    ("get", "/api/v1/ledger/head"),
    ("get", "/api/v1/ledger/leaves"),
    ("get", "/api/v1/ledger/consistency"),
    ("get", "/api/v1/ledger/entries/{id}/proof"),
    ("get", "/api/v1/communities/{community}/ledger"),
    ("get", "/api/v1/communities/{community}/ledger/entries.csv"),
    ("get", "/api/v1/communities/{community}/ledger/entries.xlsx"),
    ("get", "/api/v1/dictionary"),
    // The designer's preview and test run render or run the definition sent with them; they
    // read no tenant's data (a test run in another's community is refused: see designer.rs).
    ("post", "/api/v1/apps/preview"),
    ("post", "/api/v1/apps/test-run"),
    // Comments on spending proposals are public by design; any other case answers 404.
    ("get", "/api/v1/cases/{id}/comments"),
];

/// Reads that take their question in the body (personal data stays out of URLs): answered like
/// a `GET`, with only what the asker may see.
const READS_BY_POST: &[&str] = &["/api/v1/vehicles/lookup"];

/// The concrete path and a well-formed body for a route, aimed at the tenant's resources.
fn aim(t: &Tenant, method: &str, template: &str) -> (String, Value) {
    let path = template
        .replace("/api/v1/cases/{id}", &format!("/api/v1/cases/{}", t.case_id))
        .replace("/api/v1/org-units/{id}", "/api/v1/org-units/xinzhou-grid-1")
        .replace("/api/v1/users/{id}", &format!("/api/v1/users/{}", t.user_id))
        .replace("/api/v1/tokens/{id}", &format!("/api/v1/tokens/{}", t.token_id))
        .replace("/api/v1/catalog/submissions/{id}", &format!("/api/v1/catalog/submissions/{}", t.submission_id))
        .replace("{app}", "xinzhou-only")
        .replace("{role}", "grid_worker")
        .replace("{unit}", "xinzhou-grid-1")
        .replace("{recipient}", "xinzhou")
        .replace("{plate}", "粤B12345")
        .replace("{category}", "noise")
        .replace("{community}", "xinzhou")
        .replace("{resident}", "someone");
    let body = match (method, template) {
        ("post", "/api/v1/apps") => {
            let mut def: Value = serde_json::from_str(&baida_catalog_app("minyi-suban")).unwrap();
            def["id"] = json!("xinzhou-only");
            def["version"] = json!("9.0.0");
            def
        }
        ("post", "/api/v1/cases/{id}/actions") => json!({"action": "close", "reason": "越权"}),
        ("post", "/api/v1/cases/{id}/vote") => json!({"choice": "yes"}),
        ("post", "/api/v1/cases/{id}/comments") => json!({"text": "越权评论"}),
        ("post", "/api/v1/communities/{community}/ledger/year-end") => json!({"year": 2026}),
        ("put", "/api/v1/responsibilities/{category}") => json!({"department": "housing"}),
        ("post", "/api/v1/org-units") => {
            json!({"id": "xinzhou-grid-9", "kind": "grid", "parent_id": "xinzhou", "name_zh": "越权", "name_en": "x"})
        }
        ("patch", "/api/v1/org-units/{id}") => json!({"name_zh": "越权改名"}),
        ("post", "/api/v1/users") => {
            json!({"username": "intruder", "name": "x", "unit_id": "xinzhou-grid-1", "password": "Intruder-pass-2026"})
        }
        ("patch", "/api/v1/users/{id}") => json!({"disabled": true}),
        ("post", "/api/v1/users/{id}/grants") => json!({"role": "grid_worker", "unit_id": "xinzhou-grid-1"}),
        ("post", "/api/v1/users/{id}/password") => json!({"password": "Intruder-pass-2026"}),
        ("post", "/api/v1/tokens") => json!({"name": "x", "unit_id": "xinzhou", "permissions": ["cases.read"]}),
        ("post", "/api/v1/catalog/submissions") => {
            json!({"app": "xinzhou-only", "description": "越权", "changelog": "越权"})
        }
        ("post", "/api/v1/catalog/submissions/{id}/review") => json!({"decision": "approve"}),
        ("post", "/api/v1/catalog/{app}/install") => json!({"community": "xinzhou"}),
        ("post", "/api/v1/drafts") => json!({"owner": "xinzhou"}),
        ("put", "/api/v1/drafts/{app}") => json!({"revision": 0, "definition": {"id": "xinzhou-only"}}),
        ("post", "/api/v1/drafts/{app}/publish") => json!({"revision": 1}),
        ("post", "/api/v1/apps/{app}/rollback") => json!({"version": "1.0.0"}),
        ("put", "/api/v1/apps/{app}/archived") => json!({"archived": true}),
        ("post", "/api/v1/vehicles/lookup") => json!({"plate": "粤B12345"}),
        _ => json!({}),
    };
    (path, body)
}

async fn try_route(
    who: &str,
    client: &baida_tests::reqwest::Client,
    app: &TestApp,
    t: &Tenant,
    method: &str,
    template: &str,
) {
    let (path, body) = aim(t, method, template);
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    // A stream that wrongly opened would never end: a time limit turns that into a failure.
    let mut req = client.request(m.clone(), app.url(&path)).timeout(std::time::Duration::from_secs(10));
    if m != Method::GET {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    let same_community = who == "grid2";
    let community = if same_community { &[][..] } else { &t.community_canaries[..] };
    for c in t.canaries.iter().chain(community) {
        assert!(!text.contains(c.as_str()), "{who} {method} {path}: {status} leaks “{c}”: {text}");
    }
    if who == "anonymous" {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{who} {method} {path}: {text}");
    } else if m == Method::GET || READS_BY_POST.contains(&template) {
        assert!(
            matches!(status, StatusCode::OK | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who} {method} {path}: {status} {text}"
        );
    } else {
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who} {method} {path}: {status} {text}"
        );
    }
}

both!(no_role_from_elsewhere_reaches_another_tenant, |app: TestApp| async move {
    let t = set_up(&app).await;
    let doc: Value = app.get("/api/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !OPEN.contains(&(method.as_str(), path.as_str())) {
                routes.push((method.clone(), path.clone()));
            }
        }
    }
    assert!(routes.len() >= 25, "every API route is tried: {routes:?}");
    // Routes outside the document: the live streams.
    routes.push(("get".into(), "/api/v1/inbox/{recipient}/stream".into()));

    let mut outsiders: Vec<(String, Staff)> = Vec::new();
    for who in
        ["grid2", "tianan", "grid3", "builder-tianan", "xiangmihu", "xiangnan", "grid4", "builder-xiangmihu", "housing"]
    {
        let staff = if who.starts_with("builder") {
            app.login_with(who, "Builder-pass-2026").await
        } else {
            app.login(who).await
        };
        outsiders.push((who.to_string(), staff));
    }
    let anonymous = baida_tests::reqwest::Client::new();
    // Reads first, then writes, so that a write that wrongly got through cannot hide a read.
    routes.sort_by_key(|(m, _)| m != "get");
    for (method, template) in &routes {
        try_route("anonymous", &anonymous, &app, &t, method, template).await;
        for (who, staff) in &outsiders {
            try_route(who, &staff.client, &app, &t, method, template).await;
        }
    }

    // Counts do not include the other tenant's case either.
    for (who, staff) in &outsiders {
        let (status, figures) = staff.get("/api/v1/figures").await;
        if status == StatusCode::OK {
            assert_eq!(figures["total"]["received"], 0, "{who}: {figures}");
        }
        let (_, cases) = staff.get("/api/v1/cases?limit=200&community=xinzhou").await;
        assert!(cases["items"].as_array().is_none_or(|i| i.is_empty()), "{who}: {cases}");
    }
    // Pages: the case's page without its link's token, and the figures page.
    let case_page = format!("/my/cases/{}", t.case_id);
    for (who, staff) in &outsiders {
        let r = staff.client.get(app.url(&case_page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
        let html = staff.client.get(app.url("/figures")).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("新洲专用诉求") && !html.contains(&t.case_number), "{who}: {html}");
    }
    assert_eq!(anonymous.get(app.url(&case_page)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // Nothing of the tenant changed.
    let (_, case) = root(&app, Method::GET, &format!("/api/v1/cases/{}", t.case_id), Value::Null).await;
    assert_eq!(case["status"], "open", "{case}");
    let (_, user) = root(&app, Method::GET, &format!("/api/v1/users/{}", t.user_id), Value::Null).await;
    assert!(user["disabled_at"].is_null() && user["grants"].as_array().unwrap().len() == 1, "{user}");
    let (_, unit) = root(&app, Method::GET, "/api/v1/org-units/xinzhou-grid-1", Value::Null).await;
    assert_eq!(unit["name_zh"], "新洲第一网格");
    assert!(unit["retired_at"].is_null());
    let (_, tokens) = root(&app, Method::GET, "/api/v1/tokens", Value::Null).await;
    assert!(tokens.as_array().unwrap().iter().all(|t| t["revoked_at"].is_null()), "{tokens}");
    let (_, units) = root(&app, Method::GET, "/api/v1/org-units", Value::Null).await;
    assert!(!units.to_string().contains("xinzhou-grid-9"));
    let path = format!("/api/v1/catalog/submissions/{}", t.submission_id);
    let (_, submission) = root(&app, Method::GET, &path, Value::Null).await;
    assert_eq!(submission["status"], "submitted", "{submission}");
    let (_, catalog) = root(&app, Method::GET, "/api/v1/catalog/installs", Value::Null).await;
    assert_eq!(catalog, json!([]), "nothing was installed");
    let (_, app_now) = root(&app, Method::GET, "/api/v1/apps/xinzhou-only", Value::Null).await;
    assert_eq!(app_now["version"], "1.0.0", "{app_now}");
    // And the tenant's own people still see it all.
    let grid1 = app.login("grid1").await;
    assert_eq!(grid1.get(&format!("/api/v1/cases/{}", t.case_id)).await.0, StatusCode::OK);
    let (_, list) = app.login("xinzhou").await.get("/api/v1/cases").await;
    assert!(list.to_string().contains(&t.case_id));
});
