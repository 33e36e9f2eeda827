//! Opening a PostgreSQL database, for deployments that outgrow one machine: a pool of 16,
//! migrated at open. What runs on it is in the modules of each store trait, over [`super::db`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::Result;
use super::db::Db;

/// The migrations of the PostgreSQL schema.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects to `url` and migrates the database (or the schema named by `search_path`).
pub(crate) async fn open(url: &str) -> Result<Db> {
    let options = PgConnectOptions::from_str(url)?;
    let pool =
        PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(options).await?;
    MIGRATOR.run(&pool).await?;
    Ok(Db::Postgres(pool))
}
