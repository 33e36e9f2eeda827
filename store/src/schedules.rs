//! The state of each app's schedules: when each runs next, paused or waiting for a
//! confirmation, and how its last run went. A run is claimed with a lease (and on PostgreSQL
//! `FOR UPDATE SKIP LOCKED`, so several nodes share the work), then written in one transaction
//! that opens its cases and advances `next_at` — conditional on `next_at` still being what the
//! claim read, so a run happens exactly once even when two nodes or a restart race for it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::Sql;
use super::sql_store::{SqlStore, create_cases_in};
use super::{Case, Error, NewCase, Result};

/// A schedule as it runs.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ScheduleState {
    pub app_id: String,
    pub schedule_id: String,
    pub next_at: DateTime<Utc>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_by: Option<String>,
    /// A run that would open more cases than the schedule's threshold waits since then.
    pub waiting_since: Option<DateTime<Utc>>,
    pub waiting_cases: Option<i64>,
    /// Someone confirmed the waiting run: it runs at the next claim whatever its size.
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_cases: Option<i64>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "app_id, schedule_id, next_at, paused_at, paused_by, waiting_since, waiting_cases, confirmed_at, \
                       confirmed_by, last_run_at, last_cases, last_error";

/// A run's outcome, written with its cases.
#[derive(Debug, Clone)]
pub struct ScheduleRun {
    pub app_id: String,
    pub schedule_id: String,
    /// The `next_at` the claim read: the run is written only if it is still the same.
    pub claimed_next_at: DateTime<Utc>,
    /// When it runs next.
    pub next_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub cases: Vec<NewCase>,
    /// Rows it could not open a case for, in words (`None`: all went well).
    pub error: Option<String>,
}

