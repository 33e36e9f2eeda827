//! Storage: the [`Store`] trait and one trait per concern ([`WorkflowStore`], [`PeopleStore`],
//! [`LedgerStore`], …), each implemented **once** for both databases, SQLite (the embedded
//! default) and PostgreSQL.
//!
//! How it is organised, in reading order:
//!
//! - `db` — the database as one type: `Db` (a SQLite or PostgreSQL pool), `Tx` (a
//!   transaction or savepoint; on SQLite a write transaction begins `IMMEDIATE`), and
//!   `Dialect`, the few places their SQL differs (`FOR UPDATE SKIP LOCKED`, JSON paths).
//! - `sql` — `Sql`, a statement written once with `?` placeholders and typed arguments
//!   (numbered `$n` for PostgreSQL; a list bound as one argument, `column IN ?`).
//! - `sql_store` — `SqlStore`, the one store type, and its [`Store`] operations (org units,
//!   apps, photos, cases; the case-number counter: a table on SQLite, a sequence on PostgreSQL),
//!   reading rows through `rows`.
//! - one module per concern with its trait and row types, and its implementation beside it
//!   (`workflow`/`workflow_sql`, `people`/`people_sql`, `ledger`/`ledger_sql`,
//!   `catalog`/`catalog_sql`, or in the same file: [`figures`], [`profile`], [`plugins`],
//!   [`drafts`], [`homes`], [`photo_uses`], [`registers`], [`schedules`]); [`scope`] narrows any query over
//!   cases.
//! - What is genuinely one backend's: opening it ([`sqlite`]: pragmas, the pool's check of a
//!   returned connection; `postgres`), its migrations (`store/migrations/{sqlite,postgres}`,
//!   run at open) and the change feed ([`changes`]: SQLite polls by `rowid`, PostgreSQL
//!   listens to `NOTIFY`).
//!
//! Architecture invariant: only this crate writes SQL. Each domain operation is one
//! transaction.

pub mod catalog;
mod catalog_sql;
pub mod changes;
mod db;
pub mod drafts;
pub mod figures;
pub mod homes;
pub mod ledger;
mod ledger_sql;
pub mod people;
mod people_sql;
pub mod photo_uses;
pub mod plugins;
mod postgres;
pub mod profile;
pub mod registers;
mod rows;
pub mod schedules;
pub mod scope;
mod sql;
mod sql_store;
pub mod sqlite;
pub mod workflow;
mod workflow_sql;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

pub use baida_core::case::{Case, Event};
pub use baida_core::kinds::{CaseStatus, Escalation, EventKind, UnitKind};
pub use baida_core::org::OrgUnit;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(Box<sqlx::migrate::MigrateError>),
    #[error("stored data is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Conflict(String),
    /// A register write was refused (the `index`-th of those written together); nothing was
    /// written.
    #[error("{refusal}")]
    Row { index: usize, refusal: baida_core::register::Refusal },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The disk (or the database's tablespace) is full: SQLite's `SQLITE_FULL`, PostgreSQL's
    /// `disk_full` (53100), or the operating system's "no space left on device". Nothing was
    /// written; the same request succeeds once there is room again.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("13" | "53100"))
                    || db.message().contains("database or disk is full")
            }
            Error::Database(sqlx::Error::Io(io)) => io_full(io),
            _ => false,
        }
    }
}

impl Error {
    /// Another writer held the database past the busy timeout, or a transaction lost a race
    /// it cannot win by waiting (SQLite `SQLITE_BUSY`/`SQLITE_LOCKED` and their extended codes;
    /// PostgreSQL `lock_not_available`, `serialization_failure`, `deadlock_detected`). Nothing
    /// was written; the same request may succeed a moment later.
    pub fn is_busy(&self) -> bool {
        self.is_pool_timeout() || self.is_contended()
    }

    /// No connection came free from the pool in time: the server is overloaded, not the disk.
    pub fn is_pool_timeout(&self) -> bool {
        matches!(self, Error::Database(sqlx::Error::PoolTimedOut))
    }

    /// The pool's answer when it gives no connection in time (for tests above the store).
    pub fn pool_timed_out() -> Error {
        Error::Database(sqlx::Error::PoolTimedOut)
    }

