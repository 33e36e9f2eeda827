//! The embedded SQLite store: one file, WAL, `synchronous=FULL`, foreign keys on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite};

use super::db::{Db, HasDb};
use super::rows::{AppSummaryRow, AppVersionRow, CaseRow, EventRow, OrgUnitRow, PhotoRow};
use super::{
    AppSummary, AppVersion, Case, CaseFilter, Error, Event, NewAppVersion, NewCase, OrgUnit, Photo, Result, Store,
    case_number, conflict_on_unique,
};

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    db: Db,
}

impl HasDb for SqliteStore {
    fn db(&self) -> &Db {
        &self.db
    }
}

const APP_VERSION_SELECT: &str = "SELECT v.app_id, a.owner_id, v.version, v.seq, v.definition, v.digest, v.created_at, v.created_by \
     FROM app_versions v JOIN apps a ON a.id = v.app_id";
const CASE_COLUMNS: &str = "seq, id, number, app_id, app_version, community_id, status, current_step, record, tracking_hash, event_count, head_hash, created_at, updated_at, assignee, step_entered_at, escalation, closed_at, grid_id, resident_id";

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Conflict(format!("cannot create {}: {e}", dir.display())))?;
        }
        Self::connect(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite:` URL.
    pub async fn open_url(url: &str) -> Result<SqliteStore> {
        Self::connect(SqliteConnectOptions::from_str(url)?).await
    }

    async fn connect(options: SqliteConnectOptions) -> Result<SqliteStore> {
        let pool = durable_pool(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { db: Db::Sqlite(pool.clone()), pool })
    }
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

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ready(&self) -> Result<std::result::Result<(), Vec<i64>>> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(&self.pool).await?;
        let missing: Vec<i64> =
            sqlx::migrate!("./migrations/sqlite").iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
        Ok(if missing.is_empty() { Ok(()) } else { Err(missing) })
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    async fn pool_wait(&self) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        drop(self.pool.acquire().await?);
        Ok(started.elapsed())
    }

    async fn outbox_backlog(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetch_one(&self.pool).await?)
    }

    async fn copy_into(&self, path: &std::path::Path) -> Result<()> {
        let path = path.to_str().ok_or_else(|| Error::Conflict(format!("{} is not valid UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO ?").bind(path).execute(&self.pool).await?;
        Ok(())
    }

    async fn put_org_unit(&self, u: &OrgUnit) -> Result<()> {
        sqlx::query(
            "INSERT INTO org_units (id, kind, parent_id, name_zh, name_en, retired_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, parent_id = excluded.parent_id, \
             name_zh = excluded.name_zh, name_en = excluded.name_en, retired_at = excluded.retired_at",
        )
        .bind(&u.id)
        .bind(u.kind.as_str())
        .bind(&u.parent_id)
        .bind(&u.name_zh)
        .bind(&u.name_en)
        .bind(u.retired_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn org_unit(&self, id: &str) -> Result<Option<OrgUnit>> {
        let row: Option<OrgUnitRow> =
            sqlx::query_as("SELECT id, kind, parent_id, name_zh, name_en, retired_at FROM org_units WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    async fn org_units(&self) -> Result<Vec<OrgUnit>> {
        let rows: Vec<OrgUnitRow> =
            sqlx::query_as("SELECT id, kind, parent_id, name_zh, name_en, retired_at FROM org_units ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn save_app_version(&self, new: &NewAppVersion) -> Result<AppVersion> {
        let version = new.definition.get("version").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let mut tx = self.pool.begin().await?;
        let latest: Option<(i64, String)> = sqlx::query_as("SELECT latest_seq, owner_id FROM apps WHERE id = ?")
            .bind(&new.app_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (seq, owner_id) = match latest {
            Some((seq, owner)) => {
                sqlx::query("UPDATE apps SET latest_version = ?, latest_seq = ?, updated_at = ? WHERE id = ?")
                    .bind(&version)
                    .bind(seq + 1)
                    .bind(new.at)
                    .bind(&new.app_id)
                    .execute(&mut *tx)
                    .await?;
                (seq + 1, owner)
            }
            None => {
                sqlx::query("INSERT INTO apps (id, owner_id, latest_version, latest_seq, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)")
                    .bind(&new.app_id)
                    .bind(&new.owner_id)
                    .bind(&version)
                    .bind(new.at)
                    .bind(new.at)
                    .execute(&mut *tx)
                    .await?;
                (1, new.owner_id.clone())
            }
        };
        sqlx::query("INSERT INTO app_versions (app_id, version, seq, definition, digest, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&new.app_id)
            .bind(&version)
            .bind(seq)
            .bind(Json(&new.definition))
            .bind(&new.digest)
            .bind(new.at)
            .bind(&new.by)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, || format!("app {} already has version {version}", new.app_id)))?;
        tx.commit().await?;
        Ok(AppVersion {
            app_id: new.app_id.clone(),
            owner_id,
            version,
            seq,
            definition: new.definition.clone(),
            digest: new.digest.clone(),
            created_at: new.at,
            created_by: new.by.clone(),
        })
    }

    async fn app_version(&self, app_id: &str, version: Option<&str>) -> Result<Option<AppVersion>> {
        let row: Option<AppVersionRow> = match version {
            Some(v) => {
                sqlx::query_as(&format!("{APP_VERSION_SELECT} WHERE v.app_id = ? AND v.version = ?"))
                    .bind(app_id)
                    .bind(v)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_as(&format!("{APP_VERSION_SELECT} WHERE v.app_id = ? AND v.version = a.latest_version"))
                    .bind(app_id)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        Ok(row.map(Into::into))
    }

    async fn apps(&self) -> Result<Vec<AppSummary>> {
        let rows: Vec<AppSummaryRow> = sqlx::query_as(
            "SELECT a.id AS app_id, a.owner_id, a.latest_version, a.latest_seq AS versions, v.definition, a.updated_at \
             FROM apps a JOIN app_versions v ON v.app_id = a.id AND v.version = a.latest_version ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn app_views(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.id, json_extract(v.definition, '$.access.view') FROM apps a \
             JOIN app_versions v ON v.app_id = a.id AND v.version = a.latest_version \
             WHERE json_extract(v.definition, '$.access.view') IS NOT NULL ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(app, view)| (app, serde_json::from_str::<Vec<String>>(&view).unwrap_or_default()))
            .filter(|(_, roles)| !roles.is_empty())
            .collect())
    }

    async fn put_photo(&self, p: &Photo) -> Result<()> {
        sqlx::query(
            "INSERT INTO photos (sha256, content_type, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&p.sha256)
        .bind(&p.content_type)
        .bind(p.width)
        .bind(p.height)
        .bind(p.bytes)
        .bind(p.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn missing_photos(&self, sha256s: &[String]) -> Result<Vec<String>> {
        if sha256s.is_empty() {
            return Ok(Vec::new());
        }
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT sha256 FROM photos WHERE sha256 IN (");
        let mut sep = q.separated(", ");
        for s in sha256s {
            sep.push_bind(s);
        }
        q.push(")");
        let found: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(sha256s.iter().filter(|s| !found.iter().any(|(f,)| f == *s)).cloned().collect())
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Photo>> {
        let row: Option<PhotoRow> = sqlx::query_as(
            "SELECT sha256, content_type, width, height, bytes, created_at FROM photos WHERE sha256 = ?",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn create_cases(&self, cases: &[NewCase]) -> Result<Vec<Case>> {
        let mut tx = self.pool.begin().await?;
        let (last,): (i64,) =
            sqlx::query_as("UPDATE counters SET value = value + ? WHERE name = 'case_number' RETURNING value")
                .bind(cases.len() as i64)
                .fetch_one(&mut *tx)
                .await?;
        let mut out = Vec::with_capacity(cases.len());
        for (i, c) in cases.iter().enumerate() {
            let number = case_number(c.created_at, last - cases.len() as i64 + 1 + i as i64);
            let head = c.events.last().map(|e| e.hash.clone()).unwrap_or_default();
            let (seq,): (i64,) = sqlx::query_as(
                "INSERT INTO cases (id, number, app_id, app_version, community_id, status, current_step, record, tracking_hash, event_count, head_hash, created_at, updated_at, assignee, step_entered_at, grid_id, resident_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&c.id)
            .bind(&number)
            .bind(&c.app_id)
            .bind(&c.app_version)
            .bind(&c.community_id)
            .bind(c.status.as_str())
            .bind(&c.current_step)
            .bind(Json(&c.record))
            .bind(&c.tracking_hash)
            .bind(c.events.len() as i64)
            .bind(&head)
            .bind(c.created_at)
            .bind(c.created_at)
            .bind(&c.assignee)
            .bind(c.created_at)
            .bind(&c.grid_id)
            .bind(&c.resident_id)
            .fetch_one(&mut *tx)
            .await?;
            out.push(Case {
                seq,
                id: c.id.clone(),
                number,
                app_id: c.app_id.clone(),
                app_version: c.app_version.clone(),
                community_id: c.community_id.clone(),
                status: c.status,
                current_step: c.current_step.clone(),
                record: c.record.clone(),
                tracking_hash: c.tracking_hash.clone(),
                event_count: c.events.len() as i64,
                head_hash: head,
                created_at: c.created_at,
                updated_at: c.created_at,
                assignee: c.assignee.clone(),
                step_entered_at: Some(c.created_at),
                escalation: None,
                closed_at: None,
                grid_id: c.grid_id.clone(),
                resident_id: c.resident_id.clone(),
            });
        }
        // The batch's events and timers in one statement each.
        let events: Vec<Event> = cases.iter().flat_map(|c| c.events.iter().cloned()).collect();
        let timers: Vec<super::Timer> = cases.iter().flat_map(|c| c.timers.iter().cloned()).collect();
        let outbox: Vec<super::OutboxItem> = cases.iter().flat_map(|c| c.outbox.iter().cloned()).collect();
        super::sqlite_workflow::insert_events(&mut tx, &events).await?;
        super::sqlite_workflow::insert_timers(&mut tx, &timers).await?;
        super::sqlite_workflow::insert_outbox(&mut tx, &outbox).await?;
        // What an intake books is in the books in the same transaction, or nothing is.
        for entry in cases.iter().flat_map(|c| c.ledger.iter()) {
            append_entry(&mut tx, entry).await?;
        }
        for c in cases {
            insert_photo_uses(&mut tx, &c.photo_uses, c.created_at).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn case(&self, id: &str) -> Result<Option<Case>> {
        let row: Option<CaseRow> = sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
        if let Some(v) = &f.app_id {
            q.push(" AND app_id = ").push_bind(v);
        }
        if let Some(v) = &f.status {
            q.push(" AND status = ").push_bind(v.as_str());
        }
        if let Some(v) = &f.community_id {
            q.push(" AND community_id = ").push_bind(v);
        }
        if let Some(v) = f.created_from {
            q.push(" AND created_at >= ").push_bind(v);
        }
        if let Some(v) = f.created_to {
            q.push(" AND created_at < ").push_bind(v);
        }
        if let Some(v) = f.before {
            q.push(" AND seq < ").push_bind(v);
        }
        if let Some(v) = &f.resident_id {
            q.push(" AND resident_id = ").push_bind(v);
        }
        if let Some(scope) = &f.scope {
            super::push_scope(&mut q, scope);
        }
        q.push(" ORDER BY seq DESC LIMIT ").push_bind(f.limit);
        let rows: Vec<CaseRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn events(&self, case_id: &str) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> =
            sqlx::query_as("SELECT case_id, seq, kind, actor, at, data, prev_hash, hash FROM case_events WHERE case_id = ? ORDER BY seq")
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn events_of(&self, case_ids: &[String]) -> Result<Vec<Event>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::new(
            "SELECT case_id, seq, kind, actor, at, data, prev_hash, hash FROM case_events WHERE case_id IN (",
        );
        let mut list = q.separated(", ");
        for id in case_ids {
            list.push_bind(id.clone());
        }
        list.push_unseparated(") ORDER BY case_id, seq");
        let rows: Vec<EventRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> =
            sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE seq > ? ORDER BY seq LIMIT ?"))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn closed_cases_with(&self, app_id: &str, key: &str, value: &str, limit: i64) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE app_id = ? AND status = 'closed' AND json_extract(record, '$.' || ?) = ? ORDER BY seq DESC LIMIT ?"))
            .bind(app_id)
            .bind(key)
            .bind(value)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

crate::ledger_sql::ledger_store!(SqliteStore, sqlx::Sqlite, crate::people_sql::lite);

crate::photo_uses::photo_use_store!(SqliteStore, sqlx::Sqlite, crate::people_sql::lite);