#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Makes a schedule's state with its first run, or — when its `rule` (its day and time)
    /// changed — sets its next run; an unchanged schedule keeps its time (a run missed while
    /// the service was down stays due), and one waiting for a confirmation keeps it too.
    async fn plan_schedule(&self, app_id: &str, schedule_id: &str, rule: &str, next_at: DateTime<Utc>) -> Result<()>;
    /// Forgets an app's schedules but those named (no longer in its latest version).
    async fn drop_schedules_except(&self, app_id: &str, keep: &[String]) -> Result<()>;
    /// The schedules of an app, as they run.
    async fn schedules(&self, app_id: &str) -> Result<Vec<ScheduleState>>;
    /// Claims up to `limit` schedules due at `now` (not paused, not waiting, not leased).
    async fn claim_due_schedules(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ScheduleState>>;
    /// Writes a run: its cases and the schedule's next time, in one transaction; a conflict
    /// when someone else ran it first (nothing is written then).
    async fn record_run(&self, run: &ScheduleRun) -> Result<Vec<Case>>;
    /// Leaves a claimed run waiting for a confirmation (it would open `cases` cases).
    async fn wait_for_confirmation(&self, app_id: &str, schedule_id: &str, cases: i64, at: DateTime<Utc>)
    -> Result<()>;
    /// Confirms a waiting run: it runs at the next claim. False when none was waiting.
    async fn confirm_schedule(&self, app_id: &str, schedule_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Pauses (`Some(by)`) or resumes (`None`) a schedule. False when there is no such schedule.
    async fn pause_schedule(
        &self,
        app_id: &str,
        schedule_id: &str,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool>;
}

#[async_trait]
impl ScheduleStore for SqlStore {
    async fn plan_schedule(&self, app_id: &str, schedule_id: &str, rule: &str, next_at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO schedules (app_id, schedule_id, rule, next_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (app_id, schedule_id) DO UPDATE SET next_at = excluded.next_at, rule = excluded.rule \
                     WHERE schedules.rule <> excluded.rule AND schedules.waiting_since IS NULL",
                )
                .bind(app_id)
                .bind(schedule_id)
                .bind(rule)
                .bind(next_at),
            )
            .await?;
        Ok(())
    }

    async fn drop_schedules_except(&self, app_id: &str, keep: &[String]) -> Result<()> {
        let mut sql = Sql::new("DELETE FROM schedules WHERE app_id = ?").bind(app_id);
        if !keep.is_empty() {
            sql = sql.push(" AND schedule_id NOT IN ?").bind_list(keep);
        }
        self.db.execute(sql).await?;
        Ok(())
    }

    async fn schedules(&self, app_id: &str) -> Result<Vec<ScheduleState>> {
        Ok(self
            .db
            .all(
                Sql::new(format!("SELECT {COLUMNS} FROM schedules WHERE app_id = ? ORDER BY schedule_id")).bind(app_id),
            )
            .await?)
    }

    async fn claim_due_schedules(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ScheduleState>> {
        let mut tx = self.db.begin().await?;
        let skip_locked = tx.dialect().skip_locked();
        let due: Vec<ScheduleState> = tx
            .all(
                Sql::new(format!(
                    "SELECT {COLUMNS} FROM schedules WHERE next_at <= ? AND paused_at IS NULL \
                     AND waiting_since IS NULL AND (lease_until IS NULL OR lease_until < ?) \
                     ORDER BY next_at LIMIT ?{skip_locked}"
                ))
                .bind(now)
                .bind(now)
                .bind(limit),
            )
            .await?;
        for s in &due {
            tx.execute(
                Sql::new("UPDATE schedules SET lease_until = ? WHERE app_id = ? AND schedule_id = ?")
                    .bind(lease_until)
                    .bind(&s.app_id)
                    .bind(&s.schedule_id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(due)
    }

    async fn record_run(&self, run: &ScheduleRun) -> Result<Vec<Case>> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .execute(
                Sql::new(
                    "UPDATE schedules SET next_at = ?, lease_until = NULL, waiting_since = NULL, waiting_cases = NULL, \
                     confirmed_at = NULL, confirmed_by = NULL, last_run_at = ?, last_cases = ?, last_error = ? \
                     WHERE app_id = ? AND schedule_id = ? AND next_at = ?",
                )
                .bind(run.next_at)
                .bind(run.at)
                .bind(run.cases.len() as i64)
                .bind(run.error.clone())
                .bind(&run.app_id)
                .bind(&run.schedule_id)
                .bind(run.claimed_next_at),
            )
            .await?;
        if n != 1 {
            return Err(Error::Conflict(format!("schedule {} of {} already ran", run.schedule_id, run.app_id)));
        }
        let cases = create_cases_in(&mut tx, &run.cases).await?;
        tx.commit().await?;
        Ok(cases)
    }

    async fn wait_for_confirmation(
        &self,
        app_id: &str,
        schedule_id: &str,
        cases: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "UPDATE schedules SET waiting_since = ?, waiting_cases = ?, lease_until = NULL \
                     WHERE app_id = ? AND schedule_id = ?",
                )
                .bind(at)
                .bind(cases)
                .bind(app_id)
                .bind(schedule_id),
            )
            .await?;
        Ok(())
    }

    async fn confirm_schedule(&self, app_id: &str, schedule_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self
            .db
            .execute(
                Sql::new(
                    "UPDATE schedules SET waiting_since = NULL, confirmed_at = ?, confirmed_by = ? \
                     WHERE app_id = ? AND schedule_id = ? AND waiting_since IS NOT NULL",
                )
                .bind(at)
                .bind(by)
                .bind(app_id)
                .bind(schedule_id),
            )
            .await?;
        Ok(n == 1)
    }

    async fn pause_schedule(
        &self,
        app_id: &str,
        schedule_id: &str,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self
            .db
            .execute(
                Sql::new("UPDATE schedules SET paused_at = ?, paused_by = ? WHERE app_id = ? AND schedule_id = ?")
                    .bind(by.map(|_| at))
                    .bind(by)
                    .bind(app_id)
                    .bind(schedule_id),
            )
            .await?;
        Ok(n == 1)
    }
}
