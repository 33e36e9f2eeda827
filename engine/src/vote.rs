//! The `vote` block: a vote opens when the case enters the step, with its electorate and a
//! closing time; people with a vote cast one ballot each (yes, no, abstain) as an action; the
//! vote closes when everyone has voted or its time is up, and its outcome — `passed`,
//! `failed` or `no_quorum` — is written to the record field the step names, for the
//! transitions after it to read.

use baida_blocks::step::{VoteConfig, parse_duration};
use baida_blocks::{BlockConfig, Text};
use baida_core::kinds::EventKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::calendar::Unit;
use super::flow::{Flow, FlowError};
use baida_store::Event;

/// A ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

impl Choice {
    fn as_str(self) -> &'static str {
        match self {
            Choice::Yes => "yes",
            Choice::No => "no",
            Choice::Abstain => "abstain",
        }
    }
}

/// The ballots of the vote now open at `step`: the events since it last opened.
pub(crate) fn ballots<'e>(events: &'e [Event], step: &str) -> (Option<&'e Event>, Vec<&'e Event>) {
    let opened = events
        .iter()
        .rposition(|e| e.kind == EventKind::VoteOpened && e.data.get("step").and_then(Value::as_str) == Some(step));
    match opened {
        Some(i) => (
            Some(&events[i]),
            events[i..]
                .iter()
                .filter(|e| e.kind == EventKind::VoteCast && e.data.get("step").and_then(Value::as_str) == Some(step))
                .collect(),
        ),
        None => (None, Vec::new()),
    }
}

fn config<'f>(flow: &'f Flow<'_>, step: &str) -> Result<&'f VoteConfig, FlowError> {
    match flow.app.app.step(step).map(|s| &s.block) {
        Some(BlockConfig::Vote(c)) => Ok(c),
        _ => Err(FlowError::Definition(Text::new(format!("“{step}”不是投票步骤"), format!("“{step}” is not a vote")))),
    }
}

impl Flow<'_> {
    /// Opens the vote of `step`: records its electorate and closing time, and sets the timer
    /// that closes it.
    pub(super) fn open_vote(&mut self, step: &str, c: &VoteConfig) -> Result<(), FlowError> {
        let electorate = match c.electorate.strip_prefix("record.") {
            Some(key) => match self.record.get(key) {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            },
            None => c.electorate.parse().ok(),
        }
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            FlowError::Definition(Text::new(
                format!("投票步骤“{step}”无法确定有投票权的人数（{}）", c.electorate),
                format!("The vote “{step}” cannot tell how many may vote ({})", c.electorate),
            ))
        })?;
        let closes_at = match parse_duration(&c.duration).and_then(|(n, u)| Some((n, Unit::parse(u)?))) {
            Some((n, unit)) => self.calendar.add(self.now, n, unit),
            None => self.now,
        };
        self.emit(EventKind::StepEntered, json!({"step": step, "assignee": self.assignee}));
        self.emit(
            EventKind::VoteOpened,
            json!({"step": step, "electorate": electorate, "quorum": c.quorum, "pass": c.pass, "closes_at": closes_at}),
        );
        let timer = self.timer(step, "step", closes_at);
        self.timers.push(timer);
        Ok(())
    }

    /// Casts `voter`'s ballot in the vote open at `step`; closes the vote when everyone has
    /// voted. `events` are the case's events so far.
    pub fn cast_vote(&mut self, step: &str, voter: &str, choice: Choice, events: &[Event]) -> Result<(), FlowError> {
        let (opened, cast) = ballots(events, step);
        let Some(opened) = opened else {
            return Err(FlowError::Definition(Text::new("这次投票没有开始", "This vote has not opened")));
        };
        if cast.iter().any(|e| e.data.get("voter").and_then(Value::as_str) == Some(voter)) {
            return Err(FlowError::Refused(Text::new("你已经投过票了", "You have voted already")));
        }
        self.emit(EventKind::VoteCast, json!({"step": step, "voter": voter, "choice": choice.as_str()}));
        let electorate = opened.data.get("electorate").and_then(Value::as_u64).unwrap_or(u64::MAX);
        if cast.len() as u64 + 1 >= electorate {
            let mut all: Vec<Event> = events.to_vec();
            all.extend(self.events.iter().cloned());
            self.close_vote(step, &all)?;
        }
        Ok(())
    }

    /// Counts the ballots of the vote at `step`, writes the outcome to the record and goes on.
    pub fn close_vote(&mut self, step: &str, events: &[Event]) -> Result<(), FlowError> {
        let c = config(self, step)?.clone();
        let (opened, cast) = ballots(events, step);
        let electorate = opened.and_then(|e| e.data.get("electorate")).and_then(Value::as_u64).unwrap_or(0);
        let count =
            |choice: &str| cast.iter().filter(|e| e.data.get("choice").and_then(Value::as_str) == Some(choice)).count();
        let (yes, no, abstain) = (count("yes"), count("no"), count("abstain"));
        let turnout = if electorate == 0 { 0.0 } else { cast.len() as f64 / electorate as f64 };
        let quorum_met = turnout + 1e-9 >= c.quorum;
        let decided = yes + no;
        let share = if decided == 0 { 0.0 } else { yes as f64 / decided as f64 };
        let passes = match c.pass {
            Some(p) => share + 1e-9 >= p,
            None => share > 0.5,
        };
        let outcome = match (quorum_met, passes) {
            (false, _) => "no_quorum",
            (true, true) => "passed",
            (true, false) => "failed",
        };
        self.record.insert(c.result.clone(), json!(outcome));
        self.emit(
            EventKind::VoteClosed,
            json!({"step": step, "electorate": electorate, "yes": yes, "no": no, "abstain": abstain,
                   "turnout": turnout, "quorum_met": quorum_met, "outcome": outcome}),
        );
        self.advance_from(step)
    }
}
