//! `-- breakdown`: where one submission's time goes, step by step, in process (no HTTP), on
//! SQLite, one call at a time; and how many rows a case writes.

use super::*;

pub(crate) async fn breakdown() -> anyhow::Result<()> {
    use baida_engine::{Engine, Submission, submit};

    async fn time<F: Future<Output = anyhow::Result<()>>>(n: usize, mut f: impl FnMut() -> F) -> anyhow::Result<f64> {
        let start = Instant::now();
        for _ in 0..n {
            f().await?;
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / n as f64)
    }

    let submission = || Submission {
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
    async fn submit_one(engine: &Engine, s: Submission) -> anyhow::Result<()> {
        engine.submit(s).await.map(drop).map_err(|e| anyhow::anyhow!("the submission failed: {e}"))
    }
    /// 32 submissions at once; the time per call is divided by 32 below.
    async fn submit_32(engine: &Engine, s: impl Fn() -> Submission) -> anyhow::Result<()> {
        futures::future::try_join_all((0..32).map(|_| submit_one(engine, s()))).await.map(drop)
    }

    let dir = tempfile::tempdir()?;
    let direct = baida(&sub(&dir, "direct")?, None, false).await?;
    let grouped = baida(&sub(&dir, "group-commit")?, None, true).await?;
    let (state, answers) = (&direct.state, minyi_answers());
    let loaded = state.apps.load("minyi-suban", None).await?.context("the demo app minyi-suban")?;
    let today = state.engine.today();
    let evaluation = submit::evaluate(&loaded, &answers, today);
    anyhow::ensure!(evaluation.errors.is_empty(), "the answers do not validate: {:?}", evaluation.errors);
    let bare = bare_sqlite(&sub(&dir, "bare")?).await?;
    let BarePool::Sqlite(pool) = &bare.pool else { bail!("the bare SQLite server has no SQLite pool") };
    let unsynced = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new().filename(dir.path().join("bare/bare.db")).synchronous(SqliteSynchronous::Off),
        )
        .await?;
    let body = json!({"community": "xinzhou", "answers": answers});
    let insert = |pool: SqlitePool| {
        let body = body.clone();
        async move {
            sqlx::query("INSERT INTO bare_submissions (body, created_at) VALUES (?, ?)")
                .bind(sqlx::types::Json(&body))
                .bind(Utc::now())
                .execute(&pool)
                .await?;
            Ok(())
        }
    };
    let (fast, slow) = (20_000, 2_000);
    let rows = [
        (
            "Apps::load (cached)",
            time(fast, || async { state.apps.load("minyi-suban", None).await.map(drop).map_err(Into::into) }).await?,
        ),
        (
            "submit::evaluate (validate + compute)",
            time(fast, || async {
                drop(submit::evaluate(&loaded, &answers, today));
                Ok(())
            })
            .await?,
        ),
        (
            "Engine::responsibilities (cached)",
            time(fast, || async { state.engine.responsibilities().await.map(drop).map_err(Into::into) }).await?,
        ),
        (
            "Engine::offered_in (xinzhou → shatou → futian)",
            time(slow, || async {
                state.engine.offered_in(&loaded, "xinzhou").await.map_err(|e| anyhow::anyhow!("{e}"))
            })
            .await?,
        ),
        (
            "Engine::submit, no group commit, one at a time",
            time(slow, || submit_one(&direct.state.engine, submission())).await?,
        ),
        (
            "Engine::submit, group commit, one at a time",
            time(slow, || submit_one(&grouped.state.engine, submission())).await?,
        ),
        (
            "Engine::submit, group commit, 32 at once from one task (per submission)",
            time(slow / 32, || submit_32(&grouped.state.engine, submission)).await? / 32.0,
        ),
        ("bare INSERT, synchronous=FULL", time(slow, || insert(pool.clone())).await?),
        ("bare INSERT, synchronous=OFF (no fsync)", time(slow, || insert(unsynced.clone())).await?),
        (
            "sqlx round trip: SELECT 1 on the pool",
            time(slow, || async { sqlx::query("SELECT 1").execute(pool).await.map(drop).map_err(Into::into) }).await?,
        ),
    ];
    println!();
    println!("| step (SQLite, in process, one at a time) | µs per call |");
    println!("|---|---:|");
    for (step, us) in rows {
        println!("| {step} | {us:.1} |");
    }
    rows_per_case(&dir.path().join("direct/baida.db")).await
}

/// What one submission leaves in the database: rows per case in every table, read from the
/// SQLite file after the breakdown (each row is one INSERT in `create_cases`).
async fn rows_per_case(file: &Path) -> anyhow::Result<()> {
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(file).read_only(true)).await?;
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases").fetch_one(&pool).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await?;
    println!();
    println!("| table | rows per submitted case ({cases} cases) |");
    println!("|---|---:|");
    for table in tables {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\"")).fetch_one(&pool).await?;
        if rows >= cases && cases > 0 {
            println!("| {table} | {:.2} |", rows as f64 / cases as f64);
        }
    }
    Ok(())
}
