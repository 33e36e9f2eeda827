//! Recomputes the whole log from the database and says what no longer holds: a leaf missing
//! or out of place, an entry changed, removed or inserted outside the log, a case's event
//! chain changed after it was anchored, a signed head that the leaves no longer give.
//! `baida ledger verify` prints this report; the server runs it before it signs a head.

use std::collections::HashMap;

use baida_blocks::Text;
use serde::Serialize;
use serde_json::Value;

use super::merkle::{self, Hash};
use super::signing::Signer25519;
use baida_store::ledger::EntryFilter;
use baida_store::{self as store, Store};

/// One thing that no longer verifies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The leaf it concerns, when there is one.
    pub leaf: Option<i64>,
    /// The entry it concerns, when there is one.
    pub entry: Option<String>,
    pub message: Text,
}

/// What a verification found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub leaves: i64,
    pub entries: usize,
    pub heads: usize,
    /// In log order; empty when everything verifies.
    pub findings: Vec<Finding>,
    /// The root of all leaves, hex.
    pub root: String,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// The first thing that went wrong, in log order.
    pub fn first(&self) -> Option<&Finding> {
        self.findings.first()
    }
}

fn finding(leaf: Option<i64>, entry: Option<&str>, zh: String, en: String) -> Finding {
    Finding { leaf, entry: entry.map(str::to_string), message: Text::new(zh, en) }
}

/// The fields in which two JSON objects differ.
fn changed_fields(stored: &str, now: &str) -> Vec<String> {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::from_str::<Value>(stored), serde_json::from_str::<Value>(now))
    else {
        return vec!["(all)".into()];
    };
    let mut keys: Vec<String> = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Verifies the log, its entries and its signed heads.
pub async fn verify(store: &dyn Store, signer: &Signer25519) -> Result<Report, store::Error> {
    let size = store.log_size().await?;
    let leaves = store.leaves(0, size).await?;
    let entries = store.entries(&EntryFilter::default()).await?;
    let heads = store.heads().await?;
    let mut findings = Vec::new();
    let by_id: HashMap<&str, &baida_core::ledger::entry::Entry> = entries.iter().map(|e| (e.id.as_str(), e)).collect();

    let mut hashes: Vec<Hash> = Vec::with_capacity(leaves.len());
    let mut expected = 0i64;
    for leaf in &leaves {
        if leaf.index != expected {
            findings.push(finding(
                Some(expected),
                None,
                format!("日志第 {expected} 项缺失（被删除）"),
                format!("leaf {expected} of the log is missing (deleted)"),
            ));
            expected = leaf.index;
        }
        expected += 1;
        let computed = merkle::leaf_hash(leaf.data.as_bytes());
        hashes.push(computed);
        if hex::encode(computed) != leaf.leaf_hash {
            findings.push(finding(
                Some(leaf.index),
                None,
                format!("日志第 {} 项的哈希与内容不符", leaf.index),
                format!("leaf {}: its hash does not match its data", leaf.index),
            ));
        }
        match leaf.kind.as_str() {
            "entry" => match by_id.get(leaf.reference.as_str()) {
                None => findings.push(finding(
                    Some(leaf.index),
                    Some(&leaf.reference),
                    format!("账目 {}（日志第 {} 项）被删除", leaf.reference, leaf.index),
                    format!("entry {} (leaf {}) was removed", leaf.reference, leaf.index),
                )),
                Some(e) if e.leaf_index != leaf.index => findings.push(finding(
                    Some(leaf.index),
                    Some(&e.id),
                    format!("账目 {} 的位置被改动：记录写第 {} 项，日志在第 {} 项", e.id, e.leaf_index, leaf.index),
                    format!(
                        "entry {} was moved: its row says leaf {}, the log has it at leaf {}",
                        e.id, e.leaf_index, leaf.index
                    ),
                )),
                Some(e) => {
                    let now = e.leaf_data();
                    if now != leaf.data {
                        let fields = changed_fields(&leaf.data, &now).join(", ");
                        findings.push(finding(
                            Some(leaf.index),
                            Some(&e.id),
                            format!("账目 {}（日志第 {} 项）被修改：{fields}", e.id, leaf.index),
                            format!("entry {} (leaf {}) was changed: {fields}", e.id, leaf.index),
                        ));
                    }
                }
            },
            "case_head" => {
                let data: Value = serde_json::from_str(&leaf.data).unwrap_or(Value::Null);
                let seq = data["seq"].as_i64().unwrap_or(-1);
                let hash = data["hash"].as_str().unwrap_or_default();
                if store.event_hash(&leaf.reference, seq).await?.as_deref() != Some(hash) {
                    findings.push(finding(
                        Some(leaf.index),
                        None,
                        format!("案件 {} 的事件链在锚定（日志第 {} 项）后被改动", leaf.reference, leaf.index),
                        format!(
                            "case {}: its event chain changed after it was anchored at leaf {}",
                            leaf.reference, leaf.index
                        ),
                    ));
                }
            }
            other => findings.push(finding(
                Some(leaf.index),
                None,
                format!("日志第 {} 项的类型“{other}”未知", leaf.index),
                format!("leaf {}: unknown kind “{other}”", leaf.index),
            )),
        }
    }
    if expected < size {
        findings.push(finding(
            Some(expected),
            None,
            format!("日志第 {expected} 项起缺失（被删除）"),
            format!("leaves from {expected} on are missing (deleted)"),
        ));
    }
    // Entries the log does not hold where their row says.
    let refs: HashMap<i64, &str> =
        leaves.iter().filter(|l| l.kind == "entry").map(|l| (l.index, l.reference.as_str())).collect();
    let logged: std::collections::HashSet<&str> = refs.values().copied().collect();
    for e in &entries {
        if refs.get(&e.leaf_index) != Some(&e.id.as_str()) && !logged.contains(e.id.as_str()) {
            findings.push(finding(
                Some(e.leaf_index),
                Some(&e.id),
                format!("账目 {} 不在日志中（绕过日志插入）", e.id),
                format!("entry {} is not in the log (inserted outside it)", e.id),
            ));
        }
    }
    // Every signed head must still be what the leaves give, signed by this server's key.
    for head in &heads {
        let n = head.tree_size as usize;
        let root = if n <= hashes.len() { Some(hex::encode(merkle::root(&hashes[..n]))) } else { None };
        if root.as_deref() != Some(head.root_hash.as_str()) {
            findings.push(finding(
                Some(head.tree_size as i64 - 1),
                None,
                format!("已签名的树头（{} 项）与现有日志不符：日志被改写", head.tree_size),
                format!(
                    "the signed tree head of size {} no longer matches the log: the log was rewritten",
                    head.tree_size
                ),
            ));
        } else if !signer.verify(head) {
            findings.push(finding(
                Some(head.tree_size as i64 - 1),
                None,
                format!("树头（{} 项）的签名无效", head.tree_size),
                format!("the tree head of size {} has an invalid signature", head.tree_size),
            ));
        }
    }
    findings.sort_by_key(|f| f.leaf.unwrap_or(i64::MAX));
    Ok(Report {
        leaves: leaves.len() as i64,
        entries: entries.len(),
        heads: heads.len(),
        findings,
        root: hex::encode(merkle::root(&hashes)),
    })
}
