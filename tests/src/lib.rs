//! Shared harness for Baida's end-to-end tests: [`spawn`] starts a real server on a free
//! loopback port against a fresh SQLite file or a fresh PostgreSQL schema, with the demo
//! district and reference apps loaded; [`both!`] runs a test on both backends.
//!
//! PostgreSQL is reached at `BAIDA_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). If it cannot be reached the PostgreSQL tests
//! fail — they never skip.

use std::path::PathBuf;
use std::sync::Arc;

use baida::server::{self, Running};
use baida_engine::SystemClock;
use baida_web::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

pub use reqwest;
pub use serde_json;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin token the test servers use.
pub const TOKEN: &str = "test-admin-token-0123456789abcdef";

/// A running test server and what it stands on.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub client: reqwest::Client,
    pub running: Running,
    pub data_dir: PathBuf,
    /// The PostgreSQL URL with this test's schema, or the SQLite file's URL.
    pub database_url: String,
    /// The test's clock, which another node of the same test shares.
    pub clock: Option<Arc<baida_engine::ManualClock>>,
    _dir: Arc<TempDir>,
}

fn pg_base_url() -> String {
    std::env::var("BAIDA_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates a fresh schema and returns a URL whose connections use it.
async fn fresh_pg_schema() -> String {
    let base = pg_base_url();
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {base} is unreachable ({e}). The PostgreSQL tests need it: start it, or set BAIDA_TEST_DATABASE_URL.")
    });
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.expect("create a test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Options for [`spawn_with`].
#[derive(Default)]
pub struct Options {
    pub max_body_bytes: Option<usize>,
    pub group_commit: Option<bool>,
    /// A clock the test moves; the system clock when `None`.
    pub clock: Option<Arc<baida_engine::ManualClock>>,
    /// Notification transports (none when `None`).
    pub notify: Option<baida_web::config::NotifyConfig>,
    /// Submissions without a log-in per client address and minute (the default when `None`).
    pub public_submissions_per_minute: Option<u32>,
    /// Reverse proxies whose forwarding headers are believed (none when `None`).
    pub trusted_proxies: Option<Vec<String>>,
}

/// Starts a server with the demo loaded.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, Options::default()).await
}

pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("a temporary folder"));
    let data_dir = dir.path().join("data");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.join("baida.db").display()),
        Backend::Postgres => fresh_pg_schema().await,
    };
    start(backend, dir, data_dir, database_url, options).await
}

async fn start(
    backend: Backend,
    dir: Arc<TempDir>,
    data_dir: PathBuf,
    database_url: String,
    options: Options,
) -> TestApp {
    let defaults = Config::default();
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("an address"),
        data_dir: data_dir.clone(),
        database_url: (backend == Backend::Postgres).then(|| database_url.clone()),
        admin_token: Some(TOKEN.into()),
        demo: true,
        max_body_bytes: options.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        group_commit: options.group_commit.unwrap_or(true),
        notify: options.notify.clone().unwrap_or_default(),
        public_submissions_per_minute: options
            .public_submissions_per_minute
            .unwrap_or(defaults.public_submissions_per_minute),
        trusted_proxies: baida_web::proxy::parse_networks(&options.trusted_proxies.clone().unwrap_or_default())
            .expect("trusted proxies"),
        ..defaults
    };
    let manual = options.clock.clone();
    let clock: Arc<dyn baida_engine::Clock> = match &options.clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let running = server::start(config, clock).await.expect("the server starts");
    TestApp {
        backend,
        base: format!("http://{}", running.addr),
        // Keeps cookies, as a browser does: the upload key binds a photo to the client that
        // uploaded it until a submission attaches it.
        client: reqwest::Client::builder().cookie_store(true).build().expect("a client"),
        running,
        data_dir,
        database_url,
        clock: manual,
        _dir: dir,
    }
}

impl TestApp {
    /// Stops this server and starts a new one on the same database and data folder.
    pub async fn restart(self) -> TestApp {
        self.running.task.abort();
        let _ = self.running.task.await;
        start(self.backend, self._dir.clone(), self.data_dir.clone(), self.database_url.clone(), Options::default())
            .await
    }