    fn is_contended(&self) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => match db.code().as_deref() {
                Some("55P03" | "40001" | "40P01") => true,
                Some(code) => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
                None => false,
            },
            _ => false,
        }
    }
}

/// An I/O error that says the device is full.
pub fn io_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Migrate(Box::new(e))
    }
}

/// A new version of an app definition to save.
#[derive(Debug, Clone)]
pub struct NewAppVersion {
    pub app_id: String,
    pub owner_id: String,
    /// The definition; its `version` field is what gets stored.
    pub definition: Value,
    /// SHA-256 of the canonical definition without its `version`.
    pub digest: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// One stored version of an app.
#[derive(Debug, Clone, Serialize)]
pub struct AppVersion {
    pub app_id: String,
    pub owner_id: String,
    pub version: String,
    pub seq: i64,
    pub definition: Value,
    pub digest: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// An app with its latest version, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct AppSummary {
    pub app_id: String,
    pub owner_id: String,
    pub latest_version: String,
    pub versions: i64,
    pub name: Value,
    pub category: String,
    pub icon: String,
    pub updated_at: DateTime<Utc>,
}

/// Metadata of an uploaded photo; the bytes are in the blob folder under their SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct Photo {
    pub sha256: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// A case to create with its first events, in one transaction.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub id: String,
    pub app_id: String,
    pub app_version: String,
    pub community_id: String,
    /// The grid the case belongs to, when it was filed in one.
    pub grid_id: Option<String>,
    /// The logged-in resident who filed it.
    pub resident_id: Option<String>,
    pub status: CaseStatus,
    pub current_step: Option<String>,
    pub record: Value,
    pub tracking_hash: String,
    pub created_at: DateTime<Utc>,
    pub events: Vec<Event>,
    /// Who holds the case after its intake (when dispatch ran at once).
    pub assignee: Option<String>,
    pub timers: Vec<Timer>,
    pub outbox: Vec<OutboxItem>,
    /// Ledger entries its intake books (a `ledger` step right after the form), each written
    /// with its log leaf in the case's own transaction.
    pub ledger: Vec<baida_core::ledger::entry::NewEntry>,
    /// The photos its record holds, each with its use (`engine::photos::uses`), written with
    /// the case.
    pub photo_uses: Vec<(String, photo_uses::PhotoUse)>,
    /// Register rows its intake writes (a `register` step right after the form), with the case.
    pub rows: Vec<baida_core::register::RowWrite>,
}

/// Which cases to list; newest first, `before` is the cursor (a case `seq`).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub app_id: Option<String>,
    pub status: Option<CaseStatus>,
    pub community_id: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: i64,
    /// Only cases this scope may see; `None` for all (the root admin token, internal use).
    pub scope: Option<CaseScope>,
    /// Only cases filed by this resident.
    pub resident_id: Option<String>,
}

/// The case number shown to people: the creation date and a sequence, e.g. `20261121-000042`.
pub fn case_number(created_at: DateTime<Utc>, n: i64) -> String {
    let local = created_at.with_timezone(&chrono_tz::Asia::Shanghai);
    format!("{}-{n:06}", local.format("%Y%m%d"))
}

/// Turns a unique-constraint violation into a [`Error::Conflict`] with a message.
pub(crate) fn conflict_on_unique(e: sqlx::Error, what: impl FnOnce() -> String) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what()),
        _ => Error::Database(e),
    }
}

pub use catalog::{CatalogStore, Install, Submission, SubmissionStatus};
pub use drafts::{Draft, DraftStore};
pub use figures::{Figures, FiguresQuery, FiguresRow, FiguresStore, GroupBy};
pub use homes::{Home, HomeStore};
pub use ledger::LedgerStore;
pub use people::{
    ApiToken, Credentials, Grant, LoginCode, NewUser, PeopleStore, Resident, SecurityEvent, Session, User,
};
pub use plugins::{PluginStore, PluginVersion};
pub use profile::{Household, ProfileRead, ProfileStore, ProfileValue};
pub use registers::{RegisterStore, RowPage, RowQuery, Wanted, Written};
pub use schedules::{ScheduleRun, ScheduleState, ScheduleStore};
pub(crate) use scope::push_scope;
pub use scope::{AppScope, CaseScope};
use sql_store::SqlStore;
pub use workflow::{CaseChange, Delivery, InboxItem, OutboxItem, Timer, WorkflowStore};

