//! How a case moves: from a step, along the first transition whose condition holds, into the
//! next step; automatic steps (dispatch, notify, webhook, script, plugin) run at once, human steps
//! (form, sign, handle, review, claim, vote) wait; a step with an SLA schedules its
//! escalation timers; a step with no way out closes the case.
//!
//! A [`Flow`] computes everything one transition writes — the case's new state, its events
//! (hash-chained), timers and outgoing messages — without touching storage; the caller writes
//! it in one transaction ([`baida_store::CaseChange`]).

use baida_blocks::step::{Sla, parse_duration};
use baida_blocks::{BlockConfig, CompiledApp, Text};
use baida_core::kinds::EventKind;
use baida_core::kinds::{CaseStatus, Escalation};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::calendar::{Calendar, Unit};
use super::event;
use baida_core::ledger::entry::NewEntry;
use baida_core::register::RowWrite;
use baida_store::{Case, CaseChange, Event, OutboxItem, Timer};

/// Automatic steps one transition may run before it must stop at a human step (a cycle of
/// automatic steps in a definition would otherwise never end).
const MAX_AUTOMATIC: usize = 32;

/// Why a transition could not be computed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FlowError {
    #[error("{}", .0.en())]
    Script(Text),
    #[error("{}", .0.en())]
    Definition(Text),
    /// The step cannot go on with the case as it is (a vote already cast, a spending not
    /// approved, an amount missing); the person can correct it.
    #[error("{}", .0.en())]
    Refused(Text),
}

/// The responsibility list: category → department.
pub type Responsibilities = [(String, String)];

/// A case while a transition is computed.
pub struct Flow<'a> {
    pub app: &'a CompiledApp,
    pub calendar: &'a Calendar,
    pub case_id: String,
    /// The community the case belongs to (empty until a new case is filed), and its grid.
    pub community_id: String,
    pub grid_id: Option<String>,
    /// The org tree receivers are resolved against ([`crate::receiver`]); without it (a bare
    /// flow in a unit test) a unit receiver is taken as written and a role resolves to nothing.
    pub org: Option<&'a crate::auth::OrgTree>,
    pub now: DateTime<Utc>,
    pub actor: String,
    pub responsibilities: &'a Responsibilities,
    pub status: CaseStatus,
    pub current_step: Option<String>,
    pub assignee: Option<String>,
    pub record: Map<String, Value>,
    pub escalation: Option<Escalation>,
    pub step_entered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The chain head before this transition: (sequence, hash), as the case row records it.
    head: Option<(i64, String)>,
    pub events: Vec<Event>,
    pub timers: Vec<Timer>,
    pub outbox: Vec<OutboxItem>,
    pub cancel_timers: bool,
    pub fires: Vec<String>,
    pub ledger: Vec<NewEntry>,
    /// Register rows the transition writes (the `register` block).
    pub rows: Vec<RowWrite>,
    /// The app's plugins, prepared before the transition (see [`super::plugin_step`]); a
    /// plugin step entered without them fails, retryably.
    pub plugins: Option<&'a super::plugin_step::StepPlugins>,
}

