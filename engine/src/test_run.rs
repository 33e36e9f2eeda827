//! A test run (试运行): a case run through an app definition from sample answers, in memory.
//!
//! The designer uses it to show which steps and transitions fire, where the case would be
//! dispatched, which messages would go out, which clocks would start, and where the case
//! stops and waits for a person. It runs the same [`Flow`] as real cases — the same
//! transition conditions, dispatch rules, responsibility list, scripts and SLA ladders — but
//! nothing is written, no message is sent, no ledger entry booked and no plugin called.
//!
//! At a human step the run stops; the builder can go on by giving that step's answers
//! (`then`), and the whole run is computed again from the start, so it is deterministic.

use baida_blocks::{CompiledApp, Problem, Text};
use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Engine;
use super::flow::{Flow, FlowError};
use super::submit::SubmitError;
use baida_core::ledger::entry::NewEntry;
use baida_store::{Event, OutboxItem, Timer};

/// Answers for a human step the run reaches, to go on past it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StepAnswers {
    pub step: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Value,
}

/// What a test run did.
#[derive(Debug, Clone)]
pub struct TestRun {
    /// Every event the case would have, in order.
    pub events: Vec<Event>,
    pub status: CaseStatus,
    /// Where it waits (a human step), or where it failed.
    pub current_step: Option<String>,
    /// The unit holding it.
    pub assignee: Option<String>,
    pub record: Map<String, Value>,
    /// Messages that would be queued; none is sent.
    pub messages: Vec<OutboxItem>,
    /// Clocks that would be running at the end.
    pub timers: Vec<Timer>,
    /// Ledger entries that would be booked.
    pub ledger: Vec<NewEntry>,
    /// What stopped the run early: answers with problems, a failing script, a loop.
    pub problems: Vec<Problem>,
}

fn flow_problem(e: FlowError, pointer: &str) -> Problem {
    let (code, message) = match e {
        FlowError::Script(m) => ("script_failed", m),
        FlowError::Definition(m) => ("definition", m),
        FlowError::Refused(m) => ("refused", m),
    };
    Problem::new(pointer, code, message)
}

impl Engine {
    /// Runs a case of `app` filed in `community` with `answers`, going on past human steps
    /// with `then`, without writing anything.
    pub async fn test_run(
        &self,
        app: &CompiledApp,
        community: &str,
        answers: &Value,
        then: &[StepAnswers],
    ) -> Result<TestRun, SubmitError> {
        let (community_id, grid_id) = self.filed_in(community).await?;
        let tree = self.org_tree().await?;
        let responsibilities = self.responsibilities().await?;
        let now = self.clock.now();
        let today = self.today();
        let intake = baida_blocks::form::evaluate(&app.intake_fields(), &app.rules, answers, today);
        let mut flow =
            Flow::new_case(app, &self.calendar, "test-run", intake.record, now, "test-run", &responsibilities);
        flow.community_id = community_id.clone();
        flow.grid_id = grid_id;
        flow.org = Some(&tree);
        let mut problems: Vec<Problem> = intake.errors.into_iter().filter(|p| p.code != "unknown_photo").collect();
        let first = app.app.steps.first().map(|s| s.id.clone()).unwrap_or_default();
        flow.current_step = Some(first.clone());
        flow.emit(
            EventKind::CaseSubmitted,
            json!({"app_id": app.app.id, "community_id": community_id, "channel": "test", "step": first}),
        );
        if problems.is_empty() {
            if let Err(e) = flow.advance_from(&first) {
                problems.push(flow_problem(e, "/steps/0"));
            }
            for (i, next) in then.iter().enumerate() {
                if !problems.is_empty()
                    || flow.status != CaseStatus::Open
                    || flow.current_step.as_deref() != Some(&next.step)
                {
                    break;
                }
                let Some(fields) = app.step_fields(&next.step) else { break };
                let ev = baida_blocks::form::evaluate(&fields, &app.rules, &next.answers, today);
                if !ev.errors.is_empty() {
                    problems.extend(ev.errors.into_iter().map(|mut p| {
                        p.pointer = format!("/then/{i}/answers{}", p.pointer);
                        p
                    }));
                    break;
                }
                if let Err(e) = flow.complete(&next.step, ev.record, &[]) {
                    problems.push(flow_problem(e, &format!("/then/{i}")));
                }
            }
        }
        if problems.is_empty()
            && flow.plugins.is_none()
            && flow.events.iter().any(|e| e.kind == EventKind::PluginFailed)
        {
            problems.push(Problem::new(
                "",
                "plugin_not_called",
                Text::new(
                    "试运行不调用插件，案件停在插件步骤",
                    "A test run calls no plugin; the case stops at the plugin step",
                ),
            ));
        }
        Ok(TestRun {
            events: flow.events,
            status: flow.status,
            current_step: flow.current_step,
            assignee: flow.assignee,
            record: flow.record,
            messages: flow.outbox,
            timers: flow.timers,
            ledger: flow.ledger,
            problems,
        })
    }
}
