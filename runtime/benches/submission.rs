//! The submission benchmark: Baida's full intake pipeline over HTTP against a bare axum + sqlx
//! handler that stores the same JSON with the same durability settings, in the same run.
//!
//! For each backend (SQLite, then PostgreSQL when reachable) three servers run side by side
//! on 127.0.0.1, each on its own database:
//!
//! - **bare**: one axum route that takes the JSON body and inserts it into
//!   `bare_submissions(id, body, created_at)` with sqlx, answering 201 with the id. SQLite:
//!   WAL, `synchronous=FULL`, `busy_timeout`, a pool of 8 without a ping before use (as
//!   `store/sqlite.rs`); PostgreSQL: its own schema, a pool of 16 (as `store/postgres.rs`).
//! - **baida (group commit)** and **baida (no group commit)**: `server::start` with the demo
//!   loaded, `POST /api/v1/apps/minyi-suban/submissions` (validate, compute, run the workflow
//!   from the intake step, persist the case with its events and timers, respond).
//!
//! At 1 and 32 concurrent connections, each server gets a 1 s warm-up and then a measured
//! run (5 s, or `BAIDA_BENCH_SECONDS`); every response must be 201. The result is a markdown
//! table on stdout (progress goes to stderr).
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/baida-target cargo bench -p baida --bench submission
//! ```
//!
//! PostgreSQL is reached at `BAIDA_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each run creates fresh schemas and drops them at
//! the end. If it cannot be reached, the PostgreSQL rows are skipped. Passing `sqlite` or
//! `postgres` after `--` runs only that backend; `-- breakdown` instead times the steps of one
//! submission in process (no HTTP) on SQLite, to show where the time goes.
//!
//! The in-process `breakdown` lives in `submission/breakdown.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use baida::server::{self, Running};
use baida_engine::SystemClock;
use baida_store::sqlite::durable_pool;
use baida_web::config::Config;
use bytes::Bytes;
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

mod common;
use common::minyi_answers;
#[path = "common/postgres.rs"]
mod postgres_url;
use postgres_url::{pg_base_url, redact};
#[path = "submission/breakdown.rs"]
mod breakdown;
#[path = "common/load.rs"]
mod load;
use load::{Run, load};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const CONCURRENCY: [usize; 2] = [1, 32];
const WARM_UP: Duration = Duration::from_secs(1);
const DEFAULT_SECONDS: f64 = 5.0;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const PATH: &str = "/api/v1/apps/minyi-suban/submissions";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef";

fn request_body() -> Bytes {
    Bytes::from(json!({"community": "xinzhou", "answers": minyi_answers()}).to_string())
}

// ---------------------------------------------------------------------------------------------
// The bare handler.

#[derive(Clone)]
enum BarePool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

async fn bare_submit(
    State(pool): State<BarePool>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), (StatusCode, String)> {
    let now = Utc::now();
    let id: Result<i64, sqlx::Error> = match &pool {
        BarePool::Sqlite(p) => {
            sqlx::query_scalar("INSERT INTO bare_submissions (body, created_at) VALUES (?, ?) RETURNING id")
                .bind(sqlx::types::Json(&body))
                .bind(now)
                .fetch_one(p)
                .await
        }
        BarePool::Postgres(p) => {
            sqlx::query_scalar("INSERT INTO bare_submissions (body, created_at) VALUES ($1, $2) RETURNING id")
                .bind(sqlx::types::Json(&body))
                .bind(now)
                .fetch_one(p)
                .await
        }
    };
    match id {
        Ok(id) => Ok((StatusCode::CREATED, Json(json!({"id": id})))),
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

/// A bare server on a free loopback port.
struct Bare {
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
    pool: BarePool,
}

async fn serve_bare(pool: BarePool) -> anyhow::Result<Bare> {
    let app = Router::new().route(PATH, post(bare_submit)).with_state(pool.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Bare { addr, task, pool })
}

/// The same settings as the store (`store::sqlite::durable_pool`).
async fn bare_sqlite(dir: &Path) -> anyhow::Result<Bare> {
    let pool = durable_pool(SqliteConnectOptions::new().filename(dir.join("bare.db"))).await?;
    sqlx::query(
        "CREATE TABLE bare_submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, created_at TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    serve_bare(BarePool::Sqlite(pool)).await
}

/// The same pool as `baida_store`'s PostgreSQL open, on its own schema.
async fn bare_postgres(url: &str) -> anyhow::Result<Bare> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(PgConnectOptions::from_str(url)?)
        .await?;
    sqlx::query(
        "CREATE TABLE bare_submissions (id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
    )
    .execute(&pool)
    .await?;
    serve_bare(BarePool::Postgres(pool)).await
}

// ---------------------------------------------------------------------------------------------
// Baida.

async fn baida(data_dir: &Path, database_url: Option<String>, group_commit: bool) -> anyhow::Result<Running> {
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data_dir.to_path_buf(),
        database_url,
        admin_token: Some(ADMIN_TOKEN.into()),
        demo: true,
        group_commit,
        // One client address sends every request: no per-client limit.
        public_submissions_per_minute: 0,
        ..Config::default()
    };
    server::start(config, Arc::new(SystemClock)).await
}

/// One request by hand, so a misconfigured server fails loudly before any measurement.
async fn check(client: &reqwest::Client, url: &str, body: &Bytes) -> anyhow::Result<()> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status != reqwest::StatusCode::CREATED {
        bail!("POST {url} answered {status}, not 201: {text}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One backend: three servers, two concurrency levels.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Bare,
    GroupCommit,
    Direct,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Bare, Variant::GroupCommit, Variant::Direct];

    fn label(self) -> &'static str {
        match self {
            Variant::Bare => "bare axum + sqlx",
            Variant::GroupCommit => "baida (group commit)",
            Variant::Direct => "baida (no group commit)",
        }
    }
}

