//! The scheduler: claims due timers in batches and fires each in its own transaction.
//!
//! A tick costs in proportion to what is due: the claim reads the `due_at` index only
//! (`timers_due`, partial on pending timers). Firing is exactly once: the transition that
//! fires a timer marks it fired in the same transaction, conditional on it still pending. On
//! PostgreSQL several schedulers share the work (`FOR UPDATE SKIP LOCKED`); a claim is a lease,
//! so a scheduler that dies mid-batch leaves its timers to the next one.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::json;

use super::flow::Flow;
use super::submit::Engine;
use crate::store::{self, Timer};

/// How long a claimed timer is reserved for its claimer.
const LEASE_SECONDS: i64 = 60;

impl Engine {
    /// Fires every timer due now, `batch` at a time. Returns how many fired.
    pub async fn fire_due_timers(&self, batch: i64) -> Result<usize, store::Error> {
        let mut fired = 0;
        loop {
            let now = self.clock.now();
            let due = self.store.claim_due_timers(now, now + Duration::seconds(LEASE_SECONDS), batch).await?;
            if due.is_empty() {
                return Ok(fired);
            }
            let n = due.len() as i64;
            for timer in due {
                match self.fire(&timer).await {
                    Ok(()) => fired += 1,
                    // Someone else moved the case or fired the timer: the lease ends and the
                    // timer is looked at again, or it is already done.
                    Err(store::Error::Conflict(why)) => tracing::debug!(timer = %timer.id, %why, "timer not fired"),
                    Err(e) => tracing::warn!(timer = %timer.id, error = %e, "timer failed; retried after its lease"),
                }
            }
            if n < batch {
                return Ok(fired);
            }
        }
    }

    /// Fires one timer: an escalation rung or a timer step.
    async fn fire(&self, timer: &Timer) -> Result<(), store::Error> {
        let Some(case) = self.store.case(&timer.case_id).await? else { return Ok(()) };
        let loaded = self
            .apps
            .load(&case.app_id, Some(&case.app_version))
            .await
            .map_err(|e| store::Error::Conflict(e.to_string()))?;
        let Some(loaded) = loaded else { return Ok(()) };
        let responsibilities = self.responsibilities().await?;
        let plugins = self.plugins_for(&loaded.compiled).await;
        let mut flow =
            Flow::resume(&loaded.compiled, &self.calendar, &case, self.clock.now(), "system", &responsibilities);
        flow.plugins = Some(&plugins);
        flow.fires = Some(timer.id.clone());
        let current = case.status == "open" && case.current_step.as_deref() == Some(timer.step.as_str());
        if current {
            match timer.kind.as_str() {
                "step" => {
                    flow.emit("timer.fired", json!({"step": timer.step}));
                    flow.advance_from(&timer.step).map_err(|e| store::Error::Conflict(e.to_string()))?;
                }
                kind => {
                    let rung = kind.trim_start_matches("sla:");
                    let holder = case.assignee.clone().unwrap_or_else(|| case.community_id.clone());
                    let mut to = vec![holder.clone()];
                    if rung == "supervise" {
                        // Supervision goes to the next level up.
                        if let Some(parent) = self.org_tree().await?.get(&holder).and_then(|u| u.parent_id.clone()) {
                            to.push(parent);
                        }
                    }
                    let event = if rung == "due" { "sla.overdue".to_string() } else { format!("sla.{rung}") };
                    if rung != "due" || flow.escalation.is_none() {
                        flow.escalation = Some(if rung == "due" { "overdue".into() } else { rung.to_string() });
                    }
                    for recipient in &to {
                        flow.queue("inbox", recipient, &event, json!({"step": timer.step, "due_at": timer.due_at}));
                    }
                    flow.emit(&event, json!({"step": timer.step, "to": to, "due_at": timer.due_at}));
                }
            }
        }
        let change = flow.into_change(case.event_count);
        self.store.apply(&change).await
    }
}

/// Runs the scheduler every `every` until the engine is dropped.
pub fn spawn(engine: Arc<Engine>, every: StdDuration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = engine.fire_due_timers(500).await {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
        }
    })
}
