//! [`WorkflowStore`] for both backends, over [`super::db`]; and the in-transaction inserts of
//! events, timers and outbox messages that case creation shares. Timers and outbox messages
//! are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several schedulers share the
//! work and never take the same row; SQLite has one writer, so one claims at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::db::Tx;
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::workflow::OUTBOX_COLUMNS;
use super::workflow::rows::{DeliveryRow, InboxRow, OutboxRow, TimerRow};
use super::{
    CaseChange, Delivery, Error, Event, InboxItem, OutboxItem, Result, Timer, WorkflowStore, ledger_sql, photo_uses,
    registers,
};

/// Rows per multi-row INSERT (well under both backends' limit on bound parameters).
const ROWS_PER_INSERT: usize = 500;

/// `(?, ?, …)` for the `i`-th row of a multi-row `VALUES`, with the comma before it.
fn values_row(i: usize, placeholders: &str) -> String {
    if i == 0 { placeholders.to_string() } else { format!(", {placeholders}") }
}

/// Inserts events with one statement per [`ROWS_PER_INSERT`] rows.
pub(super) async fn insert_events(tx: &mut Tx<'_>, events: &[Event]) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut q = Sql::new("INSERT INTO case_events (case_id, seq, kind, actor, at, data, prev_hash, hash) VALUES ");
        for (i, e) in chunk.iter().enumerate() {
            q = q
                .push(&values_row(i, "(?, ?, ?, ?, ?, ?, ?, ?)"))
                .bind(&e.case_id)
                .bind(e.seq)
                .bind(e.kind.as_str())
                .bind(&e.actor)
                .bind(e.at)
                .bind(Json(&e.data))
                .bind(&e.prev_hash)
                .bind(&e.hash);
        }
        tx.execute(q).await?;
    }
    Ok(())
}

/// Inserts timers with one statement per [`ROWS_PER_INSERT`] rows.
pub(super) async fn insert_timers(tx: &mut Tx<'_>, timers: &[Timer]) -> Result<()> {
    for chunk in timers.chunks(ROWS_PER_INSERT) {
        let mut q = Sql::new("INSERT INTO timers (id, case_id, step, kind, due_at) VALUES ");
        for (i, t) in chunk.iter().enumerate() {
            q = q
                .push(&values_row(i, "(?, ?, ?, ?, ?)"))
                .bind(&t.id)
                .bind(&t.case_id)
                .bind(&t.step)
                .bind(&t.kind)
                .bind(t.due_at);
        }
        tx.execute(q).await?;
    }
    Ok(())
}

/// Inserts outbox messages, pending, with one statement per [`ROWS_PER_INSERT`] rows.
pub(super) async fn insert_outbox(tx: &mut Tx<'_>, items: &[OutboxItem]) -> Result<()> {
    for chunk in items.chunks(ROWS_PER_INSERT) {
        let mut q = Sql::new(
            "INSERT INTO outbox (id, case_id, channel, recipient, template, data, state, attempts, next_attempt_at, \
             created_at) VALUES ",
        );
        for (i, o) in chunk.iter().enumerate() {
            q = q
                .push(&values_row(i, "(?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"))
                .bind(&o.id)
                .bind(&o.case_id)
                .bind(&o.channel)
                .bind(&o.recipient)
                .bind(&o.template)
                .bind(Json(&o.data))
                .bind(o.next_attempt_at)
                .bind(o.created_at);
        }
        tx.execute(q).await?;
    }
    Ok(())
}