/// The three runs at one concurrency, in [`Variant::ALL`] order.
struct Row {
    backend: &'static str,
    concurrency: usize,
    runs: Vec<Run>,
}

struct Servers {
    bare: Bare,
    group_commit: Running,
    direct: Running,
}

impl Servers {
    fn url(&self, v: Variant) -> String {
        let addr = match v {
            Variant::Bare => self.bare.addr,
            Variant::GroupCommit => self.group_commit.addr,
            Variant::Direct => self.direct.addr,
        };
        format!("http://{addr}{PATH}")
    }

    async fn stop(self) {
        for task in [self.group_commit.task, self.direct.task, self.bare.task] {
            task.abort();
            let _ = task.await;
        }
        drop(self.group_commit.state);
        drop(self.direct.state);
        match self.bare.pool {
            BarePool::Sqlite(p) => p.close().await,
            BarePool::Postgres(p) => p.close().await,
        }
    }
}

async fn measure(backend: &'static str, servers: &Servers, seconds: Duration) -> anyhow::Result<Vec<Row>> {
    let body = request_body();
    let mut rows = Vec::new();
    for concurrency in CONCURRENCY {
        // A fresh client per level, so each level opens exactly `concurrency` connections.
        let client = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(concurrency)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        let mut runs = Vec::new();
        for v in Variant::ALL {
            let url = servers.url(v);
            check(&client, &url, &body).await?;
            eprintln!("  {backend}, {concurrency} connection(s), {}: warming up, then {seconds:?}", v.label());
            let warm = load(&client, &url, &body, concurrency, WARM_UP).await;
            if warm.failures > 0 {
                eprintln!("    {} failure(s) during the warm-up, e.g. {:?}", warm.failures, warm.failure_samples);
            }
            let run = load(&client, &url, &body, concurrency, seconds).await;
            eprintln!(
                "    {} ok, {} failed, {:.0} req/s, p50 {}, p99 {}",
                run.ok,
                run.failures,
                run.rps(),
                ms(run.percentile(50.0)),
                ms(run.percentile(99.0))
            );
            for f in &run.failure_samples {
                eprintln!("    failure: {f}");
            }
            runs.push(run);
        }
        rows.push(Row { backend, concurrency, runs });
    }
    Ok(rows)
}

async fn sqlite(seconds: Duration) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let version: String = {
        let pool = SqlitePool::connect("sqlite::memory:").await?;
        sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&pool).await?
    };
    eprintln!("SQLite {version}: files under {}", dir.path().display());
    let servers = Servers {
        bare: bare_sqlite(&sub(&dir, "bare")?).await.context("the bare SQLite server")?,
        group_commit: baida(&sub(&dir, "group-commit")?, None, true).await.context("Baida on SQLite")?,
        direct: baida(&sub(&dir, "direct")?, None, false).await.context("Baida on SQLite")?,
    };
    let rows = measure("SQLite", &servers, seconds).await;
    servers.stop().await;
    rows
}

fn sub(dir: &TempDir, name: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.path().join(name);
    std::fs::create_dir_all(&path)?;
    Ok(path)
}

