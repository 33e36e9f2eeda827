//! The scheduler benchmark: what a scheduler tick costs with many open timers, and how fast
//! the real engine drains a backlog of overdue SLA timers against a bare claim-and-delete loop
//! on the same rows, in the same run.
//!
//! For each backend (SQLite, then PostgreSQL when reachable):
//!
//! 1. **Ticks.** A demo-loaded state (`server::state`) gets one case through `Engine::submit`;
//!    then the `timers` table is filled, in one statement (a recursive CTE on SQLite,
//!    `generate_series` on PostgreSQL), with pending timers due in the future, all on that one
//!    case (the foreign key holds; no case rows are faked). `Store::claim_due_timers(now, lease,
//!    500)`, the trait method, is timed with nothing due at 10,000 and at 1,000,000 timers
//!    (`BAIDA_BENCH_TICK_TIMERS`), then with 10,000 of them made due: each claim of 500, and
//!    the time to claim all 10,000.
//! 2. **Draining.** Another demo-loaded state on a `ManualClock` takes `BAIDA_BENCH_TIMERS / 4`
//!    cases through `Engine::submit` (32 at a time, group commit); each has 4 SLA timers on its
//!    sign step. The timers are copied into a separate database (schema) with the same
//!    `timers` table. The clock moves 7 days on, so every rung is due, and
//!    `Engine::fire_due_timers(500)` fires them all. The bare loop claims 500 with the same
//!    `UPDATE … RETURNING` query (with `FOR UPDATE SKIP LOCKED` on PostgreSQL) and deletes each
//!    claimed timer by id, one autocommitted statement per timer, until nothing is due.
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/baida-target cargo bench -p baida --bench scheduler
//! ```
//!
//! PostgreSQL is reached at `BAIDA_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) in fresh schemas, dropped at the end. Passing
//! `sqlite` or `postgres` after `--` runs only that backend. Tables go to stdout, progress to
//! stderr.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use baida_engine::{Clock, Engine, ManualClock, Submission};
use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::PgPoolOptions;

mod common;
use common::minyi_answers;
#[path = "scheduler/places.rs"]
mod places;
use places::{Db, Place};
#[path = "common/postgres.rs"]
mod postgres_url;
use postgres_url::{pg_base_url, redact};

const BATCH: i64 = 500;
const LEASE_SECONDS: i64 = 60;
const DEFAULT_TICK_TIMERS: i64 = 1_000_000;
const SMALL_TICK_TIMERS: i64 = 10_000;
const DUE_TIMERS: i64 = 10_000;
const DEFAULT_DRAIN_TIMERS: i64 = 20_000;
/// Claims timed per table size with nothing due.
const TICKS: usize = 2_000;
/// Rounds of "claim all 10,000 due" (the leases are reset between rounds).
const DUE_ROUNDS: usize = 5;

/// Monday 23 November 2026, 10:00 in Shanghai: a working hour, so the sign SLA (30 working
/// minutes, rungs up to +2 h) falls due the same day.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().expect("a valid time")
}

