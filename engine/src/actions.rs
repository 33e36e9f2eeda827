//! What people do to a case: complete the current step (sign, handle, review, claim, a later
//! form), return it (退回) with a reason, re-dispatch it, suspend and resume it, close and
//! reopen it, run a failed plugin step again. Each is one transition: computed by a [`Flow`], written in one transaction,
//! conditional on nobody else having moved the case meanwhile.

use baida_blocks::{BlockConfig, CompiledField, Problem, Text};
use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Engine;
use super::flow::{Flow, FlowError};
use crate::auth::Actor;
use crate::auth::steps::{self, Act};
use baida_store::{self as store, Case};

/// An action on a case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Complete the current human step with the answers its fields ask for.
    Complete {
        #[serde(default)]
        #[schema(value_type = Object)]
        answers: Value,
    },
    /// Send the case back to the previous human step (退回).
    Return { reason: String },
    /// Send the case to another unit (改派); it must be signed again.
    Redispatch { to: String, reason: Option<String> },
    /// Pause the case and its clocks.
    Suspend { reason: String },
    /// Continue a suspended case; its clocks resume with the time they had left.
    Resume,
    /// Close the case now.
    Close { reason: String },
    /// Reopen a closed case at the step where it closed.
    Reopen { reason: String },
    /// Cast a ballot in the vote open at the current step (one per voter).
    Vote { choice: super::vote::Choice },
    /// Run the current automatic step again, e.g. a plugin step whose call failed
    /// (`plugin.failed`).
    Retry,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no such case")]
    UnknownCase,
    #[error("{}", .0.en())]
    NotAllowed(Text),
    /// The actor may not do this to this case.
    #[error("{}", .0.en())]
    Forbidden(Text),
    #[error("the answers have {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error(transparent)]
    App(#[from] crate::apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// How many times an action is computed when concurrent changes keep the case where it was.
const ATTEMPTS: u32 = 3;

fn not_allowed(zh: impl Into<String>, en: impl Into<String>) -> ActionError {
    ActionError::NotAllowed(Text::new(zh, en))
}

impl Engine {
    /// Applies `action` to case `case_id` on behalf of `actor`.
    ///
    /// Permission is checked here, against the case as it is: who may complete or return the
    /// current step, and who may administer the case ([`steps::may_act`]). A case the actor
    /// may not even read is [`ActionError::UnknownCase`].
    ///
    /// When the write meets a concurrent change that left the case at the same step and
    /// status (the scheduler marking an escalation, say), the action is computed again on the
    /// fresh case, up to [`ATTEMPTS`] times; if the case moved on, the conflict is reported.
    ///
    /// `uploader` is the actor's upload identity (`http::upload_key`): a photo in the answers
    /// must be this case's already, public, or uploaded under it (`None`: not checked — the
    /// server's own actions and those that carry no answers).
    pub async fn act(
        &self,
        case_id: &str,
        action: Action,
        who: &Actor,
        uploader: Option<&str>,
    ) -> Result<Case, ActionError> {
        let mut seen = None;
        let mut attempt = 1;
        loop {
            match self.act_once(case_id, action.clone(), who, uploader, &mut seen).await {
                Err(ActionError::Store(store::Error::Conflict(_))) if attempt < ATTEMPTS => attempt += 1,
                outcome => return outcome,
            }
        }
    }

    async fn act_once(
        &self,
        case_id: &str,
        action: Action,
        who: &Actor,
        uploader: Option<&str>,
        seen: &mut Option<(CaseStatus, Option<String>)>,
    ) -> Result<Case, ActionError> {
        let case = self.store.case(case_id).await?.ok_or(ActionError::UnknownCase)?;
        let here = (case.status, case.current_step.clone());
        match seen {
            Some(before) if *before != here => {
                return Err(
                    store::Error::Conflict(format!("case {case_id} moved on meanwhile; reload and try again")).into()
                );
            }
            _ => *seen = Some(here),
        }
        let tree = self.org_tree().await?;
        // A voter need not be able to read the case: the vote step's `who` decides.
        let voting = matches!(action, Action::Vote { .. });
        if !voting && !matches!(who, Actor::Reporter) && !who.can_read_case(&case, &tree) {
            return Err(ActionError::UnknownCase);
        }
        let loaded = self.apps.load(&case.app_id, Some(&case.app_version)).await?.ok_or(ActionError::UnknownCase)?;
        let app = &loaded.compiled;
        let events = self.store.events(case_id).await?;
        let step_now = case.current_step.clone().unwrap_or_default();
        let act = match &action {
            Action::Complete { .. } => Act::Complete { level: crate::queue::review_level(events.iter(), &step_now) },
            Action::Return { .. } => Act::Return,
            Action::Vote { .. } => Act::Vote,
            _ => Act::Administer,
        };
        if let Err(why) = steps::may_act(who, app, &case, act, &tree) {
            // Someone with no vote learns nothing of a case they cannot read (spending
            // proposals are public: they learn why).
            let hidden = !who.can_read_case(&case, &tree) && !app.books_expenses();
            return Err(if voting && hidden { ActionError::UnknownCase } else { ActionError::Forbidden(why) });
        }
        let actor_label = who.label();
        let actor = actor_label.as_str();
        let responsibilities = self.responsibilities().await?;
        let now = self.clock.now();
        let plugins = self.plugins_for(app).await;
        let mut flow = Flow::resume(app, &self.calendar, &case, now, actor, &responsibilities);
        flow.plugins = Some(&plugins);
        flow.org = Some(&tree);
        let step_id = case.current_step.clone().unwrap_or_default();
        let open = case.status == CaseStatus::Open;
        match action {
            Action::Complete { answers } => {
                if !open {
                    return Err(not_allowed("案件不在办理中", "The case is not open"));
                }
                let step = app
                    .app
                    .step(&step_id)
                    .ok_or_else(|| not_allowed("案件没有当前步骤", "The case has no current step"))?;
                // A vote is decided by its ballots, never completed by hand.
                let fields: Vec<&CompiledField> = match &step.block {
                    BlockConfig::Vote(_) => None,
                    _ => app.step_fields(&step_id),
                }
                .ok_or_else(|| {
                    not_allowed(
                        "当前步骤由系统自动执行，不能手工完成",
                        "The current step runs by itself; it cannot be completed by hand",
                    )
                })?;
                let mut answers = if answers.is_null() { json!({}) } else { answers };
                let unknown_rows = self.resolve_relations(app, &fields, &mut answers, &case.community_id).await?;
                let mut ev = baida_blocks::form::evaluate(&fields, &app.rules, &answers, self.today());
                // A refused row is the field's one problem (not also "required").
                ev.errors.retain(|e| !unknown_rows.iter().any(|u| u.pointer == e.pointer));
                ev.errors.splice(0..0, unknown_rows);
                if !ev.errors.is_empty() {
                    return Err(ActionError::Invalid(ev.errors));
                }
                if let Some(uploader) = uploader {
                    let foreign = self.foreign_photos(Some(&case.id), &ev.photos, uploader).await?;
                    if !foreign.is_empty() {
                        return Err(ActionError::Invalid(foreign));
                    }
                }
                flow.complete(&step_id, ev.record, &events)?;
            }
            Action::Return { reason } => {
                if !open {
                    return Err(not_allowed("案件不在办理中", "The case is not open"));
                }
                // The most recent earlier human step the case was in.
                let previous = events
                    .iter()
                    .rev()
                    .filter(|e| e.kind == EventKind::StepEntered)
                    .filter_map(|e| e.data.get("step").and_then(Value::as_str))
                    .find(|s| *s != step_id && app.app.step(s).is_some_and(|st| is_human(&st.block)))
                    .map(str::to_string)
                    .ok_or_else(|| not_allowed("没有可退回的上一步", "There is no earlier step to return to"))?;
                flow.emit(EventKind::CaseReturned, json!({"from": step_id, "to": previous, "reason": reason}));
                let previous_assignee = events
                    .iter()
                    .rev()
                    .find(|e| {
                        e.kind == EventKind::StepEntered
                            && e.data.get("step").and_then(Value::as_str) == Some(previous.as_str())
                    })
                    .and_then(|e| e.data.get("assignee").and_then(Value::as_str))
                    .map(str::to_string);
                flow.assignee = previous_assignee;
                flow.enter_step(&previous)?;
            }
            Action::Redispatch { to, reason } => {
                if !open {
                    return Err(not_allowed("案件不在办理中", "The case is not open"));
                }
                let dispatch = app
                    .app
                    .steps
                    .iter()
                    .rev()
                    .find(|s| {
                        matches!(s.block, BlockConfig::Dispatch(_))
                            && events.iter().any(|e| e.data.get("step").and_then(Value::as_str) == Some(&s.id))
                    })
                    .map(|s| s.id.clone())
                    .ok_or_else(|| not_allowed("这个案件没有经过派单", "This case has not been through dispatch"))?;
                // A unit or a role, as a dispatch step names them ([`crate::receiver`]). Only an
                // active unit of the case's own district takes it: a case must not be sent out of
                // its district (nor to a retired unit, where nobody would see it).
                use crate::receiver::{Receiver, takes_cases_of, unit_for_role};
                let unit = match Receiver::parse(&to) {
                    Ok(Receiver::Unit(unit)) => unit.to_string(),
                    Ok(Receiver::Role(role)) => unit_for_role(role, Actor::case_unit(&case), &tree).unwrap_or_default(),
                    Ok(Receiver::Responsibility) | Err(_) => to.clone(),
                };
                if !takes_cases_of(&unit, &case.community_id, &tree) {
                    return Err(not_allowed(
                        format!("本区没有可以接收案件的组织机构“{unit}”"),
                        format!("There is no active org unit “{unit}” in this district to take the case"),
                    ));
                }
                flow.assignee = Some(unit.clone());
                flow.emit(
                    EventKind::CaseRedispatched,
                    json!({"step": dispatch, "from": case.assignee, "to": unit, "reason": reason}),
                );
                // On to the step after dispatch (the new unit signs again).
                let next = app
                    .next_step(&dispatch, &case.record)
                    .map_err(|e| FlowError::Script(e.message))?
                    .map(str::to_string);
                match next {
                    Some(next) => flow.enter_step(&next)?,
                    None => flow.close("completed"),
                }
            }
            Action::Suspend { reason } => {
                if !open {
                    return Err(not_allowed("案件不在办理中", "The case is not open"));
                }
                // Each clock keeps the time it had left, in its own kind of time.
                let pending = self.store.pending_timers(case_id).await?;
                let remaining: Vec<Value> = pending
                    .iter()
                    .map(|t| {
                        let working = self.working_clock(app, &t.step);
                        let left = if working { self.calendar.working_between(now, t.due_at) } else { t.due_at - now };
                        json!({"step": t.step, "kind": t.kind, "working": working, "remaining_ms": left.num_milliseconds().max(0)})
                    })
                    .collect();
                flow.status = CaseStatus::Suspended;
                flow.cancel_timers = true;
                flow.emit(EventKind::CaseSuspended, json!({"step": step_id, "reason": reason, "clocks": remaining}));
            }
            Action::Vote { choice } => {
                flow.cast_vote(&step_id, &who.label(), choice, &events)?;
            }
            Action::Resume => {
                if case.status != CaseStatus::Suspended {
                    return Err(not_allowed("案件没有挂起", "The case is not suspended"));
                }
                let clocks = events
                    .iter()
                    .rev()
                    .find(|e| e.kind == EventKind::CaseSuspended)
                    .and_then(|e| e.data.get("clocks").and_then(Value::as_array).cloned())
                    .unwrap_or_default();
                flow.status = CaseStatus::Open;
                for c in clocks {
                    let (Some(step), Some(kind), Some(ms)) =
                        (c["step"].as_str(), c["kind"].as_str(), c["remaining_ms"].as_i64())
                    else {
                        continue;
                    };
                    flow.timers.push(store::Timer {
                        id: uuid::Uuid::now_v7().to_string(),
                        case_id: case_id.to_string(),
                        step: step.to_string(),
                        kind: kind.to_string(),
                        due_at: if c["working"].as_bool() == Some(true) {
                            self.calendar.add_working(now, chrono::Duration::milliseconds(ms))
                        } else {
                            now + chrono::Duration::milliseconds(ms)
                        },
                    });
                }
                flow.emit(EventKind::CaseResumed, json!({"step": step_id}));
            }
            Action::Close { reason } => {
                if case.status == CaseStatus::Closed {
                    return Err(not_allowed("案件已经办结", "The case is already closed"));
                }
                flow.close(&reason);
            }
            Action::Retry => {
                let automatic = app.app.step(&step_id).is_some_and(|s| matches!(s.block, BlockConfig::Plugin(_)));
                if !open || !automatic {
                    return Err(not_allowed(
                        "只有停在插件步骤上的办理中案件可以重试",
                        "Only an open case waiting at a plugin step can be retried",
                    ));
                }
                flow.emit(EventKind::StepRetried, json!({"step": step_id}));
                flow.enter_step(&step_id)?;
            }
            Action::Reopen { reason } => {
                if case.status != CaseStatus::Closed {
                    return Err(not_allowed("案件没有办结，不需要重新打开", "The case is not closed"));
                }
                flow.status = CaseStatus::Open;
                flow.closed_at = None;
                flow.emit(EventKind::CaseReopened, json!({"step": step_id, "reason": reason}));
                flow.enter_step(&step_id)?;
            }
        }
        let change = flow.into_change(case.event_count);
        self.store.apply(&change).await?;
        metrics::counter!("baida_transitions_total", "by" => "person").increment(1);
        self.store.case(case_id).await?.ok_or(ActionError::UnknownCase)
    }
}

impl Engine {
    /// Whether the SLA clock of `step` runs on working time.
    fn working_clock(&self, app: &baida_blocks::CompiledApp, step: &str) -> bool {
        let sla = app.app.step(step).and_then(|s| match &s.block {
            BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => c.sla.clone(),
            BlockConfig::Review(c) => c.sla.clone(),
            _ => None,
        });
        sla.is_some_and(|s| s.calendar == baida_blocks::step::Calendar::Working)
    }
}

/// Whether a person works on steps of this kind.
pub fn is_human(block: &BlockConfig) -> bool {
    !matches!(
        block,
        BlockConfig::Dispatch(_)
            | BlockConfig::Notify(_)
            | BlockConfig::Webhook(_)
            | BlockConfig::Script(_)
            | BlockConfig::Plugin(_)
            | BlockConfig::Timer(_)
    )
}
