//! The closed sets of the domain that the database stores as text. Each is an enum with its
//! stored spelling ([`CaseStatus::as_str`]), parsed back with `FromStr`/`TryFrom<String>` (the
//! store reads rows through `#[sqlx(try_from = "String")]`) and serialized by serde with the
//! same spelling, so the API, the pages and the database say the same word and code matches on
//! variants instead of comparing strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stored word that names no variant: the database holds something this build does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.word)
    }
}

impl std::error::Error for UnknownWord {}

/// Defines a text enum: its variants with their stored words, `as_str`, `ALL`, `Display`,
/// `FromStr` and `TryFrom<String>`. Serde's spelling is declared beside it with the same words.
macro_rules! words {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored (and serialized) word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(UnknownWord { what: $what, word: s.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownWord;
            fn try_from(s: String) -> Result<Self, UnknownWord> {
                s.parse()
            }
        }
    };
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Moving through its steps.
    Open,
    /// Paused by staff (clocks stopped) until resumed.
    Suspended,
    /// Finished (or closed by staff); may be reopened.
    Closed,
}

words!(CaseStatus, "case status", { Open => "open", Suspended => "suspended", Closed => "closed" });

/// The kind of a unit of the organisation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    District,
    Street,
    Community,
    Grid,
    /// A functional department (urban management, housing…), beside the territorial tree.
    Department,
}

impl UnitKind {
    /// The kind of unit this kind sits under: a street under a district, a community under a
    /// street, a grid under a community, a department under a district; a district at the top.
    pub fn parent(self) -> Option<UnitKind> {
        match self {
            UnitKind::District => None,
            UnitKind::Street | UnitKind::Department => Some(UnitKind::District),
            UnitKind::Community => Some(UnitKind::Street),
            UnitKind::Grid => Some(UnitKind::Community),
        }
    }
}

words!(UnitKind, "unit kind", {
    District => "district",
    Street => "street",
    Community => "community",
    Grid => "grid",
    Department => "department",
});

/// The mark a step's clock has left on a case: the last rung of its ladder reached (the app's
/// `remind@80%`, `urge@100%`, `supervise@+2h`), or overdue when the due time passed before any
/// rung did. Cleared when the case enters another step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    Remind,
    Urge,
    Overdue,
    Supervise,
}

impl Escalation {
    /// Past the due time: the marks a queue puts first.
    pub fn is_late(self) -> bool {
        matches!(self, Escalation::Urge | Escalation::Overdue | Escalation::Supervise)
    }
}

words!(Escalation, "escalation level", {
    Remind => "remind",
    Urge => "urge",
    Overdue => "overdue",
    Supervise => "supervise",
});

/// What happened to a case: the kind of one event in its hash-chained log. The stored word
/// (`case.submitted`, `step.entered`, …) is what the event's hash covers, so a word is never
/// renamed; a new kind is a new variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum EventKind {
    /// A form submission became the case.
    CaseSubmitted,
    /// The case entered a step (a human step, a vote, a timer).
    StepEntered,
    /// Someone completed the step with their answers.
    StepCompleted,
    /// Staff retried a step whose plugin failed.
    StepRetried,
    /// One level of a multi-level review approved.
    ReviewLevelApproved,
    /// A dispatch step sent the case to a unit.
    CaseDispatched,
    /// A dispatch step found no unit for the case (it waits at the step for staff).
    DispatchUnmatched,
    /// Staff sent the case to another unit.
    CaseRedispatched,
    /// Staff returned the case to an earlier step.
    CaseReturned,
    /// Staff paused the case (its clocks stopped).
    CaseSuspended,
    /// Staff resumed a paused case.
    CaseResumed,
    /// The case finished, or staff closed it.
    CaseClosed,
    /// Staff reopened a closed case.
    CaseReopened,
    /// A notify step queued a message.
    NotifyQueued,
    /// A webhook step queued a call.
    WebhookQueued,
    /// A script step ran.
    ScriptRan,
    /// A plugin step ran.
    PluginRan,
    /// A plugin step failed (the case waits at the step, retryable).
    PluginFailed,
    /// A timer step's time came.
    TimerFired,
    /// The step's clock reached its `remind` rung.
    SlaRemind,
    /// The step's clock reached its `urge` rung.
    SlaUrge,
    /// The step's due time passed before any rung did.
    SlaOverdue,
    /// The step's clock reached its `supervise` rung.
    SlaSupervise,
    /// A vote opened.
    VoteOpened,
    /// A ballot was cast.
    VoteCast,
    /// A vote closed with its outcome.
    VoteClosed,
    /// A comment on a spending proposal.
    CommentAdded,
    /// The `ledger` block booked an entry.
    LedgerBooked,
    /// The `register` block wrote a row of a register.
    RegisterWritten,
}

words!(EventKind, "event kind", {
    CaseSubmitted => "case.submitted",
    StepEntered => "step.entered",
    StepCompleted => "step.completed",
    StepRetried => "step.retried",
    ReviewLevelApproved => "review.level_approved",
    CaseDispatched => "case.dispatched",
    DispatchUnmatched => "dispatch.unmatched",
    CaseRedispatched => "case.redispatched",
    CaseReturned => "case.returned",
    CaseSuspended => "case.suspended",
    CaseResumed => "case.resumed",
    CaseClosed => "case.closed",
    CaseReopened => "case.reopened",
    NotifyQueued => "notify.queued",
    WebhookQueued => "webhook.queued",
    ScriptRan => "script.ran",
    PluginRan => "plugin.ran",
    PluginFailed => "plugin.failed",
    TimerFired => "timer.fired",
    SlaRemind => "sla.remind",
    SlaUrge => "sla.urge",
    SlaOverdue => "sla.overdue",
    SlaSupervise => "sla.supervise",
    VoteOpened => "vote.opened",
    VoteCast => "vote.cast",
    VoteClosed => "vote.closed",
    CommentAdded => "comment.added",
    LedgerBooked => "ledger.booked",
    RegisterWritten => "register.written",
});

impl EventKind {
    /// The event a step's clock leaves when it reaches `level`.
    pub fn escalated(level: Escalation) -> EventKind {
        match level {
            Escalation::Remind => EventKind::SlaRemind,
            Escalation::Urge => EventKind::SlaUrge,
            Escalation::Overdue => EventKind::SlaOverdue,
            Escalation::Supervise => EventKind::SlaSupervise,
        }
    }
}

impl From<EventKind> for &'static str {
    fn from(kind: EventKind) -> &'static str {
        kind.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips_through_text_and_serde() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + fmt::Debug + FromStr + Serialize + for<'de> Deserialize<'de> + fmt::Display,
        {
            for v in all {
                let word = v.to_string();
                assert_eq!(word.parse::<T>().ok(), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), serde_json::Value::String(word.clone()));
                assert_eq!(serde_json::from_value::<T>(serde_json::Value::String(word)).unwrap(), *v);
            }
        }
        check(CaseStatus::ALL);
        check(UnitKind::ALL);
        check(Escalation::ALL);
        check(EventKind::ALL);
    }

    #[test]
    fn an_unknown_word_is_an_error_naming_it() {
        let e = "archived".parse::<CaseStatus>().unwrap_err();
        assert_eq!(e.to_string(), r#"unknown case status "archived""#);
        assert!(UnitKind::try_from("county".to_string()).is_err());
    }
}