/// `Ok(None)` when PostgreSQL cannot be reached.
async fn postgres(seconds: Duration) -> anyhow::Result<Option<Vec<Row>>> {
    let base = pg_base_url();
    let admin = match PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&base)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            println!(
                "PostgreSQL at {} is unreachable ({e}): skipping the PostgreSQL rows (set BAIDA_TEST_DATABASE_URL to measure them).",
                redact(&base)
            );
            return Ok(None);
        }
    };
    let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&admin).await?;
    let sync: String = sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&admin).await?;
    let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&admin).await?;
    eprintln!("PostgreSQL {version} at {} (synchronous_commit={sync}, fsync={fsync})", redact(&base));
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let schemas: Vec<String> =
        ["bare", "gc", "direct"].iter().map(|s| format!("bench_{}_{s}", &run_id[..12])).collect();
    for s in &schemas {
        sqlx::query(&format!("CREATE SCHEMA {s}")).execute(&admin).await?;
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = |schema: &str| format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir()?;
    let result = async {
        let servers = Servers {
            bare: bare_postgres(&url(&schemas[0])).await.context("the bare PostgreSQL server")?,
            group_commit: baida(&sub(&dir, "group-commit")?, Some(url(&schemas[1])), true)
                .await
                .context("Baida on PostgreSQL")?,
            direct: baida(&sub(&dir, "direct")?, Some(url(&schemas[2])), false).await.context("Baida on PostgreSQL")?,
        };
        let rows = measure("PostgreSQL", &servers, seconds).await;
        servers.stop().await;
        rows
    }
    .await;
    for s in &schemas {
        if let Err(e) = sqlx::query(&format!("DROP SCHEMA {s} CASCADE")).execute(&admin).await {
            eprintln!("could not drop the schema {s}: {e}");
        }
    }
    result.map(Some)
}

// ---------------------------------------------------------------------------------------------
// Output.

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn print_tables(rows: &[Row]) {
    println!();
    if rows.is_empty() {
        println!("Nothing was measured.");
        return;
    }
    println!(
        "| backend | concurrency | bare req/s | bare p50 | bare p99 | baida (group commit) req/s | p50 | p99 | ratio | baida (no group commit) req/s | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let [bare, gc, direct] = &row.runs[..] else { continue };
        println!(
            "| {} | {} | {:.0} | {} | {} | {:.0} | {} | {} | {:.2} | {:.0} | {:.2} |",
            row.backend,
            row.concurrency,
            bare.rps(),
            ms(bare.percentile(50.0)),
            ms(bare.percentile(99.0)),
            gc.rps(),
            ms(gc.percentile(50.0)),
            ms(gc.percentile(99.0)),
            gc.rps() / bare.rps(),
            direct.rps(),
            direct.rps() / bare.rps(),
        );
    }
    println!();
    println!("Every run:");
    println!();
    println!("| backend | concurrency | server | 201s | failures | seconds | req/s | p50 | p90 | p99 | max |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        for (v, run) in Variant::ALL.iter().zip(&row.runs) {
            println!(
                "| {} | {} | {} | {} | {} | {:.2} | {:.0} | {} | {} | {} | {} |",
                row.backend,
                row.concurrency,
                v.label(),
                run.ok,
                run.failures,
                run.elapsed.as_secs_f64(),
                run.rps(),
                ms(run.percentile(50.0)),
                ms(run.percentile(90.0)),
                ms(run.percentile(99.0)),
                ms(run.latencies.last().copied().unwrap_or_default()),
            );
        }
    }
}

fn seconds() -> anyhow::Result<Duration> {
    match std::env::var("BAIDA_BENCH_SECONDS") {
        Ok(s) => {
            let secs: f64 = s.trim().parse().with_context(|| format!("BAIDA_BENCH_SECONDS={s} is not a number"))?;
            if !(secs > 0.0 && secs <= 600.0) {
                bail!("BAIDA_BENCH_SECONDS={s}: use a number of seconds between 0 and 600");
            }
            Ok(Duration::from_secs_f64(secs))
        }
        Err(_) => Ok(Duration::from_secs_f64(DEFAULT_SECONDS)),
    }
}

fn main() -> anyhow::Result<()> {
    let seconds = seconds()?;
    // `cargo bench` passes `--bench`; any other argument picks a backend, or `breakdown`.
    let filters: Vec<String> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(|a| a.to_lowercase()).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        if filters.iter().any(|f| f == "breakdown") {
            return breakdown::breakdown().await;
        }
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "# Submission benchmark: {cores} core(s), {} tokio worker thread(s) shared by the servers and the load generator; 1 s warm-up, {:.1} s measured per cell",
            cores,
            seconds.as_secs_f64()
        );
        let mut rows = Vec::new();
        if wanted("sqlite") {
            rows.extend(sqlite(seconds).await?);
        }
        if wanted("postgres") {
            rows.extend(postgres(seconds).await?.unwrap_or_default());
        }
        print_tables(&rows);
        let failures: usize = rows.iter().flat_map(|r| &r.runs).map(|r| r.failures).sum();
        if failures > 0 {
            bail!("{failures} response(s) were not 201 (see the failures printed above)");
        }
        Ok(())
    })
}
