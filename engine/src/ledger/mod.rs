//! The community ledger (公开账本): accounts and entries any resident can read, every entry
//! and every case's event-chain head in an append-only Merkle log (RFC 6962) whose tree heads
//! the server signs with Ed25519, so that "cannot be altered" is checkable by anyone.
//!
//! Reading order: [`entry`] (amounts, accounts, what an entry's leaf hashes), [`merkle`] (the
//! tree and its proofs), [`signing`] (the key and signed heads), [`Ledger`] here (sealing,
//! proofs, imports, the year-end rule), [`books`] (reading the books and decision trails),
//! [`audit`] (`baida ledger verify`), [`export`] (CSV, XLSX). Entries are only booked by the
//! `ledger` block at the pay step of an approved case (`engine::booking`), by a recorded CSV
//! import, or by the year-end rule.

pub mod audit;
pub mod books;
pub mod export;
pub mod proposal;
pub mod signing;
pub mod year_end;

pub use baida_core::ledger::{entry, merkle};

use std::path::Path;
use std::sync::Arc;

use baida_blocks::Text;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use self::entry::{Amount, Direction, Entry, NewEntry, Source};
use self::merkle::Hash;
use self::signing::{Signer25519, TreeHead};
use baida_core::clock::Clock;
use baida_store::{self as store, Store};

/// Case heads anchored per seal, at most.
const ANCHORS_PER_SEAL: i64 = 10_000;

/// Why a ledger operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{}", .0.en())]
    Invalid(Text),
    /// The log no longer verifies: nothing is signed over it.
    #[error("the ledger log no longer verifies: {}", .0.first().map(|f| f.message.en().to_string()).unwrap_or_default())]
    Tampered(Box<audit::Report>),
    #[error("no such entry")]
    UnknownEntry,
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// An inclusion proof of one entry against a signed head.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub entry_id: String,
    pub leaf_index: u64,
    /// The exact text the leaf hashes.
    pub leaf_data: String,
    /// SHA-256(0x00 || leaf_data), hex.
    pub leaf_hash: String,
    /// The audit path, hex, from the leaf's sibling up.
    pub proof: Vec<String>,
    pub head: TreeHead,
}

/// The ledger service: the store, the signing key and the clock.
pub struct Ledger {
    store: Arc<dyn Store>,
    signer: Signer25519,
    clock: Arc<dyn Clock>,
    /// One seal at a time.
    sealing: tokio::sync::Mutex<()>,
}

impl Ledger {
    /// Opens the ledger with the signing key kept in `data_dir` (made on first start).
    pub fn open(store: Arc<dyn Store>, data_dir: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Ledger> {
        Ok(Ledger { store, signer: Signer25519::load_or_create(data_dir)?, clock, sealing: Default::default() })
    }

    pub fn key_id(&self) -> &str {
        &self.signer.key_id
    }

    /// The signing key's public half, base64 (for verifiers).
    pub fn public_key(&self) -> String {
        self.signer.public_key()
    }

    /// Anchors the heads of case event chains that grew, verifies the whole log, and signs a
    /// new tree head when the log grew. Refuses — loudly — to sign over a log that no longer
    /// verifies.
    pub async fn seal(&self) -> Result<Option<TreeHead>, LedgerError> {
        let _one = self.sealing.lock().await;
        let now = self.clock.now();
        self.store.anchor_case_heads(now, ANCHORS_PER_SEAL).await?;
        let report = audit::verify(self.store.as_ref(), &self.signer).await?;
        if !report.ok() {
            for f in &report.findings {
                tracing::error!(leaf = ?f.leaf, entry = ?f.entry, "LEDGER LOG TAMPERED: {}", f.message.en());
            }
            return Err(LedgerError::Tampered(Box::new(report)));
        }
        let latest = self.store.latest_head().await?;
        if latest.as_ref().is_some_and(|h| h.tree_size as i64 == report.leaves) {
            return Ok(None);
        }
        let root: Hash = hex::decode(&report.root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| LedgerError::Invalid(Text::new("日志根哈希无效", "The log root is not a hash")))?;
        let head = self.signer.sign(report.leaves as u64, &root, NewEntry::now(now));
        self.store.put_head(&head).await?;
        Ok(Some(head))
    }

    /// The latest signed head, sealing first when the log has grown since.
    pub async fn head(&self) -> Result<Option<TreeHead>, LedgerError> {
        let size = self.store.log_size().await?;
        let latest = self.store.latest_head().await?;
        if size > 0 && latest.as_ref().is_none_or(|h| (h.tree_size as i64) < size) {
            self.seal().await?;
            return Ok(self.store.latest_head().await?);
        }
        Ok(latest)
    }

    async fn leaf_hashes(&self, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let leaves = self.store.leaves(0, size as i64).await?;
        Ok(leaves.iter().map(|l| merkle::leaf_hash(l.data.as_bytes())).collect())
    }

    /// The proof that entry `id` is in the log, against the latest signed head.
    pub async fn inclusion(&self, id: &str) -> Result<InclusionProof, LedgerError> {
        let entry = self.store.entry(id).await?.ok_or(LedgerError::UnknownEntry)?;
        let head = self.head().await?.ok_or(LedgerError::UnknownEntry)?;
        let hashes = self.leaf_hashes(head.tree_size).await?;
        let index = entry.leaf_index as usize;
        let proof = merkle::inclusion_proof(index, &hashes).ok_or(LedgerError::UnknownEntry)?;
        let leaf = self.store.leaves(entry.leaf_index, entry.leaf_index + 1).await?;
        let leaf = leaf.into_iter().next().ok_or(LedgerError::UnknownEntry)?;
        Ok(InclusionProof {
            entry_id: entry.id,
            leaf_index: index as u64,
            leaf_hash: hex::encode(hashes[index]),
            leaf_data: leaf.data,
            proof: proof.iter().map(hex::encode).collect(),
            head,
        })
    }

    /// The proof that the log at `old` leaves is a prefix of the log at `new` (both signed).
    pub async fn consistency(&self, old: u64, new: u64) -> Result<Vec<String>, LedgerError> {
        let bad = || {
            LedgerError::Invalid(Text::new(
                format!("无法给出从 {old} 到 {new} 的一致性证明：需要 0 < 旧规模 ≤ 新规模 ≤ 已签名规模"),
                format!("No consistency proof from {old} to {new}: it needs 0 < old ≤ new ≤ a signed size"),
            ))
        };
        let head = self.head().await?.ok_or_else(bad)?;
        if old == 0 || old > new || new > head.tree_size {
            return Err(bad());
        }
        let hashes = self.leaf_hashes(new).await?;
        let proof = merkle::consistency_proof(old as usize, &hashes).ok_or_else(bad)?;
        Ok(proof.iter().map(hex::encode).collect())
    }

    /// Verifies everything (`baida ledger verify`).
    pub async fn verify(&self) -> Result<audit::Report, LedgerError> {
        Ok(audit::verify(self.store.as_ref(), &self.signer).await?)
    }

    /// Books entries read from a CSV file into `account` of `community`, as one import that is
    /// itself an entry's provenance (`source = import`, the file's SHA-256 in each purpose).
    /// Columns: `date,direction,amount,counterparty,purpose` (a header row is required).
    pub async fn import_csv(
        &self,
        community: &str,
        account: &str,
        csv: &[u8],
        by: &str,
    ) -> Result<Vec<Entry>, LedgerError> {
        let rows = parse_csv(csv)?;
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(csv));
        let import_id = format!("import-{}", &digest[..16]);
        let now = NewEntry::now(self.clock.now());
        let entries: Vec<NewEntry> = rows
            .into_iter()
            .map(|(booked_on, direction, amount, counterparty, purpose)| NewEntry {
                id: Uuid::now_v7().to_string(),
                community_id: community.to_string(),
                account: account.to_string(),
                direction,
                amount,
                booked_on,
                counterparty,
                purpose: format!("{purpose}（{import_id}）"),
                evidence: Vec::new(),
                case_id: None,
                source: Source::Import,
                created_by: by.to_string(),
                created_at: now,
            })
            .collect();
        if !entry::valid_account_kind(account) {
            return Err(LedgerError::Invalid(Text::new(
                format!("账户名“{account}”只能用小写字母、数字和下划线"),
                format!("The account “{account}” may use lowercase letters, digits and _ only"),
            )));
        }
        Ok(self.store.book(&entries).await?)
    }