impl<'a> Flow<'a> {
    /// A flow for a new case (no events yet).
    pub fn new_case(
        app: &'a CompiledApp,
        calendar: &'a Calendar,
        case_id: &str,
        record: Map<String, Value>,
        now: DateTime<Utc>,
        actor: &str,
        responsibilities: &'a Responsibilities,
    ) -> Flow<'a> {
        Flow {
            app,
            calendar,
            case_id: case_id.to_string(),
            community_id: String::new(),
            grid_id: None,
            org: None,
            now,
            actor: actor.to_string(),
            responsibilities,
            status: CaseStatus::Open,
            current_step: None,
            assignee: None,
            record,
            escalation: None,
            step_entered_at: Some(now),
            closed_at: None,
            head: None,
            events: Vec::new(),
            timers: Vec::new(),
            outbox: Vec::new(),
            cancel_timers: false,
            fires: Vec::new(),
            ledger: Vec::new(),
            rows: Vec::new(),
            plugins: None,
        }
    }

    /// A flow continuing `case` from the chain head its row records.
    pub fn resume(
        app: &'a CompiledApp,
        calendar: &'a Calendar,
        case: &Case,
        now: DateTime<Utc>,
        actor: &str,
        responsibilities: &'a Responsibilities,
    ) -> Flow<'a> {
        Flow {
            app,
            calendar,
            case_id: case.id.clone(),
            community_id: case.community_id.clone(),
            grid_id: case.grid_id.clone(),
            org: None,
            now,
            actor: actor.to_string(),
            responsibilities,
            status: case.status,
            current_step: case.current_step.clone(),
            assignee: case.assignee.clone(),
            record: case.record.as_object().cloned().unwrap_or_default(),
            escalation: case.escalation,
            step_entered_at: case.step_entered_at,
            closed_at: case.closed_at,
            head: (case.event_count > 0).then(|| (case.event_count, case.head_hash.clone())),
            events: Vec::new(),
            timers: Vec::new(),
            outbox: Vec::new(),
            cancel_timers: false,
            fires: Vec::new(),
            ledger: Vec::new(),
            rows: Vec::new(),
            plugins: None,
        }
    }

    /// Appends an event to the case's chain.
    pub fn emit(&mut self, kind: EventKind, data: Value) {
        let prev = match self.events.last() {
            Some(e) => Some((e.seq, e.hash.as_str())),
            None => self.head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        };
        let e = event::next_after(prev, &self.case_id, kind, &self.actor, self.now, data);
        self.events.push(e);
    }

    /// The change to write, conditional on the case still having `expected_event_count` events.
    pub fn into_change(self, expected_event_count: i64) -> CaseChange {
        let photo_uses = super::photos::uses(self.app, &self.case_id, &self.record);
        CaseChange {
            case_id: self.case_id,
            expected_event_count,
            status: self.status,
            current_step: self.current_step,
            assignee: self.assignee,
            record: Value::Object(self.record),
            escalation: self.escalation,
            step_entered_at: self.step_entered_at,
            closed_at: self.closed_at,
            at: self.now,
            events: self.events,
            cancel_timers: self.cancel_timers,
            timers: self.timers,
            fires: self.fires,
            ledger: self.ledger,
            rows: self.rows,
            outbox: self.outbox,
            photo_uses,
        }
    }

    pub(super) fn record_value(&self) -> Value {
        Value::Object(self.record.clone())
    }

    /// Leaves `from` along the first transition whose condition holds; closes the case when
    /// there is none.
    pub fn advance_from(&mut self, from: &str) -> Result<(), FlowError> {
        let mut from = from.to_string();
        for _ in 0..MAX_AUTOMATIC {
            let next = self
                .app
                .next_step(&from, &self.record_value())
                .map_err(|e| FlowError::Script(e.message))?
                .map(str::to_string);
            let Some(next) = next else {
                self.close("completed");
                return Ok(());
            };
            match self.enter(&next)? {
                Some(done) => from = done,
                None => return Ok(()),
            }
        }
        Err(FlowError::Definition(Text::new(
            format!("自动步骤连续执行超过 {MAX_AUTOMATIC} 次，流程可能有循环"),
            format!("More than {MAX_AUTOMATIC} automatic steps in a row: the flow may loop"),
        )))
    }

    /// Completes human step `step_id` with `answers` (already checked against its fields):
    /// records them, and at a review of several levels keeps the case there for the next
    /// level up until the last level approves; otherwise goes on. `earlier` are the case's
    /// stored events (none for a case that exists only in memory).
    pub fn complete(&mut self, step_id: &str, answers: Map<String, Value>, earlier: &[Event]) -> Result<(), FlowError> {
        self.record.extend(answers.clone());
        let approved = answers.values().any(|v| v == "approve");
        self.emit(EventKind::StepCompleted, json!({"step": step_id, "answers": Value::Object(answers)}));
        let levels = match self.app.app.step(step_id).map(|s| &s.block) {
            Some(BlockConfig::Review(c)) => c.levels,
            _ => 1,
        };
        let approvals = crate::queue::review_level(earlier.iter().chain(self.events.iter()), step_id) as u8;
        if levels > 1 && approved && approvals + 1 < levels {
            self.emit(EventKind::ReviewLevelApproved, json!({"step": step_id, "level": approvals + 1, "of": levels}));
            Ok(())
        } else {
            self.advance_from(step_id)
        }
    }

    /// Enters `step_id` and, when it runs at once, goes on from it.
    pub fn enter_step(&mut self, step_id: &str) -> Result<(), FlowError> {
        match self.enter(step_id)? {
            Some(done) => self.advance_from(&done),
            None => Ok(()),
        }
    }

    /// Enters `step_id`. Returns the step to continue from when the step ran at once, or
    /// `None` when the case now waits (for a person or a timer).
    fn enter(&mut self, step_id: &str) -> Result<Option<String>, FlowError> {
        let step = self.app.app.step(step_id).ok_or_else(|| {
            FlowError::Definition(Text::new(format!("没有步骤“{step_id}”"), format!("There is no step “{step_id}”")))
        })?;
        let block = step.block.clone();
        self.cancel_timers = true;
        self.timers.clear();
        self.escalation = None;
        self.current_step = Some(step_id.to_string());
        self.step_entered_at = Some(self.now);
        match &block {
            BlockConfig::Dispatch(c) => {
                let record = self.record_value();
                let mut chosen: Option<(String, String)> = None;
                let scripts = self.app.step_scripts.get(step_id).map(Vec::as_slice).unwrap_or_default();
                for (i, (rule, script)) in c.rules.iter().zip(scripts).enumerate() {
                    if script.eval_bool(&record, None).map_err(|e| FlowError::Script(e.message))? {
                        chosen = Some((rule.to.clone(), format!("rule {}", i + 1)));
                        break;
                    }
                }
                let chosen = chosen.or_else(|| c.otherwise.clone().map(|o| (o, "otherwise".into())));
                let unit = chosen.as_ref().and_then(|(to, _)| self.receiver(to));
                match (unit, chosen) {
                    (Some(unit), Some((to, why))) => {
                        self.assignee = Some(unit.clone());
                        self.emit(
                            EventKind::CaseDispatched,
                            json!({"step": step_id, "to": unit, "receiver": to, "by": why}),
                        );
                        Ok(Some(step_id.to_string()))
                    }
                    (_, chosen) => {
                        // No rule matched, or the receiver takes no case (a unit retired since, a
                        // role with no unit above the case): the case waits here for someone to
                        // dispatch it by hand, and its community's inbox says so.
                        self.assignee = None;
                        let receiver = chosen.map(|(to, _)| to);
                        self.emit(EventKind::DispatchUnmatched, json!({"step": step_id, "receiver": receiver}));
                        if !self.community_id.is_empty() {
                            let community = self.community_id.clone();
                            let data = json!({"step": step_id, "receiver": receiver});
                            self.queue("inbox", &community, "dispatch-unmatched", data);
                        }
                        Ok(None)
                    }
                }
            }
            BlockConfig::Notify(c) => {
                let typed = c.to.strip_prefix("record.");
                let mut recipient = match typed {
                    Some(key) => self.record.get(key).and_then(Value::as_str).unwrap_or_default().to_string(),
                    None => self.receiver(&c.to).unwrap_or_else(|| c.to.clone()),
                };
                // One spelling per number, so per-recipient limits count every message to it.
                if c.channel == baida_blocks::step::Channel::Sms
                    && let Ok(number) = crate::notify::sms::normalize_mainland_mobile(&recipient)
                {
                    recipient = number;
                }
                let channel = serde_json::to_value(c.channel)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                // An address typed into the form is sent to only once proven (engine::recipient).
                let data = match typed {
                    Some(key) => json!({"step": step_id, "typed": key}),
                    None => json!({"step": step_id}),
                };
                let id = self.queue(&channel, &recipient, &c.template, data);
                self.emit(
                    EventKind::NotifyQueued,
                    json!({"step": step_id, "channel": channel, "template": c.template, "outbox": id}),
                );
                Ok(Some(step_id.to_string()))
            }
            BlockConfig::Webhook(c) => {
                let id = self.queue("webhook", &c.url, "case", json!({"step": step_id}));
                self.emit(EventKind::WebhookQueued, json!({"step": step_id, "outbox": id}));
                Ok(Some(step_id.to_string()))
            }
            BlockConfig::Script(_) => {
                let script = self.app.step_scripts.get(step_id).and_then(|s| s.first()).ok_or_else(|| {
                    FlowError::Definition(Text::new("脚本步骤没有可运行的脚本", "The script step has no script to run"))
                })?;
                let out = script.eval(&self.record_value(), None).map_err(|e| FlowError::Script(e.message))?;
                let mut changed = Vec::new();
                if let Value::Object(map) = out {
                    // A script writes only fields the record has.
                    for (k, v) in map {
                        if self.app.fields.iter().any(|f| f.field.key == k) {
                            self.record.insert(k.clone(), v);
                            changed.push(k);
                        }
                    }
                }
                self.emit(EventKind::ScriptRan, json!({"step": step_id, "changed": changed}));
                Ok(Some(step_id.to_string()))
            }
            BlockConfig::Plugin(c) => Ok(self.run_plugin(step_id, c)),
            BlockConfig::Timer(c) => {
                let due = match parse_duration(&c.after).and_then(|(n, u)| Some((n, Unit::parse(u)?))) {
                    Some((n, unit)) => self.calendar.add(self.now, n, unit),
                    None => self.now,
                };
                self.emit(EventKind::StepEntered, json!({"step": step_id, "until": due}));
                self.timers.push(self.timer(step_id, "step", due));
                Ok(None)
            }
            BlockConfig::Form(_) => {
                self.emit(EventKind::StepEntered, json!({"step": step_id, "assignee": self.assignee}));
                Ok(None)
            }
            BlockConfig::Vote(c) => {
                self.open_vote(step_id, c)?;
                Ok(None)
            }
            BlockConfig::Ledger(c) => {
                self.book(step_id, c)?;
                Ok(Some(step_id.to_string()))
            }
            BlockConfig::Register(c) => {
                self.write_row(step_id, c)?;
                Ok(Some(step_id.to_string()))
            }
            BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => {
                self.emit(EventKind::StepEntered, json!({"step": step_id, "assignee": self.assignee}));
                if let Some(sla) = &c.sla {
                    self.schedule_sla(step_id, sla);
                }
                Ok(None)
            }
            BlockConfig::Review(c) => {
                self.emit(
                    EventKind::StepEntered,
                    json!({"step": step_id, "assignee": self.assignee, "levels": c.levels}),
                );
                if let Some(sla) = &c.sla {
                    self.schedule_sla(step_id, sla);
                }
                Ok(None)
            }
        }
    }

    /// The unit a receiver names for this case ([`crate::receiver`]): the responsibility list's
    /// department for the record's category, the unit a role has above the case, or the unit
    /// named — `None` when it resolves to no unit that may take the case.
    fn receiver(&self, to: &str) -> Option<String> {
        use crate::receiver::{Receiver, takes_cases_of, unit_for_role};
        let unit = match Receiver::parse(to).ok()? {
            Receiver::Responsibility => {
                let category = self.record.get("category").and_then(Value::as_str).unwrap_or_default();
                let find = |c: &str| self.responsibilities.iter().find(|(cat, _)| cat == c).map(|(_, d)| d.clone());
                find(category).or_else(|| find("*"))?
            }
            Receiver::Role(role) => {
                let from = self.grid_id.as_deref().unwrap_or(&self.community_id);
                unit_for_role(role, from, self.org?)?
            }
            Receiver::Unit(unit) => unit.to_string(),
        };
        // Against the org tree when known: only an active unit of the case's district takes it.
        match self.org {
            Some(tree) if !takes_cases_of(&unit, &self.community_id, tree) => None,
            _ => (!unit.is_empty()).then_some(unit),
        }
    }

    pub(super) fn timer(&self, step: &str, kind: &str, due_at: DateTime<Utc>) -> Timer {
        Timer {
            id: Uuid::now_v7().to_string(),
            case_id: self.case_id.clone(),
            step: step.to_string(),
            kind: kind.to_string(),
            due_at,
        }
    }

    /// Queues an outgoing message; returns its id.
    pub fn queue(&mut self, channel: &str, recipient: &str, template: &str, data: Value) -> String {
        let id = Uuid::now_v7().to_string();
        self.outbox.push(OutboxItem {
            id: id.clone(),
            case_id: Some(self.case_id.clone()),
            channel: channel.to_string(),
            recipient: recipient.to_string(),
            template: template.to_string(),
            data,
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: self.now,
            last_error: None,
            created_at: self.now,
            delivered_at: None,
        });
        id
    }

    /// Schedules the escalation ladder of an SLA clock starting now, on natural or working
    /// time as the SLA says: a percentage is of the clock's own time, `+2h` counts after due.
    fn schedule_sla(&mut self, step: &str, sla: &Sla) {
        let cal = self.calendar;
        let Ok(due) = cal.due(sla, self.now) else { return };
        let working = sla.calendar == baida_blocks::step::Calendar::Working;
        let span = if working { cal.working_between(self.now, due) } else { due - self.now };
        let mut rungs: Vec<(String, DateTime<Utc>)> = Vec::new();
        for rung in &sla.ladder {
            let Some((what, when)) = rung.split_once('@') else { continue };
            let at = if let Some(pct) = when.strip_suffix('%').and_then(|p| p.parse::<i32>().ok()) {
                let part = span * pct / 100;
                if working { cal.add_working(self.now, part) } else { self.now + part }
            } else if let Some((n, unit)) =
                when.strip_prefix('+').and_then(parse_duration).and_then(|(n, u)| Some((n, Unit::parse(u)?)))
            {
                cal.add_on(sla.calendar, due, n, unit)
            } else {
                continue;
            };
            rungs.push((what.to_string(), at));
        }
        self.timers.push(self.timer(step, "sla:due", due));
        for (what, at) in rungs {
            self.timers.push(self.timer(step, &format!("sla:{what}"), at));
        }
    }

    /// Closes the case.
    pub fn close(&mut self, reason: &str) {
        self.status = CaseStatus::Closed;
        self.closed_at = Some(self.now);
        self.cancel_timers = true;
        self.timers.clear();
        self.emit(EventKind::CaseClosed, json!({"reason": reason}));
    }
}
