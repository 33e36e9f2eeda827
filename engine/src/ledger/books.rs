//! Reading the books: the log's leaves for verifiers, a community's balances, its entries a
//! page at a time (each with its case's events, for the decision trail), every entry for an
//! export, and the decision trail itself in plain words, without personal data.

use std::collections::HashMap;

use baida_blocks::Text;
use baida_core::kinds::EventKind;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Ledger;
use super::entry::Entry;
use crate::apps::{self, Apps};
use baida_store::ledger::{Balance, EntryFilter, Leaf};
use baida_store::{self as store, Event};

/// How many entries an export reads at a time.
const EXPORT_PAGE: i64 = 1000;

/// One step of an entry's decision trail.
#[derive(Debug, Clone)]
pub struct TrailStep {
    pub at: DateTime<Utc>,
    pub what: Text,
}

/// A page of a community's entries, oldest first, with the events of their cases.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Case id → its events.
    pub events: HashMap<String, Vec<Event>>,
    /// Where the page before this one ends (the first entry's leaf), when the page is full.
    pub older: Option<i64>,
}

impl Ledger {
    /// Leaves `from..to` of the log.
    pub async fn leaves(&self, from: i64, to: i64) -> Result<Vec<Leaf>, store::Error> {
        self.store.leaves(from, to).await
    }

    /// A community's accounts with their balances.
    pub async fn balances(&self, community: &str) -> Result<Vec<Balance>, store::Error> {
        self.store.balances(community).await
    }

    /// A page of `size` of a community's latest entries (or those before leaf `before`), and
    /// their cases' events in one read: a fixed number of queries however long the books are.
    pub async fn page(&self, community: &str, before: Option<i64>, size: i64) -> Result<Page, store::Error> {
        let filter = EntryFilter {
            community: Some(community.into()),
            limit: Some(size),
            before_leaf: before,
            newest_first: true,
            ..Default::default()
        };
        let mut entries = self.store.entries(&filter).await?;
        entries.reverse();
        let mut cases: Vec<String> = entries.iter().filter_map(|e| e.case_id.clone()).collect();
        cases.sort();
        cases.dedup();
        let mut events: HashMap<String, Vec<Event>> = HashMap::new();
        for e in self.store.events_of(&cases).await? {
            events.entry(e.case_id.clone()).or_default().push(e);
        }
        let older = (entries.len() as i64 == size).then(|| entries.first().map(|e| e.leaf_index)).flatten();
        Ok(Page { entries, events, older })
    }

    /// Every entry of a community, read a page at a time in log order.
    pub async fn all_entries(&self, community: &str) -> Result<Vec<Entry>, store::Error> {
        let mut all = Vec::new();
        loop {
            let filter = EntryFilter {
                community: Some(community.into()),
                limit: Some(EXPORT_PAGE),
                after_leaf: all.last().map(|e: &Entry| e.leaf_index),
                ..Default::default()
            };
            let page = self.store.entries(&filter).await?;
            let done = (page.len() as i64) < EXPORT_PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }
}

/// The decision trail of a case from its events, in plain words, without personal data.
pub async fn trail(apps: &Apps, events: &[Event]) -> Result<Vec<TrailStep>, apps::Error> {
    // The app and version the case was filed under, as its first event says.
    let filed =
        events.first().and_then(|e| Some((e.data.get("app_id")?.as_str()?, e.data.get("app_version")?.as_str()?)));
    let app = match filed {
        Some((app, version)) => apps.load(app, Some(version)).await?,
        None => None,
    };
    let step_name = |id: &str| {
        app.as_ref()
            .and_then(|a| a.compiled.app.step(id))
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| Text::new(id, id))
    };
    let mut out = Vec::new();
    for e in events {
        let step = e.data.get("step").and_then(Value::as_str).unwrap_or_default();
        let what = match e.kind {
            EventKind::CaseSubmitted => Some(Text::new("提出", "Proposed")),
            EventKind::StepCompleted => {
                let name = step_name(step);
                let decision = e.data.pointer("/answers/decision").and_then(Value::as_str);
                Some(match decision {
                    Some(d) => Text::new(format!("{}：{d}", name.zh()), format!("{}: {d}", name.en())),
                    None => Text::new(format!("{} 完成", name.zh()), format!("{} done", name.en())),
                })
            }
            EventKind::ReviewLevelApproved => Some(Text::new("一级审核通过", "A review level approved")),
            EventKind::CaseReturned => Some(Text::new("退回重办", "Sent back")),
            EventKind::VoteOpened => {
                let n = e.data.get("electorate").and_then(Value::as_u64).unwrap_or(0);
                Some(Text::new(format!("投票开始，{n} 人有投票权"), format!("Vote opened, {n} may vote")))
            }
            EventKind::VoteClosed => {
                let n = |k: &str| e.data.get(k).and_then(Value::as_u64).unwrap_or(0);
                let outcome = e.data.get("outcome").and_then(Value::as_str).unwrap_or_default();
                let (zh, en) = match outcome {
                    "passed" => ("通过", "passed"),
                    "failed" => ("未通过", "failed"),
                    _ => ("未达法定人数", "no quorum"),
                };
                Some(Text::new(
                    format!("投票结束：赞成 {} 反对 {} 弃权 {}，{zh}", n("yes"), n("no"), n("abstain")),
                    format!("Vote closed: {} yes, {} no, {} abstain — {en}", n("yes"), n("no"), n("abstain")),
                ))
            }
            EventKind::LedgerBooked => {
                let amount = e.data.get("amount").and_then(Value::as_str).unwrap_or_default();
                Some(Text::new(format!("记账 ¥{amount}"), format!("Booked ¥{amount}")))
            }
            EventKind::CaseClosed => Some(Text::new("办结", "Closed")),
            _ => None,
        };
        if let Some(what) = what {
            out.push(TrailStep { at: e.at, what });
        }
    }
    Ok(out)
}
