//! [`SqlStore`], Baida's one store: every storage trait is implemented once for it, over a
//! [`Db`] that is SQLite or PostgreSQL. Here: [`Store`] itself (the pool, org units, apps,
//! photos, cases).

use std::path::Path;

use async_trait::async_trait;
use sqlx::types::Json;

use super::db::{Db, Dialect, Tx};
use super::rows::{AppSummaryRow, AppVersionRow, CaseRow, EventRow, OrgUnitRow, PhotoRow};
use super::sql::Sql;
use super::{
    AppSummary, AppVersion, Case, CaseFilter, Error, Event, NewAppVersion, NewCase, OrgUnit, Photo, Result, Store,
    case_number, conflict_on_unique, ledger_sql, photo_uses, registers, workflow_sql,
};

/// The store, on either database.
pub(crate) struct SqlStore {
    pub(crate) db: Db,
}

const APP_VERSION_SELECT: &str = "SELECT v.app_id, a.owner_id, v.version, v.seq, v.definition, v.digest, \
     v.created_at, v.created_by FROM app_versions v JOIN apps a ON a.id = v.app_id";
const CASE_COLUMNS: &str = "seq, id, number, app_id, app_version, community_id, status, current_step, record, \
     tracking_hash, event_count, head_hash, created_at, updated_at, assignee, step_entered_at, escalation, closed_at, \
     grid_id, resident_id";
