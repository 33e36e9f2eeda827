//! Storage for cases on the move: applying a transition (one transaction: the case's new
//! state, its events, its timers and its outgoing messages), claiming due timers and outbox
//! messages in batches, delivery attempts, the in-app inbox and the responsibility list.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use baida_core::case::{CaseChange, OutboxItem, Timer};

use super::Result;

/// One delivery attempt of an outbox message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub outbox_id: String,
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub detail: String,
}

/// A message in a person's or unit's in-app inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxItem {
    pub id: String,
    pub recipient: String,
    pub case_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait WorkflowStore: Send + Sync {
    /// Applies a transition in one transaction.
    async fn apply(&self, change: &CaseChange) -> Result<()>;
    /// Applies several transitions (of different cases) in one transaction, each under its own
    /// savepoint: a change that conflicts is undone alone and reported in its place; any other
    /// error undoes them all.
    async fn apply_all(&self, changes: &[CaseChange]) -> Result<Vec<Result<()>>>;
    /// Pending timers of a case.
    async fn pending_timers(&self, case_id: &str) -> Result<Vec<Timer>>;
    /// Claims up to `limit` timers due at `now` for `lease` (another claimer skips them until
    /// the lease ends; firing marks them fired).
    async fn claim_due_timers(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Timer>>;
    /// Claims up to `limit` outbox messages due at `now`.
    async fn claim_due_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>>;
    /// Records an attempt; `next_attempt_at` None means delivered (ok) or given up (not ok).
    /// An inbox message, when given, is written in the same transaction as a successful attempt.
    async fn record_attempt(
        &self,
        delivery: &Delivery,
        next_attempt_at: Option<DateTime<Utc>>,
        inbox: Option<&InboxItem>,
    ) -> Result<()>;
    async fn outbox_of_case(&self, case_id: &str) -> Result<Vec<(OutboxItem, Vec<Delivery>)>>;
    /// How many messages went to `recipient` over `channel` since `since` (delivered).
    async fn sent_to_since(&self, channel: &str, recipient: &str, since: DateTime<Utc>) -> Result<i64>;
    async fn inbox(&self, recipient: &str, limit: i64) -> Result<Vec<InboxItem>>;
    /// The responsibility list (权责清单): category → department.
    async fn responsibilities(&self) -> Result<Vec<(String, String)>>;
    async fn put_responsibility(&self, category: &str, department: &str, at: DateTime<Utc>) -> Result<()>;
}

/// Row shapes of this module, shared by both backends.
pub(super) mod rows {
    use chrono::{DateTime, Utc};
    use serde_json::Value;
    use sqlx::types::Json;

    use super::{Delivery, InboxItem, OutboxItem, Timer};

    #[derive(sqlx::FromRow)]
    pub struct TimerRow {
        pub id: String,
        pub case_id: String,
        pub step: String,
        pub kind: String,
        pub due_at: DateTime<Utc>,
    }

    impl From<TimerRow> for Timer {
        fn from(r: TimerRow) -> Self {
            Timer { id: r.id, case_id: r.case_id, step: r.step, kind: r.kind, due_at: r.due_at }
        }
    }

    #[derive(sqlx::FromRow)]
    pub struct OutboxRow {
        pub id: String,
        pub case_id: Option<String>,
        pub channel: String,
        pub recipient: String,
        pub template: String,
        pub data: Json<Value>,
        pub state: String,
        pub attempts: i64,
        pub next_attempt_at: DateTime<Utc>,
        pub last_error: Option<String>,
        pub created_at: DateTime<Utc>,
        pub delivered_at: Option<DateTime<Utc>>,
    }

    impl From<OutboxRow> for OutboxItem {
        fn from(r: OutboxRow) -> Self {
            OutboxItem {
                id: r.id,
                case_id: r.case_id,
                channel: r.channel,
                recipient: r.recipient,
                template: r.template,
                data: r.data.0,
                state: r.state,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                last_error: r.last_error,
                created_at: r.created_at,
                delivered_at: r.delivered_at,
            }
        }
    }

    #[derive(sqlx::FromRow)]
    pub struct DeliveryRow {
        pub outbox_id: String,
        pub attempt: i64,
        pub at: DateTime<Utc>,
        pub ok: bool,
        pub detail: String,
    }

    impl From<DeliveryRow> for Delivery {
        fn from(r: DeliveryRow) -> Self {
            Delivery { outbox_id: r.outbox_id, attempt: r.attempt, at: r.at, ok: r.ok, detail: r.detail }
        }
    }

    #[derive(sqlx::FromRow)]
    pub struct InboxRow {
        pub id: String,
        pub recipient: String,
        pub case_id: Option<String>,
        pub subject: String,
        pub body: String,
        pub created_at: DateTime<Utc>,
    }

    impl From<InboxRow> for InboxItem {
        fn from(r: InboxRow) -> Self {
            InboxItem {
                id: r.id,
                recipient: r.recipient,
                case_id: r.case_id,
                subject: r.subject,
                body: r.body,
                created_at: r.created_at,
            }
        }
    }
}

pub(super) const OUTBOX_COLUMNS: &str = "id, case_id, channel, recipient, template, data, state, attempts, next_attempt_at, last_error, created_at, delivered_at";
