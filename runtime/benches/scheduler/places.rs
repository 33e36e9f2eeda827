//! Where the scheduler benchmark's databases live (`Place`: a data folder and, on PostgreSQL,
//! a schema per state) and direct access to their tables (`Db`: filling, copying, counting,
//! and the bare claim-and-delete loop the engine is measured against).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use baida::server;
use baida_engine::Clock;
use baida_store::Store;
use baida_store::sqlite::durable_pool;
use baida_web::AppState;
use baida_web::config::Config;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use tempfile::TempDir;

use super::LEASE_SECONDS;

// ---------------------------------------------------------------------------------------------
// Direct access to a backend's tables (filling, copying, counting, the bare loop).

#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The claim query of `store/src/workflow_sql.rs` on SQLite (keep them in step).
const SQLITE_CLAIM: &str = "UPDATE timers SET claimed_until = ? WHERE id IN ( \
       SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? \
       AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY due_at LIMIT ?) \
     RETURNING id, case_id, step, kind, due_at";
/// The claim query of `store/src/workflow_sql.rs` on PostgreSQL (keep them in step).
const PG_CLAIM: &str = "UPDATE timers SET claimed_until = $1 WHERE id IN ( \
       SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2 \
       AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, case_id, step, kind, due_at";

type TimerTuple = (String, String, String, String, DateTime<Utc>);

impl Db {
    /// The same settings as the store (`store::sqlite::durable_pool`).
    pub async fn sqlite(file: &Path) -> anyhow::Result<Db> {
        Ok(Db::Sqlite(durable_pool(SqliteConnectOptions::new().filename(file)).await?))
    }

    /// The same pool as `baida_store`'s PostgreSQL open.
    pub async fn postgres(url: &str) -> anyhow::Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        Ok(Db::Postgres(pool))
    }

    pub async fn exec(&self, sql: &str) -> anyhow::Result<u64> {
        Ok(match self {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
        })
    }

    pub async fn scalar(&self, sql: &str) -> anyhow::Result<i64> {
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        })
    }

    /// Adds pending timers `fill-<from>` … `fill-<to - 1>` on `case_id`, due one second apart
    /// from 1 June 2027 (far in the future), in one statement.
    pub async fn fill(&self, case_id: &str, from: i64, to: i64) -> anyhow::Result<()> {
        let sql = match self {
            Db::Sqlite(_) => format!(
                "WITH RECURSIVE n(x) AS (SELECT {from} UNION ALL SELECT x + 1 FROM n WHERE x + 1 < {to}) \
                 INSERT INTO timers (id, case_id, step, kind, due_at) \
                 SELECT 'fill-' || x, '{case_id}', 'sign', 'sla:remind', \
                 strftime('%Y-%m-%dT%H:%M:%S+00:00', '2027-06-01 00:00:00', '+' || x || ' seconds') FROM n"
            ),
            Db::Postgres(_) => format!(
                "INSERT INTO timers (id, case_id, step, kind, due_at) \
                 SELECT 'fill-' || x, '{case_id}', 'sign', 'sla:remind', \
                 timestamptz '2027-06-01 00:00:00+00' + x * interval '1 second' \
                 FROM generate_series({from}, {to} - 1) AS x"
            ),
        };
        self.exec(&sql).await?;
        self.exec("ANALYZE timers").await?;
        Ok(())
    }

    /// Makes the first `n` filler timers due a day before `now`, in order.
    pub async fn make_due(&self, n: i64, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let sql = match self {
            Db::Sqlite(_) => format!(
                "UPDATE timers SET due_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', '{}', '+' || substr(id, 6) || ' seconds') \
                 WHERE id LIKE 'fill-%' AND CAST(substr(id, 6) AS INTEGER) < {n}",
                (now - chrono::Duration::days(1)).format("%Y-%m-%d %H:%M:%S")
            ),
            Db::Postgres(_) => format!(
                "UPDATE timers SET due_at = timestamptz '{}' + CAST(substr(id, 6) AS BIGINT) * interval '1 second' \
                 WHERE id LIKE 'fill-%' AND CAST(substr(id, 6) AS BIGINT) < {n}",
                (now - chrono::Duration::days(1)).format("%Y-%m-%d %H:%M:%S+00")
            ),
        };
        let changed = self.exec(&sql).await?;
        self.exec("ANALYZE timers").await?;
        Ok(changed)
    }

    pub async fn pending(&self) -> anyhow::Result<i64> {
        self.scalar("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL").await
    }

    /// The claim with the store's SQL, on this pool.
    pub async fn claim(&self, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<TimerTuple>> {
        let lease = now + chrono::Duration::seconds(LEASE_SECONDS);
        Ok(match self {
            Db::Sqlite(p) => {
                sqlx::query_as(SQLITE_CLAIM).bind(lease).bind(now).bind(now).bind(limit).fetch_all(p).await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(PG_CLAIM).bind(lease).bind(now).bind(now).bind(limit).fetch_all(p).await?
            }
        })
    }

    pub async fn delete(&self, id: &str) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p) => {
                sqlx::query("DELETE FROM timers WHERE id = ?").bind(id).execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("DELETE FROM timers WHERE id = $1").bind(id).execute(p).await?;
            }
        }
        Ok(())
    }

    pub async fn plan(&self) -> anyhow::Result<String> {
        let select = "SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= '2026-11-23T02:00:00+00:00' \
                      AND (claimed_until IS NULL OR claimed_until < '2026-11-23T02:00:00+00:00') ORDER BY due_at LIMIT 500";
        Ok(match self {
            Db::Sqlite(p) => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {select}")).fetch_all(p).await?;
                rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
            }
            Db::Postgres(p) => {
                let rows: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {select}")).fetch_all(p).await?;
                rows.iter().map(|r| r.trim()).collect::<Vec<_>>().join("; ")
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Where each backend's databases live.

/// One backend's places: a data folder per state, a database URL per state (None: SQLite
/// under the folder), and how to open the bare copy.
pub struct Place {
    pub backend: &'static str,
    pub dir: TempDir,
    /// PostgreSQL: the base URL and the schemas of this run.
    pub pg: Option<(String, Vec<String>)>,
}

impl Place {
    pub fn url(&self, which: &str) -> Option<String> {
        let (base, schemas) = self.pg.as_ref()?;
        let schema = schemas.iter().find(|s| s.ends_with(which))?;
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
    }

    pub fn data_dir(&self, which: &str) -> anyhow::Result<std::path::PathBuf> {
        let path = self.dir.path().join(which);
        std::fs::create_dir_all(&path)?;
        Ok(path)
    }

    pub async fn state(&self, which: &str, clock: Arc<dyn Clock>) -> anyhow::Result<(AppState, Arc<dyn Store>)> {
        let config = Config {
            listen: "127.0.0.1:0".parse()?,
            data_dir: self.data_dir(which)?,
            database_url: self.url(which),
            admin_token: Some("bench-admin-token-0123456789abcdef".into()),
            demo: true,
            group_commit: true,
            ..Config::default()
        };
        server::state(config, clock).await
    }

    /// Direct access to the database of the state `which`.
    pub async fn db(&self, which: &str) -> anyhow::Result<Db> {
        match self.url(which) {
            Some(url) => Db::postgres(&url).await,
            None => Db::sqlite(&self.data_dir(which)?.join("baida.db")).await,
        }
    }
}
