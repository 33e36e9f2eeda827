//! Opening the embedded SQLite database: one file, WAL, `synchronous=FULL`, foreign keys on,
//! migrated at open. What runs on it is in the modules of each store trait, over [`super::db`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::db::Db;
use super::{Error, Result};

/// The migrations of the SQLite schema.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the database file at `path` and migrates it.
pub(crate) async fn open(path: &Path) -> Result<Db> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Conflict(format!("cannot create {}: {e}", dir.display())))?;
    }
    connect(SqliteConnectOptions::new().filename(path)).await
}

/// Opens a `sqlite:` URL.
pub(crate) async fn open_url(url: &str) -> Result<Db> {
    connect(SqliteConnectOptions::from_str(url)?).await
}

async fn connect(options: SqliteConnectOptions) -> Result<Db> {
    let pool = durable_pool(options).await?;
    MIGRATOR.run(&pool).await?;
    Ok(Db::Sqlite(pool))
}

/// The pool Baida writes SQLite through: WAL, `synchronous=FULL` (a commit is on disk),
/// foreign keys on, a 10 s busy timeout, 8 connections. Public so that benchmarks compare
/// against exactly the same settings.
pub async fn durable_pool(options: SqliteConnectOptions) -> Result<SqlitePool, sqlx::Error> {
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // The database is a file in this process: a connection needs no ping before use.
    SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(async move { still_clean(conn).await }))
        .connect_with(options)
        .await
}

/// Is a connection coming back to the pool fit to be used again: no transaction left open?
///
/// When a statement fails with `SQLITE_FULL` (a full disk), `SQLITE_IOERR` or `SQLITE_NOMEM`,
/// SQLite may roll the transaction back by itself; the `ROLLBACK` that follows then fails, and
/// sqlx still counts the transaction as open. Used again, such a connection would open its next
/// transaction as a savepoint inside one that never ends: its `COMMIT` would answer success and
/// commit nothing, and it would hold the write lock so other writers wait out their busy
/// timeout (seen on a full disk: a case acknowledged then lost, writes stalled). Such a
/// connection is closed instead (closing rolls back whatever is open) and the pool opens a
/// fresh one. The ping first lets the connection finish the rollback a dropped transaction
/// queued.
async fn still_clean(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection as _;
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a database connection came back with its transaction still open; closing it");
    }
    Ok(clean)
}
