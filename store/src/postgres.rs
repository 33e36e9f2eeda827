//! The PostgreSQL store, for deployments that outgrow one machine.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

use super::db::{Db, HasDb};
use super::rows::{AppSummaryRow, AppVersionRow, CaseRow, EventRow, OrgUnitRow, PhotoRow};
use super::{
    AppSummary, AppVersion, Case, CaseFilter, Event, NewAppVersion, NewCase, OrgUnit, Photo, Result, Store,
    case_number, conflict_on_unique,
};

pub struct PgStore {
    pub(super) pool: PgPool,
    db: Db,
}

impl HasDb for PgStore {
    fn db(&self) -> &Db {
        &self.db
    }
}

const APP_VERSION_SELECT: &str = "SELECT v.app_id, a.owner_id, v.version, v.seq, v.definition, v.digest, v.created_at, v.created_by \
     FROM app_versions v JOIN apps a ON a.id = v.app_id";
const CASE_COLUMNS: &str = "seq, id, number, app_id, app_version, community_id, status, current_step, record, tracking_hash, event_count, head_hash, created_at, updated_at, assignee, step_entered_at, escalation, closed_at, grid_id, resident_id";

impl PgStore {
    /// Connects to `url` and migrates the database (or the schema named by `search_path`).
    pub async fn open(url: &str) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { db: Db::Postgres(pool.clone()), pool })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ready(&self) -> Result<std::result::Result<(), Vec<i64>>> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&self.pool).await?;
        let missing: Vec<i64> = sqlx::migrate!("./migrations/postgres")
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
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

    async fn copy_into(&self, _path: &std::path::Path) -> Result<()> {
        Err(super::Error::Conflict(
            "PostgreSQL is copied with pg_dump or point-in-time recovery (docs/deploy.md)".into(),
        ))
    }

    async fn put_org_unit(&self, u: &OrgUnit) -> Result<()> {
        sqlx::query(
            "INSERT INTO org_units (id, kind, parent_id, name_zh, name_en, retired_at) VALUES ($1, $2, $3, $4, $5, $6) \
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
            sqlx::query_as("SELECT id, kind, parent_id, name_zh, name_en, retired_at FROM org_units WHERE id = $1")
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
        let latest: Option<(i64, String)> = sqlx::query_as("SELECT latest_seq, owner_id FROM apps WHERE id = $1")
            .bind(&new.app_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (seq, owner_id) = match latest {
            Some((seq, owner)) => {
                sqlx::query("UPDATE apps SET latest_version = $1, latest_seq = $2, updated_at = $3 WHERE id = $4")
                    .bind(&version)
                    .bind(seq + 1)
                    .bind(new.at)
                    .bind(&new.app_id)
                    .execute(&mut *tx)
                    .await?;
                (seq + 1, owner)
            }
            None => {
                sqlx::query("INSERT INTO apps (id, owner_id, latest_version, latest_seq, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $5)")
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
        sqlx::query("INSERT INTO app_versions (app_id, version, seq, definition, digest, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
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
                sqlx::query_as(&format!("{APP_VERSION_SELECT} WHERE v.app_id = $1 AND v.version = $2"))
                    .bind(app_id)
                    .bind(v)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_as(&format!("{APP_VERSION_SELECT} WHERE v.app_id = $1 AND v.version = a.latest_version"))
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
            "SELECT a.id, ((v.definition::jsonb) #> '{access,view}')::text FROM apps a \
             JOIN app_versions v ON v.app_id = a.id AND v.version = a.latest_version \
             WHERE (v.definition::jsonb) #> '{access,view}' IS NOT NULL ORDER BY a.id",
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
            "INSERT INTO photos (sha256, content_type, width, height, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
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
        let found: Vec<(String,)> = sqlx::query_as("SELECT sha256 FROM photos WHERE sha256 = ANY($1)")
            .bind(sha256s)
            .fetch_all(&self.pool)
            .await?;
        Ok(sha256s.iter().filter(|s| !found.iter().any(|(f,)| f == *s)).cloned().collect())
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Photo>> {
        let row: Option<PhotoRow> = sqlx::query_as(
            "SELECT sha256, content_type, width, height, bytes, created_at FROM photos WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn create_cases(&self, cases: &[NewCase]) -> Result<Vec<Case>> {
        let mut tx = self.pool.begin().await?;
        let numbers: Vec<(i64,)> = sqlx::query_as("SELECT nextval('case_number_seq') FROM generate_series(1, $1)")
            .bind(cases.len() as i64)
            .fetch_all(&mut *tx)
            .await?;
        let mut out = Vec::with_capacity(cases.len());
        for (i, c) in cases.iter().enumerate() {
            let number = case_number(c.created_at, numbers[i].0);
            let head = c.events.last().map(|e| e.hash.clone()).unwrap_or_default();
            let (seq,): (i64,) = sqlx::query_as(
                "INSERT INTO cases (id, number, app_id, app_version, community_id, status, current_step, record, tracking_hash, event_count, head_hash, created_at, updated_at, assignee, step_entered_at, grid_id, resident_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING seq",
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
        super::postgres_workflow::insert_events(&mut tx, &events).await?;
        super::postgres_workflow::insert_timers(&mut tx, &timers).await?;
        super::postgres_workflow::insert_outbox(&mut tx, &outbox).await?;
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
        let row: Option<CaseRow> = sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
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
            sqlx::query_as("SELECT case_id, seq, kind, actor, at, data, prev_hash, hash FROM case_events WHERE case_id = $1 ORDER BY seq")
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
            sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE seq > $1 ORDER BY seq LIMIT $2"))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn closed_cases_with(&self, app_id: &str, key: &str, value: &str, limit: i64) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE app_id = $1 AND status = 'closed' AND record ->> $2 = $3 ORDER BY seq DESC LIMIT $4"))
            .bind(app_id)
            .bind(key)
            .bind(value)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

crate::ledger_sql::ledger_store!(PgStore, sqlx::Postgres, crate::people_sql::pg);

crate::photo_uses::photo_use_store!(PgStore, sqlx::Postgres, crate::people_sql::pg);
