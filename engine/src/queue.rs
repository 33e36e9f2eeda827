//! What waits for staff, as the workbench, the case page and the API share it: a case's
//! standing at its step (the review level it is at, its due time, whether it is late) and
//! "my queue" — the open cases an actor may complete now, in trays, late ones first. Pages
//! only put these into words.

use baida_blocks::BlockConfig;
use baida_core::kinds::{CaseStatus, EventKind};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::Engine;
use crate::apps::{self, Loaded};
use crate::auth::steps::{Act, may_act};
use crate::auth::{Actor, OrgTree};
use baida_store::{Case, CaseFilter, CaseScope, Event};

/// The queue looks at this many open cases at most, as the store lists them: the newest
/// first. (So past this many, the oldest open cases in scope are not shown — a known limit,
/// kept from before; the fix is an oldest-first listing in the store.)
pub const QUEUE_CASES: i64 = 200;

/// The tray a waiting case is in, by what its step asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tray {
    /// To sign for (accept) a dispatched case.
    Sign,
    /// To handle.
    Handle,
    /// To review.
    Review,
    /// Any other human step (a form, a claim, a vote).
    Other,
}

impl Tray {
    fn of(block: &BlockConfig) -> Tray {
        match block {
            BlockConfig::Sign(_) => Tray::Sign,
            BlockConfig::Handle(_) => Tray::Handle,
            BlockConfig::Review(_) => Tray::Review,
            _ => Tray::Other,
        }
    }
}

/// A case's standing at its current step.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// The review level the step is at: approvals since the case last entered it (0 outside
    /// a multi-level review).
    pub level: usize,
    /// When the step's SLA clock is due, if it has one pending.
    pub due: Option<DateTime<Utc>>,
    /// Past due, or marked by a late rung of its ladder (urge, overdue, supervise).
    pub late: bool,
    /// Since when the case has waited at this step.
    pub entered: DateTime<Utc>,
}

/// An open case waiting for the actor.
pub struct Waiting {
    pub case: Case,
    pub app: Loaded,
    pub tray: Tray,
    pub standing: Standing,
}

/// The review level a case is at in `step`: the approvals recorded since it last entered the
/// step (`history` oldest first).
pub fn review_level<'e>(history: impl DoubleEndedIterator<Item = &'e Event>, step: &str) -> usize {
    let mut approvals = 0;
    for e in history.rev() {
        match e.kind {
            EventKind::StepEntered if e.data.get("step").and_then(Value::as_str) == Some(step) => return approvals,
            EventKind::ReviewLevelApproved => approvals += 1,
            _ => {}
        }
    }
    0
}

/// Late: the due time has passed, or a late rung has marked the case.
pub fn is_late(case: &Case, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    case.escalation.is_some_and(|e| e.is_late()) || due.is_some_and(|d| d <= now)
}

impl Engine {
    /// When the current step's SLA clock is due, if it has one pending.
    pub async fn due_at(&self, case: &Case) -> Result<Option<DateTime<Utc>>, baida_store::Error> {
        let Some(step) = case.current_step.as_deref() else { return Ok(None) };
        Ok(self
            .store
            .pending_timers(&case.id)
            .await?
            .into_iter()
            .filter(|t| t.step == step && t.kind == "sla:due")
            .map(|t| t.due_at)
            .min())
    }

    /// A case's standing at its current step; `events` is its log when the caller has it
    /// (read here only at a review step, where the level needs it).
    pub async fn standing(
        &self,
        case: &Case,
        app: &Loaded,
        events: Option<&[Event]>,
    ) -> Result<Standing, baida_store::Error> {
        let step = case.current_step.as_deref().unwrap_or_default();
        let level = match app.compiled.app.step(step).map(|s| &s.block) {
            Some(BlockConfig::Review(_)) => match events {
                Some(events) => review_level(events.iter(), step),
                None => review_level(self.store.events(&case.id).await?.iter(), step),
            },
            _ => 0,
        };
        let due = self.due_at(case).await?;
        Ok(Standing {
            level,
            due,
            late: is_late(case, due, self.clock.now()),
            entered: case.step_entered_at.unwrap_or(case.created_at),
        })
    }

    /// My queue: the open cases in `scope` (what the actor may read) that `actor` may complete
    /// now, by tray (sign, handle, review, other), late ones first, then the longest waiting.
    pub async fn queue(
        &self,
        actor: &Actor,
        scope: Option<CaseScope>,
        tree: &OrgTree,
    ) -> Result<Vec<Waiting>, apps::Error> {
        let filter = CaseFilter { status: Some(CaseStatus::Open), scope, limit: QUEUE_CASES, ..Default::default() };
        let mut out = Vec::new();
        for case in self.store.cases(&filter).await? {
            let Some(app) = self.apps.load(&case.app_id, Some(&case.app_version)).await? else { continue };
            let Some(step) = case.current_step.as_deref().and_then(|s| app.compiled.app.step(s)) else { continue };
            let tray = Tray::of(&step.block);
            let standing = self.standing(&case, &app, None).await?;
            if may_act(actor, &app.compiled, &case, Act::Complete { level: standing.level }, tree).is_err() {
                continue;
            }
            out.push(Waiting { case, app, tray, standing });
        }
        out.sort_by(|a, b| {
            a.tray
                .cmp(&b.tray)
                .then(b.standing.late.cmp(&a.standing.late))
                .then(a.standing.entered.cmp(&b.standing.entered))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::next;

    #[test]
    fn the_review_level_counts_approvals_since_the_step_was_last_entered() {
        let at = Utc::now();
        let entered = |prev: Option<&Event>| {
            next(prev, "c", EventKind::StepEntered, "system", at, serde_json::json!({"step": "review"}))
        };
        let approved = |prev: &Event| {
            next(Some(prev), "c", EventKind::ReviewLevelApproved, "u", at, serde_json::json!({"step": "review"}))
        };
        let a = entered(None);
        let b = approved(&a);
        let c = approved(&b);
        assert_eq!(review_level([&a, &b, &c].into_iter(), "review"), 2);
        // Returned and entered again: the count starts over.
        let d = entered(Some(&c));
        let e = approved(&d);
        assert_eq!(review_level([&a, &b, &c, &d, &e].into_iter(), "review"), 1);
        assert_eq!(review_level([&a, &b].into_iter(), "another-step"), 0);
    }
}
