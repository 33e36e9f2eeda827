//! [`WorkflowStore`] on PostgreSQL. Timers and outbox messages are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several schedulers share the work and never take the same row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Transaction};

use super::postgres::PgStore;
use super::workflow::OUTBOX_COLUMNS;
use super::workflow::rows::{DeliveryRow, InboxRow, OutboxRow, TimerRow};
use super::{CaseChange, Delivery, Error, Event, InboxItem, OutboxItem, Result, Timer, WorkflowStore};

/// Rows per multi-row INSERT (well under both backends' limit on bound parameters).
const ROWS_PER_INSERT: usize = 500;

/// Inserts events with one statement per [`ROWS_PER_INSERT`] rows.
pub(super) async fn insert_events(tx: &mut Transaction<'_, Postgres>, events: &[Event]) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new("INSERT INTO case_events (case_id, seq, kind, actor, at, data, prev_hash, hash) ");
        q.push_values(chunk, |mut row, e| {
            row.push_bind(&e.case_id)
                .push_bind(e.seq)
                .push_bind(e.kind.as_str())
                .push_bind(&e.actor)
                .push_bind(e.at)
                .push_bind(Json(&e.data))
                .push_bind(&e.prev_hash)
                .push_bind(&e.hash);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts timers with one statement per [`ROWS_PER_INSERT`] rows.
pub(super) async fn insert_timers(tx: &mut Transaction<'_, Postgres>, timers: &[Timer]) -> Result<()> {
    for chunk in timers.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new("INSERT INTO timers (id, case_id, step, kind, due_at) ");
        q.push_values(chunk, |mut row, t| {
            row.push_bind(&t.id).push_bind(&t.case_id).push_bind(&t.step).push_bind(&t.kind).push_bind(t.due_at);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

pub(super) async fn insert_outbox(tx: &mut Transaction<'_, Postgres>, items: &[OutboxItem]) -> Result<()> {
    for chunk in items.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO outbox (id, case_id, channel, recipient, template, data, state, attempts, next_attempt_at, created_at) ",
        );
        q.push_values(chunk, |mut row, o| {
            row.push_bind(&o.id)
                .push_bind(&o.case_id)
                .push_bind(&o.channel)
                .push_bind(&o.recipient)
                .push_bind(&o.template)
                .push_bind(Json(&o.data))
                .push_bind("pending")
                .push_bind(0i64)
                .push_bind(o.next_attempt_at)
                .push_bind(o.created_at);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes one transition inside `tx`.
async fn apply_in(tx: &mut Transaction<'_, Postgres>, c: &CaseChange) -> Result<()> {
    let head = c.events.last().map(|e| e.hash.clone());
    let count = c.expected_event_count + c.events.len() as i64;
    let updated = sqlx::query(
        "UPDATE cases SET status = $1, current_step = $2, assignee = $3, record = $4, escalation = $5, step_entered_at = $6, \
         closed_at = $7, updated_at = $8, event_count = $9, head_hash = COALESCE($10, head_hash) \
         WHERE id = $11 AND event_count = $12",
    )
    .bind(c.status.as_str())
    .bind(&c.current_step)
    .bind(&c.assignee)
    .bind(Json(&c.record))
    .bind(c.escalation.map(|e| e.as_str()))
    .bind(c.step_entered_at)
    .bind(c.closed_at)
    .bind(c.at)
    .bind(count)
    .bind(&head)
    .bind(&c.case_id)
    .bind(c.expected_event_count)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(Error::Conflict(format!("case {} was changed by someone else; reload and try again", c.case_id)));
    }
    if !c.fires.is_empty() {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new("UPDATE timers SET fired_at = ");
        q.push_bind(c.at).push(" WHERE fired_at IS NULL AND cancelled_at IS NULL AND id IN (");
        let mut ids = q.separated(", ");
        for id in &c.fires {
            ids.push_bind(id);
        }
        q.push(")");
        let fired = q.build().execute(&mut **tx).await?;
        if fired.rows_affected() != c.fires.len() as u64 {
            return Err(Error::Conflict(format!("a timer of case {} already fired or was cancelled", c.case_id)));
        }
    }
    if c.cancel_timers {
        sqlx::query(
            "UPDATE timers SET cancelled_at = $1 WHERE case_id = $2 AND fired_at IS NULL AND cancelled_at IS NULL",
        )
        .bind(c.at)
        .bind(&c.case_id)
        .execute(&mut **tx)
        .await?;
    }
    insert_events(tx, &c.events).await?;
    insert_timers(tx, &c.timers).await?;
    insert_outbox(tx, &c.outbox).await?;
    for entry in &c.ledger {
        super::postgres::append_entry(tx, entry).await?;
    }
    super::postgres::insert_photo_uses(tx, &c.photo_uses, c.at).await?;
    Ok(())
}

#[async_trait]
impl WorkflowStore for PgStore {
    async fn apply(&self, c: &CaseChange) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        apply_in(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply_all(&self, changes: &[CaseChange]) -> Result<Vec<Result<()>>> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(changes.len());
        for c in changes {
            // A savepoint per change: one that conflicts is undone alone.
            let mut one = sqlx::Acquire::begin(&mut *tx).await?;
            match apply_in(&mut one, c).await {
                Ok(()) => {
                    one.commit().await?;
                    outcomes.push(Ok(()));
                }
                Err(Error::Conflict(why)) => {
                    one.rollback().await?;
                    outcomes.push(Err(Error::Conflict(why)));
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn pending_timers(&self, case_id: &str) -> Result<Vec<Timer>> {
        let rows: Vec<TimerRow> = sqlx::query_as(
            "SELECT id, case_id, step, kind, due_at FROM timers WHERE case_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn claim_due_timers(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Timer>> {
        let rows: Vec<TimerRow> = sqlx::query_as(
            "UPDATE timers SET claimed_until = $1 WHERE id IN ( \
               SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2 \
               AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, case_id, step, kind, due_at",
        )
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut timers: Vec<Timer> = rows.into_iter().map(Into::into).collect();
        timers.sort_by_key(|t| t.due_at);
        Ok(timers)
    }

    async fn claim_due_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
            "UPDATE outbox SET claimed_until = $1 WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $2 \
               AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn record_attempt(&self, d: &Delivery, next: Option<DateTime<Utc>>, inbox: Option<&InboxItem>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO deliveries (outbox_id, attempt, at, ok, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(&d.outbox_id)
            .bind(d.attempt)
            .bind(d.at)
            .bind(d.ok)
            .bind(&d.detail)
            .execute(&mut *tx)
            .await?;
        let (state, delivered_at) = match (d.ok, next) {
            (true, _) => ("delivered", Some(d.at)),
            (false, Some(_)) => ("pending", None),
            (false, None) => ("failed", None),
        };
        sqlx::query(
            "UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = NULL, \
             last_error = $4, delivered_at = $5 WHERE id = $6",
        )
        .bind(state)
        .bind(d.attempt)
        .bind(next)
        .bind((!d.ok).then_some(&d.detail))
        .bind(delivered_at)
        .bind(&d.outbox_id)
        .execute(&mut *tx)
        .await?;
        if let (true, Some(i)) = (d.ok, inbox) {
            sqlx::query(
                "INSERT INTO inbox (id, recipient, case_id, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&i.id)
            .bind(&i.recipient)
            .bind(&i.case_id)
            .bind(&i.subject)
            .bind(&i.body)
            .bind(i.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_of_case(&self, case_id: &str) -> Result<Vec<(OutboxItem, Vec<Delivery>)>> {
        let items: Vec<OutboxRow> =
            sqlx::query_as(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = $1 ORDER BY created_at, id"))
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?;
        let deliveries: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT d.outbox_id, d.attempt, d.at, d.ok, d.detail FROM deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE o.case_id = $1 ORDER BY d.attempt",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        let deliveries: Vec<Delivery> = deliveries.into_iter().map(Into::into).collect();
        Ok(items
            .into_iter()
            .map(|o| {
                let mine = deliveries.iter().filter(|d| d.outbox_id == o.id).cloned().collect();
                (o.into(), mine)
            })
            .collect())
    }

    async fn sent_to_since(&self, channel: &str, recipient: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE channel = $1 AND recipient = $2 AND delivered_at >= $3",
        )
        .bind(channel)
        .bind(recipient)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn inbox(&self, recipient: &str, limit: i64) -> Result<Vec<InboxItem>> {
        let rows: Vec<InboxRow> = sqlx::query_as(
            "SELECT id, recipient, case_id, subject, body, created_at FROM inbox WHERE recipient = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(recipient)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn responsibilities(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT category, department FROM responsibilities ORDER BY category")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn put_responsibility(&self, category: &str, department: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO responsibilities (category, department, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (category) DO UPDATE SET department = excluded.department, updated_at = excluded.updated_at",
        )
        .bind(category)
        .bind(department)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