/// Writes one transition inside `tx`.
async fn apply_in(tx: &mut Tx<'_>, c: &CaseChange) -> Result<()> {
    let head = c.events.last().map(|e| e.hash.clone());
    let count = c.expected_event_count + c.events.len() as i64;
    let updated = tx
        .execute(
            Sql::new(
                "UPDATE cases SET status = ?, current_step = ?, assignee = ?, record = ?, escalation = ?, \
                 step_entered_at = ?, closed_at = ?, updated_at = ?, event_count = ?, head_hash = COALESCE(?, head_hash) \
                 WHERE id = ? AND event_count = ?",
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
            .bind(head)
            .bind(&c.case_id)
            .bind(c.expected_event_count),
        )
        .await?;
    if updated != 1 {
        return Err(Error::Conflict(format!("case {} was changed by someone else; reload and try again", c.case_id)));
    }
    if !c.fires.is_empty() {
        let fired = tx
            .execute(
                Sql::new("UPDATE timers SET fired_at = ? WHERE fired_at IS NULL AND cancelled_at IS NULL AND id IN ?")
                    .bind(c.at)
                    .bind_list(&c.fires),
            )
            .await?;
        if fired != c.fires.len() as u64 {
            return Err(Error::Conflict(format!("a timer of case {} already fired or was cancelled", c.case_id)));
        }
    }
    if c.cancel_timers {
        tx.execute(
            Sql::new(
                "UPDATE timers SET cancelled_at = ? WHERE case_id = ? AND fired_at IS NULL AND cancelled_at IS NULL",
            )
            .bind(c.at)
            .bind(&c.case_id),
        )
        .await?;
    }
    insert_events(tx, &c.events).await?;
    insert_timers(tx, &c.timers).await?;
    insert_outbox(tx, &c.outbox).await?;
    for entry in &c.ledger {
        ledger_sql::append_entry(tx, entry).await?;
    }
    photo_uses::insert_photo_uses(tx, &c.photo_uses, c.at).await?;
    for (index, w) in c.rows.iter().enumerate() {
        registers::write_row(tx, w).await.map_err(|e| match e {
            Error::Row { refusal, .. } => Error::Row { index, refusal },
            other => other,
        })?;
    }
    Ok(())
}

#[async_trait]
impl WorkflowStore for SqlStore {
    async fn apply(&self, c: &CaseChange) -> Result<()> {
        let mut tx = self.db.begin().await?;
        apply_in(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply_all(&self, changes: &[CaseChange]) -> Result<Vec<Result<()>>> {
        let mut tx = self.db.begin().await?;
        let mut outcomes = Vec::with_capacity(changes.len());
        for c in changes {
            // A savepoint per change: one that conflicts is undone alone.
            let mut one = tx.savepoint().await?;
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
        let rows: Vec<TimerRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT id, case_id, step, kind, due_at FROM timers \
                     WHERE case_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at",
                )
                .bind(case_id),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn claim_due_timers(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Timer>> {
        let skip_locked = self.db.dialect().skip_locked();
        let rows: Vec<TimerRow> = self
            .db
            .all(
                Sql::new(format!(
                    "UPDATE timers SET claimed_until = ? WHERE id IN ( \
                       SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? \
                       AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY due_at LIMIT ?{skip_locked}) \
                     RETURNING id, case_id, step, kind, due_at"
                ))
                .bind(lease_until)
                .bind(now)
                .bind(now)
                .bind(limit),
            )
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
        let skip_locked = self.db.dialect().skip_locked();
        let rows: Vec<OutboxRow> = self
            .db
            .all(
                Sql::new(format!(
                    "UPDATE outbox SET claimed_until = ? WHERE id IN ( \
                       SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? \
                       AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_attempt_at LIMIT ?{skip_locked}) \
                     RETURNING {OUTBOX_COLUMNS}"
                ))
                .bind(lease_until)
                .bind(now)
                .bind(now)
                .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn record_attempt(&self, d: &Delivery, next: Option<DateTime<Utc>>, inbox: Option<&InboxItem>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            Sql::new("INSERT INTO deliveries (outbox_id, attempt, at, ok, detail) VALUES (?, ?, ?, ?, ?)")
                .bind(&d.outbox_id)
                .bind(d.attempt)
                .bind(d.at)
                .bind(d.ok)
                .bind(&d.detail),
        )
        .await?;
        let (state, delivered_at) = match (d.ok, next) {
            (true, _) => ("delivered", Some(d.at)),
            (false, Some(_)) => ("pending", None),
            (false, None) => ("failed", None),
        };
        tx.execute(
            Sql::new(
                "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), \
                 claimed_until = NULL, last_error = ?, delivered_at = ? WHERE id = ?",
            )
            .bind(state)
            .bind(d.attempt)
            .bind(next)
            .bind((!d.ok).then_some(&d.detail))
            .bind(delivered_at)
            .bind(&d.outbox_id),
        )
        .await?;
        if let (true, Some(i)) = (d.ok, inbox) {
            tx.execute(
                Sql::new(
                    "INSERT INTO inbox (id, recipient, case_id, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(&i.id)
                .bind(&i.recipient)
                .bind(&i.case_id)
                .bind(&i.subject)
                .bind(&i.body)
                .bind(i.created_at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_of_case(&self, case_id: &str) -> Result<Vec<(OutboxItem, Vec<Delivery>)>> {
        let items: Vec<OutboxRow> = self
            .db
            .all(
                Sql::new(format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = ? ORDER BY created_at, id"))
                    .bind(case_id),
            )
            .await?;
        let deliveries: Vec<DeliveryRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT d.outbox_id, d.attempt, d.at, d.ok, d.detail FROM deliveries d \
                     JOIN outbox o ON o.id = d.outbox_id WHERE o.case_id = ? ORDER BY d.attempt",
                )
                .bind(case_id),
            )
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
        let (n,): (i64,) = self
            .db
            .one(
                Sql::new("SELECT COUNT(*) FROM outbox WHERE channel = ? AND recipient = ? AND delivered_at >= ?")
                    .bind(channel)
                    .bind(recipient)
                    .bind(since),
            )
            .await?;
        Ok(n)
    }

    async fn inbox(&self, recipient: &str, limit: i64) -> Result<Vec<InboxItem>> {
        let rows: Vec<InboxRow> = self
            .db
            .all(
                Sql::new(
                    "SELECT id, recipient, case_id, subject, body, created_at FROM inbox WHERE recipient = ? \
                     ORDER BY created_at DESC, id LIMIT ?",
                )
                .bind(recipient)
                .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn responsibilities(&self) -> Result<Vec<(String, String)>> {
        Ok(self.db.all(Sql::new("SELECT category, department FROM responsibilities ORDER BY category")).await?)
    }

    async fn put_responsibility(&self, category: &str, department: &str, at: DateTime<Utc>) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO responsibilities (category, department, updated_at) VALUES (?, ?, ?) \
                     ON CONFLICT (category) DO UPDATE SET department = excluded.department, \
                     updated_at = excluded.updated_at",
                )
                .bind(category)
                .bind(department)
                .bind(at),
            )
            .await?;
        Ok(())
    }
}