fn submission() -> Submission {
    Submission {
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
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Ticks.

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

struct TickRow {
    backend: &'static str,
    what: String,
    claims: usize,
    claimed: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    total: Option<Duration>,
}

async fn ticks(place: &Place, tick_timers: i64) -> anyhow::Result<Vec<TickRow>> {
    let now = start_time();
    let clock = Arc::new(ManualClock::new(now));
    let (state, store) = place.state("tick", clock).await.context("the tick database")?;
    let case = state.engine.submit(submission()).await.map_err(|e| anyhow::anyhow!("submit: {e}"))?;
    let case_id = case.case.id.clone();
    let db = place.db("tick").await?;
    let lease = now + chrono::Duration::seconds(LEASE_SECONDS);
    let mut rows = Vec::new();

    let mut filled = 0;
    for n in [SMALL_TICK_TIMERS, tick_timers] {
        let started = Instant::now();
        db.fill(&case_id, filled, n).await?;
        filled = n;
        eprintln!(
            "  {}: {} pending timers (+4 of the case) after {:.1} s of filling",
            place.backend,
            db.pending().await?,
            started.elapsed().as_secs_f64()
        );
        // Warm up, then time.
        for _ in 0..50 {
            store.claim_due_timers(now, lease, BATCH).await?;
        }
        let mut times = Vec::with_capacity(TICKS);
        for _ in 0..TICKS {
            let t = Instant::now();
            let claimed = store.claim_due_timers(now, lease, BATCH).await?;
            times.push(t.elapsed());
            anyhow::ensure!(claimed.is_empty(), "a timer was due when none should be");
        }
        times.sort();
        rows.push(TickRow {
            backend: place.backend,
            what: format!("nothing due, {} pending timers", thousands(n)),
            claims: TICKS,
            claimed: 0,
            p50: percentile(&times, 50.0),
            p99: percentile(&times, 99.0),
            max: *times.last().unwrap_or(&Duration::ZERO),
            total: None,
        });
    }
    eprintln!("  {}: claim plan: {}", place.backend, db.plan().await?);

    let due = db.make_due(DUE_TIMERS, now).await?;
    anyhow::ensure!(due == DUE_TIMERS as u64, "made {due} timers due, not {DUE_TIMERS}");
    let (mut times, mut totals, mut first, mut last) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut claimed = 0;
    for _ in 0..DUE_ROUNDS {
        db.exec("UPDATE timers SET claimed_until = NULL WHERE claimed_until IS NOT NULL").await?;
        let round = Instant::now();
        let mut per_claim = Vec::new();
        loop {
            let t = Instant::now();
            let got = store.claim_due_timers(now, lease, BATCH).await?;
            per_claim.push(t.elapsed());
            claimed += got.len();
            if got.is_empty() {
                break;
            }
        }
        totals.push(round.elapsed());
        // The last claim found nothing; the claims of 500 are the others.
        per_claim.pop();
        first.push(per_claim[0]);
        last.push(*per_claim.last().unwrap_or(&Duration::ZERO));
        times.extend(per_claim);
    }
    times.sort();
    totals.sort();
    first.sort();
    last.sort();
    anyhow::ensure!(claimed == DUE_TIMERS as usize * DUE_ROUNDS, "claimed {claimed} in {DUE_ROUNDS} rounds");
    rows.push(TickRow {
        backend: place.backend,
        what: format!(
            "{} due of {} pending, claims of 500 (first {}, last {})",
            thousands(DUE_TIMERS),
            thousands(tick_timers),
            ms(percentile(&first, 50.0)),
            ms(percentile(&last, 50.0))
        ),
        claims: times.len(),
        claimed,
        p50: percentile(&times, 50.0),
        p99: percentile(&times, 99.0),
        max: *times.last().unwrap_or(&Duration::ZERO),
        total: Some(percentile(&totals, 50.0)),
    });
    Ok(rows)
}

fn thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 2. Draining a backlog.

struct DrainRow {
    backend: &'static str,
    cases: i64,
    timers: i64,
    submit: Duration,
    engine: Duration,
    fired: usize,
    bare: Duration,
    deleted: usize,
}

async fn drain(place: &Place, timers: i64) -> anyhow::Result<DrainRow> {
    let clock = Arc::new(ManualClock::new(start_time()));
    let (state, _store) = place.state("engine", clock.clone()).await.context("the engine database")?;
    let engine: &Engine = &state.engine;
    let cases = (timers + 3) / 4;
    let started = Instant::now();
    let mut made = 0;
    while made < cases {
        let n = (cases - made).min(32);
        futures::future::try_join_all((0..n).map(|_| engine.submit(submission())))
            .await
            .map_err(|e| anyhow::anyhow!("submit: {e}"))?;
        made += n;
    }
    let submit = started.elapsed();
    let db = place.db("engine").await?;
    let pending = db.pending().await?;
    eprintln!(
        "  {}: {cases} cases submitted in {:.1} s, {pending} pending timers",
        place.backend,
        submit.as_secs_f64()
    );
    anyhow::ensure!(pending == cases * 4, "expected 4 timers per case, found {pending} for {cases} cases");

    // The bare copy: the same table (without the foreign key to `cases`) and indexes, the same rows.
    let bare = place.db("bare").await?;
    match (&bare, place.pg.is_some()) {
        (Db::Postgres(_), true) => {
            let engine_schema = place.url("engine").and_then(|u| u.rsplit("%3D").next().map(str::to_string));
            let engine_schema = engine_schema.context("the engine schema")?;
            bare.exec(&format!("CREATE TABLE timers (LIKE {engine_schema}.timers INCLUDING ALL)")).await?;
            bare.exec(&format!("INSERT INTO timers SELECT * FROM {engine_schema}.timers")).await?;
        }
        (Db::Sqlite(pool), false) => {
            sqlx::query(
                "CREATE TABLE timers (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL, \
                 due_at TEXT NOT NULL, claimed_until TEXT, fired_at TEXT, cancelled_at TEXT)",
            )
            .execute(pool)
            .await?;
            sqlx::query("CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL")
                .execute(pool)
                .await?;
            sqlx::query("CREATE INDEX timers_by_case ON timers (case_id)").execute(pool).await?;
            let mut conn = pool.acquire().await?;
            let source = place.data_dir("engine")?.join("baida.db");
            sqlx::query("ATTACH DATABASE ? AS src").bind(source.display().to_string()).execute(&mut *conn).await?;
            sqlx::query("INSERT INTO timers SELECT * FROM src.timers").execute(&mut *conn).await?;
            sqlx::query("DETACH DATABASE src").execute(&mut *conn).await?;
        }
        _ => bail!("the bare copy is not on the engine's backend"),
    }
    bare.exec("ANALYZE timers").await?;
    db.exec("ANALYZE timers").await?;
    anyhow::ensure!(bare.pending().await? == pending, "the bare copy has a different number of timers");

    // Past the sign deadline (30 working minutes) and its last rung (+2 h): every rung is due.
    clock.advance(chrono::Duration::days(7));
    let now = clock.now();

    let started = Instant::now();
    let fired = engine.fire_due_timers(BATCH).await?;
    let engine_time = started.elapsed();
    let left = db.pending().await?;
    eprintln!(
        "  {}: the engine fired {fired} timers in {:.1} s ({left} left pending)",
        place.backend,
        engine_time.as_secs_f64()
    );
    anyhow::ensure!(fired as i64 == pending && left == 0, "the engine fired {fired} of {pending} ({left} left)");

    let started = Instant::now();
    let mut deleted = 0;
    loop {
        let claimed = bare.claim(now, BATCH).await?;
        if claimed.is_empty() {
            break;
        }
        for t in &claimed {
            bare.delete(&t.0).await?;
        }
        deleted += claimed.len();
    }
    let bare_time = started.elapsed();
    eprintln!("  {}: the bare loop deleted {deleted} timers in {:.1} s", place.backend, bare_time.as_secs_f64());
    anyhow::ensure!(deleted as i64 == pending, "the bare loop deleted {deleted} of {pending}");
    Ok(DrainRow {
        backend: place.backend,
        cases,
        timers: pending,
        submit,
        engine: engine_time,
        fired,
        bare: bare_time,
        deleted,
    })
}

// ---------------------------------------------------------------------------------------------
// Backends.

struct Results {
    ticks: Vec<TickRow>,
    drains: Vec<DrainRow>,
}

async fn run(place: &Place, tick_timers: i64, drain_timers: i64, results: &mut Results) -> anyhow::Result<()> {
    eprintln!("{}: ticks", place.backend);
    results.ticks.extend(ticks(place, tick_timers).await?);
    eprintln!("{}: draining {drain_timers} overdue timers", place.backend);
    results.drains.push(drain(place, drain_timers).await?);
    Ok(())
}

async fn postgres(tick_timers: i64, drain_timers: i64, results: &mut Results) -> anyhow::Result<()> {
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
            return Ok(());
        }
    };
    let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&admin).await?;
    eprintln!("PostgreSQL {version} at {}", redact(&base));
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let schemas: Vec<String> =
        ["tick", "engine", "bare"].iter().map(|s| format!("bench_{}_{s}", &run_id[..12])).collect();
    for s in &schemas {
        sqlx::query(&format!("CREATE SCHEMA {s}")).execute(&admin).await?;
    }
    let place = Place { backend: "PostgreSQL", dir: tempfile::tempdir()?, pg: Some((base, schemas.clone())) };
    let result = run(&place, tick_timers, drain_timers, results).await;
    for s in &schemas {
        if let Err(e) = sqlx::query(&format!("DROP SCHEMA {s} CASCADE")).execute(&admin).await {
            eprintln!("could not drop the schema {s}: {e}");
        }
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Output.

fn print_tables(r: &Results) {
    println!();
    println!("## Scheduler ticks: `Store::claim_due_timers(now, now + 60 s, 500)`");
    println!();
    println!(
        "| backend | table | claims timed | timers claimed | p50 per claim | p99 | max | claim all (median of rounds) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for t in &r.ticks {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            t.backend,
            t.what,
            t.claims,
            t.claimed,
            ms(t.p50),
            ms(t.p99),
            ms(t.max),
            t.total.map_or("–".into(), ms)
        );
    }
    println!();
    println!("## Draining overdue SLA timers: `Engine::fire_due_timers(500)` against bare claim + DELETE");
    println!();
    println!(
        "| backend | cases (submitted in) | timers | engine: fired, seconds | engine timers/s | bare: deleted, seconds | bare timers/s | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for d in &r.drains {
        let engine_rate = d.fired as f64 / d.engine.as_secs_f64();
        let bare_rate = d.deleted as f64 / d.bare.as_secs_f64();
        println!(
            "| {} | {} ({:.1} s) | {} | {}, {:.1} s | {:.0} | {}, {:.1} s | {:.0} | {:.2} |",
            d.backend,
            d.cases,
            d.submit.as_secs_f64(),
            d.timers,
            d.fired,
            d.engine.as_secs_f64(),
            engine_rate,
            d.deleted,
            d.bare.as_secs_f64(),
            bare_rate,
            engine_rate / bare_rate
        );
    }
}

