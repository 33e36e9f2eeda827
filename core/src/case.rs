//! A case as the store keeps it and the engine moves it: the [`Case`] row, its hash-chained
//! [`Event`]s, its durable [`Timer`]s, the messages it sends ([`OutboxItem`]), the uses of the
//! photos its record holds ([`PhotoUse`]), and [`CaseChange`] — everything one transition
//! writes, atomically.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::kinds::{CaseStatus, Escalation, EventKind};
use crate::ledger::entry::NewEntry;

/// A stored case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub seq: i64,
    pub id: String,
    pub number: String,
    pub app_id: String,
    pub app_version: String,
    pub community_id: String,
    pub status: CaseStatus,
    pub current_step: Option<String>,
    pub record: Value,
    #[serde(skip)]
    pub tracking_hash: String,
    pub event_count: i64,
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The org unit (or role) that holds the case now, e.g. `dept-urban-management`.
    pub assignee: Option<String>,
    /// When the case entered its current step; SLA clocks count from here.
    pub step_entered_at: Option<DateTime<Utc>>,
    /// The highest escalation reached on the current step.
    pub escalation: Option<Escalation>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The grid the case belongs to, when it was filed in one.
    pub grid_id: Option<String>,
    /// The logged-in resident who filed it.
    #[serde(skip)]
    pub resident_id: Option<String>,
}

/// An event of a case, hash-chained to the one before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub case_id: String,
    pub seq: i64,
    pub kind: EventKind,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl crate::chain::Link for Event {
    fn seq(&self) -> i64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn body(&self) -> Value {
        crate::chain::body(("case_id", &self.case_id), self.seq, self.kind.as_str(), &self.actor, self.at, &self.data)
    }
}

/// A durable timer: an SLA rung (`sla:remind`, `sla:urge`, `sla:supervise`) or a timer step
/// (`step`), due at `due_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timer {
    pub id: String,
    pub case_id: String,
    pub step: String,
    pub kind: String,
    pub due_at: DateTime<Utc>,
}

/// A message to send, written in the same transaction as the transition that causes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub id: String,
    pub case_id: Option<String>,
    /// `inbox`, `email`, `sms` or `webhook`.
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub data: Value,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Everything one transition writes, atomically. `expected_event_count` makes it conditional
/// on nobody else having moved the case since it was read (else [`a conflict`]).
#[derive(Debug, Clone)]
pub struct CaseChange {
    pub case_id: String,
    pub expected_event_count: i64,
    pub status: CaseStatus,
    pub current_step: Option<String>,
    pub assignee: Option<String>,
    pub record: Value,
    pub escalation: Option<Escalation>,
    pub step_entered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub events: Vec<Event>,
    /// Cancel every pending timer of the case before adding `timers` (the step changed, the
    /// case was suspended or closed).
    pub cancel_timers: bool,
    pub timers: Vec<Timer>,
    /// The timers this transition fires: each must still be pending, and is marked fired.
    pub fires: Vec<String>,
    pub outbox: Vec<OutboxItem>,
    /// Ledger entries the transition books (the `ledger` block), each with its log leaf.
    pub ledger: Vec<NewEntry>,
    /// The photos the record holds after the transition, each with its use, written with it.
    pub photo_uses: Vec<(String, PhotoUse)>,
    /// Register rows the transition writes (the `register` block), each with its history.
    pub rows: Vec<crate::register::RowWrite>,
}

/// One use of a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoUse {
    /// Shown on public pages (ledger evidence, catalog screenshots, a proposal's public answers).
    Public,
    /// Held by this case's record: its readers may see it.
    Case(String),
    /// Uploaded by the client holding the upload key with this SHA-256, for a submission in
    /// progress.
    Upload(String),
}

impl PhotoUse {
    /// The stored form: `public`, `case:<id>`, `upload:<hash>`.
    pub fn key(&self) -> String {
        match self {
            PhotoUse::Public => "public".into(),
            PhotoUse::Case(id) => format!("case:{id}"),
            PhotoUse::Upload(hash) => format!("upload:{hash}"),
        }
    }

    /// Reads the stored form; `None` for anything else.
    pub fn parse(key: &str) -> Option<PhotoUse> {
        if key == "public" {
            return Some(PhotoUse::Public);
        }
        if let Some(id) = key.strip_prefix("case:") {
            return Some(PhotoUse::Case(id.to_string()));
        }
        key.strip_prefix("upload:").map(|h| PhotoUse::Upload(h.to_string()))
    }
}