    /// Another node serving from the same database and data folder while this one runs (on
    /// PostgreSQL, what several nodes behind a load balancer do), on the same clock.
    pub async fn another_node(&self) -> TestApp {
        let options = Options { clock: self.clock.clone(), ..Options::default() };
        start(self.backend, self._dir.clone(), self.data_dir.clone(), self.database_url.clone(), options).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    /// A client from another loopback address (e.g. `127.0.0.2`): a different client as far
    /// as per-address rate limits go.
    pub fn client_from(&self, ip: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(ip.parse::<std::net::IpAddr>().expect("an address"))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
    }

    /// A client logged in as a demo person (`grid1`, `xinzhou`, `shatou`, `urban`, …), with
    /// its session cookie.
    pub async fn login(&self, username: &str) -> Staff {
        self.login_with(username, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> Staff {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let r = client
            .post(self.url("/api/v1/session"))
            .json(&json!({"login": username, "password": password}))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), StatusCode::OK, "log-in as {username}: {}", r.text().await.unwrap_or_default());
        let me: Value = r.json().await.expect("JSON");
        Staff { base: self.base.clone(), client, me }
    }

    /// A client logged in as the resident with this phone number (a session made as the SMS
    /// log-in makes it, valid a day by the server's clock); it posts as a same-origin page
    /// would and does not follow redirects.
    pub async fn resident(&self, phone: &str) -> reqwest::Client {
        use baida_engine::auth::session;
        let store = &self.running.store;
        let now = self.running.state.engine.clock.now();
        let r = store.resident(phone, now).await.expect("a resident");
        let id = baida_core::secret::token();
        let s = baida_store::Session {
            user_id: None,
            resident_id: Some(r.id),
            created_at: now,
            expires_at: now + chrono::Duration::days(1),
        };
        store.create_session(&session::digest(&id), &s).await.expect("a session");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::COOKIE, format!("{}={id}", session::COOKIE).parse().expect("a cookie"));
        headers.insert(reqwest::header::ORIGIN, self.base.parse().expect("an origin"));
        reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
    }

    /// GET with the admin token, returning status and JSON.
    pub async fn admin_get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.get(path).bearer_auth(TOKEN).send().await.expect("the server answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Submits answers through the API.
    pub async fn submit(&self, app: &str, community: &str, answers: Value) -> (StatusCode, Value) {
        let r = self
            .post(&format!("/api/v1/apps/{app}/submissions"))
            .json(&json!({"community": community, "answers": answers}))
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Uploads a photo; returns its SHA-256.
    pub async fn upload(&self, bytes: &[u8]) -> String {
        let r = self
            .post("/api/v1/photos")
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), StatusCode::CREATED, "upload: {}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.expect("JSON")["sha256"].as_str().expect("a sha256").to_string()
    }

    /// How many cases exist.
    pub async fn case_count(&self) -> usize {
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/cases?limit=200&cursor={c}"),
                None => "/api/v1/cases?limit=200".into(),
            };
            let (status, page) = self.admin_get(&path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            n += page["items"].as_array().map_or(0, Vec::len);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return n,
            }
        }
    }
}

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "Baida-demo-2026";

/// A logged-in person: a client carrying their session cookie.
pub struct Staff {
    pub base: String,
    pub client: reqwest::Client,
    /// What `/api/v1/me` said at log-in.
    pub me: Value,
}

impl Staff {
    pub fn id(&self) -> String {
        self.me["id"].as_str().unwrap_or_default().to_string()
    }

    /// GET, returning status and JSON (null when the body is not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(format!("{}{path}", self.base)).send().await.expect("the server answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A request with a JSON body, returning status and JSON.
    /// Uploads a photo as this person (only its uploader may put it in a record); returns its SHA-256.
    pub async fn upload(&self, bytes: &[u8]) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/photos", self.base))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), StatusCode::CREATED, "upload: {}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.expect("JSON")["sha256"].as_str().expect("a sha256").to_string()
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }
}

/// A realistic 民意速办 request (anonymous reports need a location or photo; this one is named).
pub fn minyi_answers() -> Value {
    json!({
        "category": "city_appearance",
        "subcategory": "garbage",
        "title": "小区门口垃圾三天没人清运",
        "description": "新洲花园东门垃圾桶满溢三天，气味很大，请尽快安排清运。",
        "location": {"lon": 114.0513, "lat": 22.5121, "address": "新洲花园东门"},
        "anonymous": false,
        "contact_name": "李明",
        "contact_phone": "13812345678"
    })
}

/// Reads a fixture from `tests/fixtures`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("the fixture exists")
}

/// Defines `mod $name { sqlite(), postgres() }`, each running `$body(app)` on its backend.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::spawn($crate::Backend::Sqlite).await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::spawn($crate::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// A stand-in SMS gateway (the `generic` provider's JSON POST) on 127.0.0.1: its URL, and every
/// message it received.
pub async fn sms_gateway() -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use axum::routing::post;
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/sms",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/sms", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

/// Delivers what `app`'s outbox holds and returns what the stand-in gateway of [`sms_gateway`]
/// received (waiting up to 5 s: the server's own outbox worker may have claimed a message
/// first).
pub async fn sent_sms(app: &TestApp, received: &std::sync::Mutex<Vec<serde_json::Value>>) -> Vec<serde_json::Value> {
    let transports = server::transports(&app.running.state.config.notify).expect("the transports");
    app.running.state.engine.deliver_due(&transports, 10).await.expect("delivery");
    for _ in 0..50 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    received.lock().unwrap().clone()
}
