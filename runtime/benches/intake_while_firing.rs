//! Submission throughput while timers fire, against the same server with nothing due, in the
//! same run (goal: ≥ 0.8).
//!
//! For each backend (SQLite, then PostgreSQL when reachable): `server::start` with the demo
//! loaded and group commit, on a `ManualClock` at a working hour. A backlog of cases
//! (`BAIDA_BENCH_BACKLOG`, default 10,000) goes in through `Engine::submit`, 32 at a time; each
//! has 4 SLA timers on its sign step.
//!
//! 1. **Quiet**: 32 connections POST 民意速办 reports over HTTP for `BAIDA_BENCH_SECONDS`
//!    (default 5) while the scheduler (ticking every second, as in `serve`) finds nothing due.
//! 2. The clock moves 7 days on: every timer of the backlog (and of the quiet run's cases) is
//!    overdue.
//! 3. **Busy**: the same load for the same time while the scheduler fires the backlog — each
//!    rung an event, a mark on the case and inbox messages — and the outbox delivers them.
//!
//! The table gives both throughputs, the ratio, and how many timers fired and messages went
//! out during the busy run (if the backlog ran out before the run ended, it says so).
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/baida-target cargo bench -p baida --bench intake_while_firing
//! ```
//!
//! PostgreSQL: `BAIDA_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
//! a fresh schema dropped at the end; skipped when unreachable. `-- sqlite` or `-- postgres`
//! runs one backend.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use baida::server::{self, Running};
use baida_engine::{ManualClock, Submission};
use baida_web::config::Config;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

mod common;
use common::minyi_answers;
#[path = "common/postgres.rs"]
mod postgres_url;
use postgres_url::{pg_base_url, redact};
#[path = "common/load.rs"]
mod load;
use load::{Run, load};

const CONCURRENCY: usize = 32;
const DEFAULT_BACKLOG: usize = 10_000;
const DEFAULT_SECONDS: f64 = 5.0;
const PATH: &str = "/api/v1/apps/minyi-suban/submissions";

/// Monday 23 November 2026, 10:00 in Shanghai: a working hour.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().expect("a valid time")
}

/// Counts rows of the server's database from the side.
enum Db {
    Lite(SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        Ok(match self {
            Db::Lite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        })
    }

    async fn fired(&self) -> anyhow::Result<i64> {
        self.count("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL").await
    }

    async fn pending_due(&self) -> anyhow::Result<i64> {
        self.count("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND step = 'sign'")
            .await
    }

    async fn delivered(&self) -> anyhow::Result<i64> {
        self.count("SELECT count(*) FROM outbox WHERE state = 'delivered'").await
    }
}

struct Row {
    backend: &'static str,
    quiet: Run,
    busy: Run,
    fired: i64,
    delivered: i64,
    backlog_left: i64,
}