fn env_count(name: &str, default: i64) -> anyhow::Result<i64> {
    match std::env::var(name) {
        Ok(s) => {
            let n: i64 = s.trim().replace('_', "").parse().with_context(|| format!("{name}={s} is not a number"))?;
            if n < 4 {
                bail!("{name}={s}: use a number of timers of at least 4");
            }
            Ok(n)
        }
        Err(_) => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let tick_timers = env_count("BAIDA_BENCH_TICK_TIMERS", DEFAULT_TICK_TIMERS)?.max(SMALL_TICK_TIMERS.max(DUE_TIMERS));
    let drain_timers = env_count("BAIDA_BENCH_TIMERS", DEFAULT_DRAIN_TIMERS)?;
    // `cargo bench` passes `--bench`; any other argument picks a backend.
    let filters: Vec<String> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(|a| a.to_lowercase()).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "# Scheduler benchmark: {cores} core(s); ticks at {} and {} pending timers, {} due; a backlog of {} overdue timers",
            thousands(SMALL_TICK_TIMERS),
            thousands(tick_timers),
            thousands(DUE_TIMERS),
            thousands(drain_timers)
        );
        let mut results = Results { ticks: Vec::new(), drains: Vec::new() };
        if wanted("sqlite") {
            let place = Place { backend: "SQLite", dir: tempfile::tempdir()?, pg: None };
            run(&place, tick_timers, drain_timers, &mut results).await?;
        }
        if wanted("postgres") {
            postgres(tick_timers, drain_timers, &mut results).await?;
        }
        print_tables(&results);
        Ok(())
    })
}
