//! The database under the store, SQLite or PostgreSQL, as one type: [`Db`] (a pool), [`Tx`]
//! (a transaction, or a savepoint inside one) and [`Dialect`], the few places where their SQL
//! differs. Statements are written once ([`Sql`]) and run on either; rows decode through the
//! `#[derive(sqlx::FromRow)]` structs, which read a SQLite row and a PostgreSQL row alike.
//!
//! Which backend a statement runs on is decided per statement, by a `match`: nothing next to
//! the I/O it does.

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Postgres, Sqlite, Transaction};

use super::sql::Sql;

/// A connection pool to one of the two databases.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A store that runs on a [`Db`]: each storage trait is implemented once for every such store.
pub(crate) trait HasDb {
    fn db(&self) -> &Db;
}

/// Which SQL a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
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
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64, sqlx::Error> {
        self.conn().execute(&sql).await
    }

    pub async fn optional<R: Row>(&mut self, sql: Sql) -> Result<Option<R>, sqlx::Error> {
        self.conn().optional(&sql).await
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
