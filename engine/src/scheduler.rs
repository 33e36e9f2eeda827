//! The scheduler: claims due timers in batches and fires them a few cases per transaction;
//! then runs the apps' due schedules ([`crate::schedule`]).
//!
//! A tick costs in proportion to what is due: the claim reads the `due_at` index only
//! (`timers_due`, partial on pending timers). Firing is exactly once: the transition that
//! fires a timer marks it fired in the same transaction, conditional on it still pending. On
//! PostgreSQL several schedulers share the work (`FOR UPDATE SKIP LOCKED`); a claim is a lease,
//! so a scheduler that dies mid-batch leaves its timers to the next one.

use baida_core::kinds::CaseStatus;
use baida_core::kinds::Escalation;
use baida_core::kinds::EventKind;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use baida_blocks::BlockConfig;
use chrono::Duration;
use serde_json::json;

use super::Engine;
use super::flow::{Flow, Responsibilities};
use crate::auth::OrgTree;
use baida_store::{self as store, CaseChange, Timer};

/// How long a claimed timer is reserved for its claimer.
const LEASE_SECONDS: i64 = 60;
/// Cases fired per transaction: enough to pay one commit for many timers, few enough that the
/// write lock (SQLite has one writer) is soon free again for submissions and people's actions.
const CASES_PER_TRANSACTION: usize = 16;

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
            // How late timers fire (the scheduler's lag), for /metrics.
            for t in &due {
                metrics::histogram!("baida_timer_lag_seconds")
                    .record((now - t.due_at).num_milliseconds().max(0) as f64 / 1000.0);
            }
            fired += self.fire_batch(due).await?;
            if n < batch {
                return Ok(fired);
            }
        }
    }

    /// Fires a claimed batch: the due timers of one case in one transition (in due order),
    /// and the transitions of [`CASES_PER_TRANSACTION`] cases in one transaction (read just
    /// before it, and paced against submissions after it), each under
    /// its own savepoint so that a case someone else moved meanwhile is skipped alone (its
    /// timers are looked at again when their lease ends, or were cancelled by that move).
    async fn fire_batch(&self, due: Vec<Timer>) -> Result<usize, store::Error> {
        let mut by_case: Vec<(String, Vec<Timer>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for timer in due {
            let i = *index.entry(timer.case_id.clone()).or_insert_with(|| {
                by_case.push((timer.case_id.clone(), Vec::new()));
                by_case.len() - 1
            });
            by_case[i].1.push(timer);
        }
        let responsibilities = self.responsibilities().await?;
        let tree = self.org_tree().await?;
        let mut fired = 0;
        for cases in by_case.chunks(CASES_PER_TRANSACTION) {
            let started = std::time::Instant::now();
            let mut changes = Vec::with_capacity(cases.len());
            for (case_id, timers) in cases {
                match self.fire_case(case_id, timers, &responsibilities, &tree).await {
                    Ok(Some(change)) => changes.push(change),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(case = %case_id, error = %e, "timers not fired; retried after their lease")
                    }
                }
            }
            let outcomes = if changes.is_empty() { Vec::new() } else { self.store.apply_all(&changes).await? };
            for (change, outcome) in changes.iter().zip(outcomes) {
                match outcome {
                    Ok(()) => {
                        fired += change.fires.len();
                        metrics::counter!("baida_transitions_total", "by" => "timer").increment(1);
                    }
                    Err(why) => tracing::debug!(case = %change.case_id, %why, "timers not fired"),
                }
            }
            // Let waiting writers in between two transactions; while residents are submitting,
            // step back for longer (see `pacing`).
            self.intake.yield_after(started.elapsed()).await;
        }
        Ok(fired)
    }

    /// The transition that fires `timers` (all of one case, in due order): an escalation rung
    /// or a timer step each. A timer whose step the case has left is marked fired and does
    /// nothing; once a timer moves the case on, the rest wait (the move cancels them).
    async fn fire_case(
        &self,
        case_id: &str,
        timers: &[Timer],
        responsibilities: &Responsibilities,
        tree: &OrgTree,
    ) -> Result<Option<CaseChange>, store::Error> {
        let Some(case) = self.store.case(case_id).await? else { return Ok(None) };
        let loaded = self
            .apps
            .load(&case.app_id, Some(&case.app_version))
            .await
            .map_err(|e| store::Error::Conflict(e.to_string()))?;
        let Some(loaded) = loaded else { return Ok(None) };
        let plugins = self.plugins_for(&loaded.compiled).await;
        let mut flow =
            Flow::resume(&loaded.compiled, &self.calendar, &case, self.clock.now(), "system", responsibilities);
        flow.plugins = Some(&plugins);
        flow.org = Some(tree);
        for timer in timers {
            if flow.status != case.status || flow.current_step != case.current_step {
                break;
            }
            flow.fires.push(timer.id.clone());
            if case.status != CaseStatus::Open || case.current_step.as_deref() != Some(timer.step.as_str()) {
                continue;
            }
            match timer.kind.as_str() {
                "step" => {
                    flow.emit(EventKind::TimerFired, json!({"step": timer.step}));
                    let moved = if matches!(
                        loaded.compiled.app.step(&timer.step).map(|s| &s.block),
                        Some(BlockConfig::Vote(_))
                    ) {
                        let events = self.store.events(case_id).await?;
                        flow.close_vote(&timer.step, &events)
                    } else {
                        flow.advance_from(&timer.step)
                    };
                    moved.map_err(|e| store::Error::Conflict(e.to_string()))?;
                }
                kind => {
                    let holder = case.assignee.clone().unwrap_or_else(|| case.community_id.clone());
                    escalate(&mut flow, timer, kind.trim_start_matches("sla:"), holder, tree);
                }
            }
        }
        Ok(Some(flow.into_change(case.event_count)))
    }
}

/// One rung of an SLA clock's ladder: an event, a mark on the case, and a message to the
/// holder (and, to supervise, to the holder's parent unit).
fn escalate(flow: &mut Flow<'_>, timer: &Timer, rung: &str, holder: String, tree: &OrgTree) {
    // The ladder's rungs are checked at publish (remind, urge, supervise); the due time is the
    // overdue rung, and marks only a case no rung has marked yet.
    let level = if rung == "due" { Escalation::Overdue } else { rung.parse().unwrap_or(Escalation::Overdue) };
    let mut to = vec![holder.clone()];
    if level == Escalation::Supervise
        && let Some(parent) = tree.get(&holder).and_then(|u| u.parent_id.clone())
    {
        to.push(parent);
    }
    let mark = if rung == "due" { flow.escalation.is_none().then_some(level) } else { Some(level) };
    if let Some(mark) = mark {
        flow.escalation = Some(mark);
    }
    let event = EventKind::escalated(level);
    for recipient in &to {
        flow.queue("inbox", recipient, event.as_str(), json!({"step": timer.step, "due_at": timer.due_at}));
    }
    flow.emit(event, json!({"step": timer.step, "to": to, "due_at": timer.due_at}));
}

/// Runs the scheduler every `every` until the engine is dropped.
pub fn spawn(
    engine: Arc<Engine>,
    every: StdDuration,
    mut stopping: crate::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.stopped() => return,
            }
            if let Err(e) = engine.fire_due_timers(500).await {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
            if let Err(e) = engine.run_due_schedules(20).await {
                tracing::warn!(error = %e, "running the app schedules failed");
            }
        }
    })
}
