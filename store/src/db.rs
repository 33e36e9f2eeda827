//! The database under the store, SQLite or PostgreSQL, as one type: [`Db`] (a pool), [`Tx`]
//! (a transaction, or a savepoint inside one) and [`Dialect`], the few places where their SQL
//! differs. Statements are written once ([`Sql`]) and run on either; rows decode through the
//! `#[derive(sqlx::FromRow)]` structs, which read a SQLite row and a PostgreSQL row alike.
//!
//! Which backend a statement runs on is decided per statement, by a `match`: nothing next to
//! the I/O it does.

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Connection as _, Postgres, Sqlite, Transaction};

use super::sql::Sql;

/// A connection pool to one of the two databases.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which SQL a database speaks. Most statements are the same in both; the differences are
/// here, and in [`Sql`] (placeholders, lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// What a `SELECT … LIMIT n` that picks rows to claim ends with: PostgreSQL locks them and
    /// skips rows another claimer holds, so several nodes share the work and never take the
    /// same row; SQLite has one writer at a time, which is enough.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// What a `SELECT` of a row about to be changed ends with: PostgreSQL locks it until the
    /// transaction ends; on SQLite the write transaction already holds the database.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The JSON value at `key` of the JSON object in `column`, for ordering (numbers as
    /// numbers, text as text); `key` is SQL (a quoted literal or `?`).
    pub fn json_value(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.' || {key})"),
            Dialect::Postgres => format!("({column} -> {key})"),
        }
    }

    /// `'true'` or `'false'` when the value at `key` of the JSON object in `column` is a boolean
    /// (other text otherwise); `key` is SQL.
    pub fn json_bool(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_type({column}, '$.' || {key})"),
            Dialect::Postgres => {
                format!("(CASE WHEN jsonb_typeof({column} -> {key}) = 'boolean' THEN {column} ->> {key} END)")
            }
        }
    }

    /// The text at `key` of the JSON object in `column`; `key` is SQL (a quoted literal or `?`).
    pub fn json_text(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("CAST(json_extract({column}, '$.' || {key}) AS TEXT)"),
            Dialect::Postgres => format!("({column} ->> {key})"),
        }
    }

    /// The JSON text at `path` (keys from the top) of the JSON in `column`, NULL when absent.
    pub fn json_at(self, column: &str, path: &[&str]) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.{}')", path.join(".")),
            Dialect::Postgres => format!("({column} #> '{{{}}}')::text", path.join(",")),
        }
    }
}

/// A row both backends decode: a `#[derive(sqlx::FromRow)]` struct or a tuple.
pub(crate) trait Row:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

/// A transaction, or a savepoint inside one; rolled back when dropped uncommitted.
pub(crate) enum Tx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

impl Db {
    /// The migrations this build carries for the database.
    pub fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &super::sqlite::MIGRATOR,
            Db::Postgres(_) => &super::postgres::MIGRATOR,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Begins a transaction that writes. SQLite takes its one write lock at once
    /// (`BEGIN IMMEDIATE`, waiting out the busy timeout for it): a transaction that read first
    /// could otherwise be refused its first write (`SQLITE_BUSY`) when another writer committed
    /// in between, and waiting would not help.
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Begins a transaction that only reads, all from one snapshot.
    pub async fn begin_read(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            // Deferred: a reader in write-ahead-log mode sees one snapshot and takes no lock.
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => {
                Tx::Postgres(pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?)
            }
        })
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&self, sql: Sql) -> Result<u64, sqlx::Error> {
        self.acquire().await?.conn().execute(&sql).await
    }

    pub async fn all<R: Row>(&self, sql: Sql) -> Result<Vec<R>, sqlx::Error> {
        self.acquire().await?.conn().all(&sql).await
    }

    pub async fn optional<R: Row>(&self, sql: Sql) -> Result<Option<R>, sqlx::Error> {
        self.acquire().await?.conn().optional(&sql).await
    }

    pub async fn one<R: Row>(&self, sql: Sql) -> Result<R, sqlx::Error> {
        self.optional(sql).await?.ok_or(sqlx::Error::RowNotFound)
    }

    async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }
}

impl Tx<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A savepoint: committing it keeps its writes in this transaction, dropping it undoes them.
    pub async fn savepoint(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => Tx::Sqlite((**tx).begin().await?),
            Tx::Postgres(tx) => Tx::Postgres((**tx).begin().await?),
        })
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64, sqlx::Error> {
        self.conn().execute(&sql).await
    }

    pub async fn all<R: Row>(&mut self, sql: Sql) -> Result<Vec<R>, sqlx::Error> {
        self.conn().all(&sql).await
    }

    pub async fn optional<R: Row>(&mut self, sql: Sql) -> Result<Option<R>, sqlx::Error> {
        self.conn().optional(&sql).await
    }

    pub async fn one<R: Row>(&mut self, sql: Sql) -> Result<R, sqlx::Error> {
        self.optional(sql).await?.ok_or(sqlx::Error::RowNotFound)
    }

    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

/// A connection taken from the pool for one statement.
enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// Where a statement runs: the one place that hands [`Sql`] to sqlx.
enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    async fn execute(self, sql: &Sql) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Conn::Sqlite(c) => {
                let text = sql.text(Dialect::Sqlite);
                sqlx::query_with(&text, sql.sqlite_args().map_err(sqlx::Error::Encode)?)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Conn::Postgres(c) => {
                let text = sql.text(Dialect::Postgres);
                sqlx::query_with(&text, sql.pg_args().map_err(sqlx::Error::Encode)?).execute(c).await?.rows_affected()
            }
        })
    }

    async fn all<R: Row>(self, sql: &Sql) -> Result<Vec<R>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let text = sql.text(Dialect::Sqlite);
                sqlx::query_as_with(&text, sql.sqlite_args().map_err(sqlx::Error::Encode)?).fetch_all(c).await
            }
            Conn::Postgres(c) => {
                let text = sql.text(Dialect::Postgres);
                sqlx::query_as_with(&text, sql.pg_args().map_err(sqlx::Error::Encode)?).fetch_all(c).await
            }
        }
    }

    async fn optional<R: Row>(self, sql: &Sql) -> Result<Option<R>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let text = sql.text(Dialect::Sqlite);
                sqlx::query_as_with(&text, sql.sqlite_args().map_err(sqlx::Error::Encode)?).fetch_optional(c).await
            }
            Conn::Postgres(c) => {
                let text = sql.text(Dialect::Postgres);
                sqlx::query_as_with(&text, sql.pg_args().map_err(sqlx::Error::Encode)?).fetch_optional(c).await
            }
        }
    }
}
