//! Storage of the community ledger and its transparency log. Entries are only ever appended,
//! each with its log leaf in the same transaction; see [`baida_engine::ledger`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Result;
use baida_core::ledger::TreeHead;
use baida_core::ledger::entry::{Entry, NewEntry};

/// One leaf of the log, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub index: i64,
    /// `entry` or `case_head`.
    pub kind: String,
    /// The entry's or the case's id.
    pub reference: String,
    /// The exact text hashed.
    pub data: String,
    /// SHA-256(0x00 || data), hex.
    pub leaf_hash: String,
}

/// An account's totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub account: String,
    pub income_fen: i64,
    pub expense_fen: i64,
    pub entries: i64,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub community: Option<String>,
    pub account: Option<String>,
    /// Entries booked in this year.
    pub year: Option<i32>,
    pub limit: Option<i64>,
    /// Only entries after this leaf (paging forward, as exports do).
    pub after_leaf: Option<i64>,
    /// Only entries before this leaf (paging back from the newest).
    pub before_leaf: Option<i64>,
    /// The newest first (with `limit`, the latest entries).
    pub newest_first: bool,
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Books entries with their leaves, in one transaction (accounts are opened as needed).
    async fn book(&self, entries: &[NewEntry]) -> Result<Vec<Entry>>;
    /// Entries in log order.
    async fn entries(&self, filter: &EntryFilter) -> Result<Vec<Entry>>;
    async fn entry(&self, id: &str) -> Result<Option<Entry>>;
    /// The community's accounts with their totals (every account, even without entries).
    async fn balances(&self, community: &str) -> Result<Vec<Balance>>;
    /// Opens the community's standard accounts (no-op for those that exist).
    async fn open_accounts(&self, community: &str, kinds: &[&str], at: DateTime<Utc>) -> Result<()>;
    /// Leaves `from..to` in order.
    async fn leaves(&self, from: i64, to: i64) -> Result<Vec<Leaf>>;
    /// How many leaves the log has.
    async fn log_size(&self) -> Result<i64>;
    /// Appends a leaf for each case whose event chain grew since it was last anchored (at
    /// most `limit`). Returns how many.
    async fn anchor_case_heads(&self, at: DateTime<Utc>, limit: i64) -> Result<usize>;
    /// The hash of event `seq` of a case.
    async fn event_hash(&self, case_id: &str, seq: i64) -> Result<Option<String>>;
    async fn put_head(&self, head: &TreeHead) -> Result<()>;
    async fn latest_head(&self) -> Result<Option<TreeHead>>;
    async fn head(&self, tree_size: i64) -> Result<Option<TreeHead>>;
    async fn heads(&self) -> Result<Vec<TreeHead>>;
}