async fn backlog(running: &Running, cases: usize) -> anyhow::Result<()> {
    let engine = &running.state.engine;
    let started = Instant::now();
    let mut made = 0;
    while made < cases {
        let n = (cases - made).min(32);
        let one = || Submission {
            app_id: "minyi-suban".into(),
            version: None,
            community_id: "xinzhou".into(),
            answers: minyi_answers(),
            channel: "api".into(),
            actor: "public".into(),
            resident_id: None,
            staff: false,
            case_id: None,
            uploader: None,
        };
        futures::future::try_join_all((0..n).map(|_| engine.submit(one())))
            .await
            .map_err(|e| anyhow::anyhow!("submit: {e}"))?;
        made += n;
    }
    eprintln!("  {cases} cases in the backlog after {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn measure(
    backend: &'static str,
    data_dir: &std::path::Path,
    database_url: Option<String>,
    cases: usize,
    seconds: Duration,
) -> anyhow::Result<Row> {
    let clock = Arc::new(ManualClock::new(start_time()));
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.clone(),
        demo: true,
        group_commit: true,
        // One client address sends every request: no per-client limit.
        public_submissions_per_minute: 0,
        ..Config::default()
    };
    let running = server::start(config, clock.clone()).await?;
    let db = match &database_url {
        Some(url) => Db::Pg(PgPoolOptions::new().max_connections(2).connect(url).await?),
        None => {
            Db::Lite(SqlitePool::connect_with(SqliteConnectOptions::new().filename(data_dir.join("baida.db"))).await?)
        }
    };
    backlog(&running, cases).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build()?;
    let url = format!("http://{}{PATH}", running.addr);
    let body = Bytes::from(json!({"community": "xinzhou", "answers": minyi_answers()}).to_string());

    eprintln!("  {backend}: quiet run");
    load(&client, &url, &body, CONCURRENCY, Duration::from_secs(1)).await;
    let quiet = load(&client, &url, &body, CONCURRENCY, seconds).await;
    if db.fired().await? != 0 {
        bail!("timers fired during the quiet run");
    }

    eprintln!("  {backend}: busy run");
    clock.advance(chrono::Duration::days(7));
    let (fired_before, delivered_before) = (db.fired().await?, db.delivered().await?);
    let busy = load(&client, &url, &body, CONCURRENCY, seconds).await;
    let fired = db.fired().await? - fired_before;
    let delivered = db.delivered().await? - delivered_before;
    let backlog_left = db.pending_due().await?;
    if fired == 0 {
        bail!("no timer fired during the busy run");
    }
    for run in [&quiet, &busy] {
        if run.failures > 0 {
            bail!("{backend}: {} failed requests, e.g. {:?}", run.failures, run.failure_samples);
        }
    }
    running.stop();
    Ok(Row { backend, quiet, busy, fired, delivered, backlog_left })
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[Row], cases: usize, seconds: Duration) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "# Submission throughput while timers fire ({cores} core(s); {CONCURRENCY} connections, {:.0} s per run; \
         a backlog of {cases} cases × 4 timers)\n",
        seconds.as_secs_f64()
    );
    println!(
        "| backend | quiet req/s | busy req/s | ratio (goal ≥ 0.8) | busy p50 / p99 ms | timers fired | messages delivered |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|");
    for r in rows {
        let ratio = r.busy.rps() / r.quiet.rps();
        println!(
            "| {} | {:.0} | {:.0} | **{ratio:.2}** | {} / {} | {}{} | {} |",
            r.backend,
            r.quiet.rps(),
            r.busy.rps(),
            ms(r.busy.percentile(50.0)),
            ms(r.busy.percentile(99.0)),
            r.fired,
            if r.backlog_left == 0 { " (backlog ran out)" } else { "" },
            r.delivered
        );
    }
}

fn env_number(name: &str, default: f64) -> anyhow::Result<f64> {
    match std::env::var(name) {
        Ok(s) => s.trim().replace('_', "").parse().with_context(|| format!("{name}={s} is not a number")),
        Err(_) => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    // Warnings from the server (a failed tick, say) go to stderr.
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let cases = env_number("BAIDA_BENCH_BACKLOG", DEFAULT_BACKLOG as f64)? as usize;
    let seconds = Duration::from_secs_f64(env_number("BAIDA_BENCH_SECONDS", DEFAULT_SECONDS)?);
    let filters: Vec<String> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(|a| a.to_lowercase()).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut rows = Vec::new();
        if wanted("sqlite") {
            let dir = tempfile::tempdir()?;
            rows.push(measure("SQLite", dir.path(), None, cases, seconds).await?);
        }
        if wanted("postgres") {
            let base = pg_base_url();
            match PgPoolOptions::new().max_connections(1).connect(&base).await {
                Ok(admin) => {
                    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await?;
                    let sep = if base.contains('?') { '&' } else { '?' };
                    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                    let dir = tempfile::tempdir()?;
                    let row = measure("PostgreSQL", dir.path(), Some(url), cases, seconds).await;
                    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await?;
                    rows.push(row?);
                }
                Err(e) => eprintln!("PostgreSQL at {} is not reachable ({e}); its row is skipped", redact(&base)),
            }
        }
        print_table(&rows, cases, seconds);
        Ok(())
    })
}