/// Baida's storage. Every method is one transaction.
#[async_trait]
pub trait Store:
    FiguresStore
    + WorkflowStore
    + PeopleStore
    + LedgerStore
    + CatalogStore
    + ProfileStore
    + PluginStore
    + DraftStore
    + HomeStore
    + photo_uses::PhotoUseStore
    + RegisterStore
    + ScheduleStore
    + changes::ChangeFeed
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Ready to serve: the database answers and every migration this build carries is applied
    /// (another node may run an older or newer build against the same database). The missing
    /// migrations' versions when not.
    async fn ready(&self) -> Result<std::result::Result<(), Vec<i64>>>;

    /// Closes the connections (SQLite checkpoints its write-ahead log).
    async fn close(&self);

    /// The connection pool now: connections open, and of those idle (for `/metrics`).
    fn pool_stats(&self) -> (u32, usize);

    /// How long taking a connection from the pool takes now (the probe behind `/metrics`'
    /// pool wait: a request waits as long before its first query).
    async fn pool_wait(&self) -> Result<std::time::Duration>;

    /// Outbox messages waiting to be delivered (for `/metrics`).
    async fn outbox_backlog(&self) -> Result<i64>;

    /// Writes a consistent copy of the whole database to the new file `path`, while the
    /// server runs (SQLite's `VACUUM INTO`: one read transaction). PostgreSQL is copied with
    /// its own tools (`pg_dump`), so there it is an error.
    async fn copy_into(&self, path: &std::path::Path) -> Result<()>;

    async fn put_org_unit(&self, unit: &OrgUnit) -> Result<()>;
    async fn org_unit(&self, id: &str) -> Result<Option<OrgUnit>>;
    async fn org_units(&self) -> Result<Vec<OrgUnit>>;

    /// Saves a version of an app, creating the app when it is new.
    async fn save_app_version(&self, new: &NewAppVersion) -> Result<AppVersion>;
    /// The latest version, or the named one.
    async fn app_version(&self, app_id: &str, version: Option<&str>) -> Result<Option<AppVersion>>;
    async fn apps(&self) -> Result<Vec<AppSummary>>;
    /// The apps whose latest version names the roles that may read their cases
    /// (`access.view`), with those roles — read from the definitions by the database, not by
    /// loading thousands of definitions.
    async fn app_views(&self) -> Result<Vec<(String, Vec<String>)>>;

    async fn put_photo(&self, photo: &Photo) -> Result<()>;
    /// Of `sha256s`, those with no uploaded photo.
    async fn missing_photos(&self, sha256s: &[String]) -> Result<Vec<String>>;
    async fn photo(&self, sha256: &str) -> Result<Option<Photo>>;

    /// Creates cases and their events in one transaction; numbers are allocated here.
    async fn create_cases(&self, cases: &[NewCase]) -> Result<Vec<Case>>;
    async fn case(&self, id: &str) -> Result<Option<Case>>;
    async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>>;
    async fn events(&self, case_id: &str) -> Result<Vec<Event>>;
    /// The events of several cases in one read, by case then `seq` (bounded pages, such as
    /// the public ledger's trails, read them at once instead of a query per case).
    async fn events_of(&self, case_ids: &[String]) -> Result<Vec<Event>>;
    /// Cases in `seq` order after `after`, for verification.
    async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<Case>>;
    /// Closed cases of `app_id` whose record has `value` at field `key` (a valid field key),
    /// newest first.
    async fn closed_cases_with(&self, app_id: &str, key: &str, value: &str, limit: i64) -> Result<Vec<Case>>;
}

/// Opens the store named by `database_url`, or SQLite under `data_dir`; runs migrations.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(SqlStore { db: postgres::open(url).await? }))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqlStore { db: sqlite::open_url(url).await? })),
        Some(other) => Err(Error::Conflict(format!(
            "unsupported database URL “{other}”: use postgres://… or sqlite:…, or leave it out for SQLite under --data-dir"
        ))),
        None => Ok(Arc::new(SqlStore { db: sqlite::open(&data_dir.join("baida.db")).await? })),
    }
}