    /// Books entries made elsewhere (the year-end rule).
    pub(crate) async fn book(&self, entries: &[NewEntry]) -> Result<Vec<Entry>, LedgerError> {
        Ok(self.store.book(entries).await?)
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        NewEntry::now(self.clock.now())
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

type CsvRow = (NaiveDate, Direction, Amount, String, String);

/// Reads `date,direction,amount,counterparty,purpose` rows (UTF-8, a BOM allowed, a header
/// row first). Every row is checked before anything is booked.
fn parse_csv(bytes: &[u8]) -> Result<Vec<CsvRow>, LedgerError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| LedgerError::Invalid(Text::new("文件不是 UTF-8 编码", "The file is not UTF-8")))?;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let bad = |zh: &str, en: &str| {
            LedgerError::Invalid(Text::new(format!("第 {line} 行：{zh}"), format!("line {line}: {en}")))
        };
        let record = record.map_err(|_| bad("无法读取", "cannot be read"))?;
        if record.len() != 5 {
            return Err(bad(
                "应有 5 列：日期,收支,金额,对方,用途",
                "needs 5 columns: date,direction,amount,counterparty,purpose",
            ));
        }
        let date = NaiveDate::parse_from_str(record[0].trim(), "%Y-%m-%d")
            .map_err(|_| bad("日期应写成 2026-01-31", "the date must look like 2026-01-31"))?;
        let direction = match record[1].trim() {
            "income" | "收入" => Direction::Income,
            "expense" | "支出" => Direction::Expense,
            _ => return Err(bad("收支应是 income/收入 或 expense/支出", "direction must be income or expense")),
        };
        let amount = Amount::parse(&record[2])
            .filter(|a| a.0 > 0)
            .ok_or_else(|| bad("金额应大于 0、最多两位小数", "the amount must be above 0 with at most two decimals"))?;
        let (counterparty, purpose) = (record[3].trim().to_string(), record[4].trim().to_string());
        if purpose.is_empty() {
            return Err(bad("用途不能为空", "the purpose is empty"));
        }
        rows.push((date, direction, amount, counterparty, purpose));
    }
    if rows.is_empty() {
        return Err(LedgerError::Invalid(Text::new("文件里没有账目", "The file has no entries")));
    }
    Ok(rows)
}

/// Seals the log every `every` (anchoring case heads, signing a head when it grew).
pub fn spawn_sealer(
    ledger: Arc<Ledger>,
    every: std::time::Duration,
    mut stopping: crate::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Not at once: a server that starts has other writes to do first.
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.stopped() => return,
            }
            match ledger.seal().await {
                Ok(_) => {}
                // Already logged, finding by finding.
                Err(LedgerError::Tampered(_)) => {}
                Err(e) => tracing::warn!(error = %e, "sealing the ledger log failed"),
            }
        }
    })
}