const EVENT_SELECT: &str = "SELECT case_id, seq, kind, actor, at, data, prev_hash, hash FROM case_events";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.db.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn ready(&self) -> Result<std::result::Result<(), Vec<i64>>> {
        let applied: Vec<(i64,)> = self.db.all(Sql::new("SELECT version FROM _sqlx_migrations WHERE success")).await?;
        let missing: Vec<i64> =
            self.db.migrator().iter().map(|m| m.version).filter(|v| !applied.iter().any(|(a,)| a == v)).collect();
        Ok(if missing.is_empty() { Ok(()) } else { Err(missing) })
    }

    async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    fn pool_stats(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    async fn pool_wait(&self) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        match &self.db {
            Db::Sqlite(pool) => drop(pool.acquire().await?),
            Db::Postgres(pool) => drop(pool.acquire().await?),
        }
        Ok(started.elapsed())
    }

    async fn outbox_backlog(&self) -> Result<i64> {
        let (n,): (i64,) = self.db.one(Sql::new("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")).await?;
        Ok(n)
    }

    async fn copy_into(&self, path: &Path) -> Result<()> {
        if self.db.dialect() == Dialect::Postgres {
            return Err(Error::Conflict(
                "PostgreSQL is copied with pg_dump or point-in-time recovery (docs/deploy.md)".into(),
            ));
        }
        let path = path.to_str().ok_or_else(|| Error::Conflict(format!("{} is not valid UTF-8", path.display())))?;
        self.db.execute(Sql::new("VACUUM INTO ?").bind(path)).await?;
        Ok(())
    }

    async fn put_org_unit(&self, u: &OrgUnit) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO org_units (id, kind, parent_id, name_zh, name_en, retired_at) VALUES (?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, parent_id = excluded.parent_id, \
                     name_zh = excluded.name_zh, name_en = excluded.name_en, retired_at = excluded.retired_at",
                )
                .bind(&u.id)
                .bind(u.kind.as_str())
                .bind(&u.parent_id)
                .bind(&u.name_zh)
                .bind(&u.name_en)
                .bind(u.retired_at),
            )
            .await?;
        Ok(())
    }

    async fn org_unit(&self, id: &str) -> Result<Option<OrgUnit>> {
        let row: Option<OrgUnitRow> = self
            .db
            .optional(
                Sql::new("SELECT id, kind, parent_id, name_zh, name_en, retired_at FROM org_units WHERE id = ?")
                    .bind(id),
            )
            .await?;
        Ok(row.map(Into::into))
    }

    async fn org_units(&self) -> Result<Vec<OrgUnit>> {
        let rows: Vec<OrgUnitRow> = self
            .db
            .all(Sql::new("SELECT id, kind, parent_id, name_zh, name_en, retired_at FROM org_units ORDER BY id"))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn save_app_version(&self, new: &NewAppVersion) -> Result<AppVersion> {
        let version = new.definition.get("version").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let mut tx = self.db.begin().await?;
        let latest: Option<(i64, String)> =
            tx.optional(Sql::new("SELECT latest_seq, owner_id FROM apps WHERE id = ?").bind(&new.app_id)).await?;
        let (seq, owner_id) = match latest {
            Some((seq, owner)) => {
                tx.execute(
                    Sql::new("UPDATE apps SET latest_version = ?, latest_seq = ?, updated_at = ? WHERE id = ?")
                        .bind(&version)
                        .bind(seq + 1)
                        .bind(new.at)
                        .bind(&new.app_id),
                )
                .await?;
                (seq + 1, owner)
            }
            None => {
                tx.execute(
                    Sql::new(
                        "INSERT INTO apps (id, owner_id, latest_version, latest_seq, created_at, updated_at) \
                         VALUES (?, ?, ?, 1, ?, ?)",
                    )
                    .bind(&new.app_id)
                    .bind(&new.owner_id)
                    .bind(&version)
                    .bind(new.at)
                    .bind(new.at),
                )
                .await?;
                (1, new.owner_id.clone())
            }
        };
        tx.execute(
            Sql::new(
                "INSERT INTO app_versions (app_id, version, seq, definition, digest, created_at, created_by) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&new.app_id)
            .bind(&version)
            .bind(seq)
            .bind(Json(&new.definition))
            .bind(&new.digest)
            .bind(new.at)
            .bind(&new.by),
        )
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
        let sql = match version {
            Some(v) => Sql::new(APP_VERSION_SELECT).push(" WHERE v.app_id = ? AND v.version = ?").bind(app_id).bind(v),
            None => {
                Sql::new(APP_VERSION_SELECT).push(" WHERE v.app_id = ? AND v.version = a.latest_version").bind(app_id)
            }
        };
        let row: Option<AppVersionRow> = self.db.optional(sql).await?;
        Ok(row.map(Into::into))
    }

    async fn apps(&self) -> Result<Vec<AppSummary>> {
        let rows: Vec<AppSummaryRow> = self
            .db
            .all(Sql::new(
                "SELECT a.id AS app_id, a.owner_id, a.latest_version, a.latest_seq AS versions, v.definition, \
                 a.updated_at FROM apps a JOIN app_versions v ON v.app_id = a.id AND v.version = a.latest_version \
                 ORDER BY a.id",
            ))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn app_views(&self) -> Result<Vec<(String, Vec<String>)>> {
        let view = self.db.dialect().json_at("v.definition", &["access", "view"]);
        let rows: Vec<(String, String)> = self
            .db
            .all(Sql::new(format!(
                "SELECT a.id, {view} FROM apps a \
                 JOIN app_versions v ON v.app_id = a.id AND v.version = a.latest_version \
                 WHERE {view} IS NOT NULL ORDER BY a.id"
            )))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(app, view)| (app, serde_json::from_str::<Vec<String>>(&view).unwrap_or_default()))
            .filter(|(_, roles)| !roles.is_empty())
            .collect())
    }

    async fn put_photo(&self, p: &Photo) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO photos (sha256, content_type, width, height, bytes, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&p.sha256)
                .bind(&p.content_type)
                .bind(p.width)
                .bind(p.height)
                .bind(p.bytes)
                .bind(p.created_at),
            )
            .await?;
        Ok(())
    }

    async fn missing_photos(&self, sha256s: &[String]) -> Result<Vec<String>> {
        if sha256s.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<(String,)> =
            self.db.all(Sql::new("SELECT sha256 FROM photos WHERE sha256 IN ?").bind_list(sha256s)).await?;
        Ok(sha256s.iter().filter(|s| !found.iter().any(|(f,)| f == *s)).cloned().collect())
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Photo>> {
        let row: Option<PhotoRow> = self
            .db
            .optional(
                Sql::new("SELECT sha256, content_type, width, height, bytes, created_at FROM photos WHERE sha256 = ?")
                    .bind(sha256),
            )
            .await?;
        Ok(row.map(Into::into))
    }

    async fn create_cases(&self, cases: &[NewCase]) -> Result<Vec<Case>> {
        let mut tx = self.db.begin().await?;
        let out = create_cases_in(&mut tx, cases).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn case(&self, id: &str) -> Result<Option<Case>> {
        let row: Option<CaseRow> =
            self.db.optional(Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?")).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    async fn cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut q = Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
        if let Some(v) = &f.app_id {
            q = q.push(" AND app_id = ?").bind(v);
        }
        if let Some(v) = &f.status {
            q = q.push(" AND status = ?").bind(v.as_str());
        }
        if let Some(v) = &f.community_id {
            q = q.push(" AND community_id = ?").bind(v);
        }
        if let Some(v) = f.created_from {
            q = q.push(" AND created_at >= ?").bind(v);
        }
        if let Some(v) = f.created_to {
            q = q.push(" AND created_at < ?").bind(v);
        }
        if let Some(v) = f.before {
            q = q.push(" AND seq < ?").bind(v);
        }
        if let Some(v) = &f.resident_id {
            q = q.push(" AND resident_id = ?").bind(v);
        }
        if let Some(scope) = &f.scope {
            q = super::push_scope(q, scope);
        }
        let rows: Vec<CaseRow> = self.db.all(q.push(" ORDER BY seq DESC LIMIT ?").bind(f.limit)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn events(&self, case_id: &str) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> =
            self.db.all(Sql::new(EVENT_SELECT).push(" WHERE case_id = ? ORDER BY seq").bind(case_id)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn events_of(&self, case_ids: &[String]) -> Result<Vec<Event>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<EventRow> = self
            .db
            .all(Sql::new(EVENT_SELECT).push(" WHERE case_id IN ? ORDER BY case_id, seq").bind_list(case_ids))
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> = self
            .db
            .all(
                Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE seq > ? ORDER BY seq LIMIT ?"))
                    .bind(after)
                    .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn closed_cases_with(&self, app_id: &str, key: &str, value: &str, limit: i64) -> Result<Vec<Case>> {
        let field = self.db.dialect().json_text("record", "?");
        let rows: Vec<CaseRow> = self
            .db
            .all(
                Sql::new(format!(
                    "SELECT {CASE_COLUMNS} FROM cases WHERE app_id = ? AND status = 'closed' AND {field} = ? \
                     ORDER BY seq DESC LIMIT ?"
                ))
                .bind(app_id)
                .bind(key)
                .bind(value)
                .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// Allocates `n` case numbers in `tx`: SQLite counts in the `counters` table (its one writer
/// makes that safe), PostgreSQL draws from the sequence `case_number_seq` (never blocking
/// another transaction; a number drawn by one rolled back is skipped).
async fn case_numbers(tx: &mut Tx<'_>, n: usize) -> Result<Vec<i64>> {
    let n = n as i64;
    Ok(match tx.dialect() {
        Dialect::Sqlite => {
            let (last,): (i64,) = tx
                .one(
                    Sql::new("UPDATE counters SET value = value + ? WHERE name = 'case_number' RETURNING value")
                        .bind(n),
                )
                .await?;
            (last - n + 1..=last).collect()
        }
        Dialect::Postgres => {
            let rows: Vec<(i64,)> =
                tx.all(Sql::new("SELECT nextval('case_number_seq') FROM generate_series(1, ?)").bind(n)).await?;
            rows.into_iter().map(|(v,)| v).collect()
        }
    })
}

/// Writes new cases inside `tx`, with their events, timers, messages, ledger entries, photo uses
/// and register rows (a submission batch, a schedule's run).
pub(crate) async fn create_cases_in(tx: &mut Tx<'_>, cases: &[NewCase]) -> Result<Vec<Case>> {
    let numbers = case_numbers(tx, cases.len()).await?;
    let mut out = Vec::with_capacity(cases.len());
    for (c, n) in cases.iter().zip(numbers) {
        let number = case_number(c.created_at, n);
        let head = c.events.last().map(|e| e.hash.clone()).unwrap_or_default();
        let (seq,): (i64,) = tx
            .one(
                Sql::new(
                    "INSERT INTO cases (id, number, app_id, app_version, community_id, status, current_step, \
                     record, tracking_hash, event_count, head_hash, created_at, updated_at, assignee, \
                     step_entered_at, grid_id, resident_id) \
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
                .bind(&c.resident_id),
            )
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
    workflow_sql::insert_events(tx, &events).await?;
    workflow_sql::insert_timers(tx, &timers).await?;
    workflow_sql::insert_outbox(tx, &outbox).await?;
    // What an intake books is in the books in the same transaction, or nothing is.
    for entry in cases.iter().flat_map(|c| c.ledger.iter()) {
        ledger_sql::append_entry(tx, entry).await?;
    }
    for c in cases {
        photo_uses::insert_photo_uses(tx, &c.photo_uses, c.created_at).await?;
        for (index, w) in c.rows.iter().enumerate() {
            registers::write_row(tx, w).await.map_err(|e| match e {
                super::Error::Row { refusal, .. } => super::Error::Row { index, refusal },
                other => other,
            })?;
        }
    }
    Ok(out)
}
