//! [`LedgerStore`] for both backends, over [`super::db`]; and [`append_entry`], the
//! in-transaction booking that new cases and transitions share.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use baida_core::ledger::TreeHead;
use baida_core::ledger::entry::{Amount, Direction, Entry, NewEntry, Source};

use super::db::Tx;
use super::ledger::{Balance, EntryFilter, Leaf, LedgerStore};
use super::photo_uses::{PhotoUse, insert_photo_uses};
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{Result, conflict_on_unique};

/// The columns an [`EntryRow`] reads.
const ENTRY_COLUMNS: &str = "id, leaf_index, community_id, account_id, direction, amount_fen, booked_on, \
     counterparty, purpose, evidence, case_id, source, created_by, created_at";

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    leaf_index: i64,
    community_id: String,
    account_id: String,
    direction: String,
    amount_fen: i64,
    booked_on: String,
    counterparty: String,
    purpose: String,
    evidence: Json<Vec<String>>,
    case_id: Option<String>,
    source: String,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<EntryRow> for Entry {
    type Error = super::Error;

    fn try_from(r: EntryRow) -> super::Result<Entry> {
        let bad = |what: &str| super::Error::Conflict(format!("ledger entry {} has an invalid {what}", r.id));
        let account = r.account_id.split_once('/').map(|(_, k)| k.to_string()).unwrap_or(r.account_id.clone());
        Ok(Entry {
            leaf_index: r.leaf_index,
            community_id: r.community_id.clone(),
            account,
            direction: Direction::parse(&r.direction).ok_or_else(|| bad("direction"))?,
            amount_fen: Amount(r.amount_fen),
            amount: Amount(r.amount_fen).yuan(),
            booked_on: NaiveDate::parse_from_str(&r.booked_on, "%Y-%m-%d").map_err(|_| bad("date"))?,
            counterparty: r.counterparty.clone(),
            purpose: r.purpose.clone(),
            evidence: r.evidence.0.clone(),
            case_id: r.case_id.clone(),
            source: Source::parse(&r.source).ok_or_else(|| bad("source"))?,
            created_by: r.created_by.clone(),
            created_at: r.created_at,
            id: r.id,
        })
    }
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    tree_size: i64,
    root_hash: String,
    signed_at: DateTime<Utc>,
    key_id: String,
    algorithm: String,
    signature: String,
}

impl From<HeadRow> for TreeHead {
    fn from(r: HeadRow) -> TreeHead {
        TreeHead {
            tree_size: r.tree_size as u64,
            root_hash: r.root_hash,
            timestamp: r.signed_at,
            key_id: r.key_id,
            algorithm: r.algorithm,
            signature: r.signature,
        }
    }
}

/// The id of a community's account.
fn account_id(community: &str, kind: &str) -> String {
    format!("{community}/{kind}")
}

/// Takes the next leaf index (serializing appends) and writes the leaf.
async fn append_leaf(
    tx: &mut Tx<'_>,
    kind: &str,
    reference: &str,
    at: DateTime<Utc>,
    data: impl FnOnce(i64) -> String,
) -> Result<i64> {
    let (index,): (i64,) = tx
        .one(Sql::new("UPDATE ledger_counter SET next_leaf = next_leaf + 1 WHERE id = 1 RETURNING next_leaf - 1"))
        .await?;
    let data = data(index);
    let hash = hex::encode(baida_core::ledger::merkle::leaf_hash(data.as_bytes()));
    tx.execute(
        Sql::new(
            "INSERT INTO ledger_log (leaf_index, kind, ref, data, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(index)
        .bind(kind)
        .bind(reference)
        .bind(data)
        .bind(hash)
        .bind(at),
    )
    .await?;
    Ok(index)
}

/// Books one entry and its leaf inside `tx`.
pub(crate) async fn append_entry(tx: &mut Tx<'_>, n: &NewEntry) -> Result<Entry> {
    let account = account_id(&n.community_id, &n.account);
    tx.execute(
        Sql::new(
            "INSERT INTO ledger_accounts (id, community_id, kind, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&account)
        .bind(&n.community_id)
        .bind(&n.account)
        .bind(n.created_at),
    )
    .await?;
    let mut entry = None;
    let index = append_leaf(tx, "entry", &n.id, n.created_at, |index| {
        let e = Entry::booked(n, index);
        let data = e.leaf_data();
        entry = Some(e);
        data
    })
    .await?;
    let entry = entry.expect("the leaf was written");
    // Evidence is shown on the public books.
    let evidence: Vec<(String, PhotoUse)> = n.evidence.iter().map(|sha| (sha.clone(), PhotoUse::Public)).collect();
    insert_photo_uses(tx, &evidence, n.created_at).await?;
    tx.execute(
        Sql::new(
            "INSERT INTO ledger_entries (id, leaf_index, account_id, community_id, direction, amount_fen, booked_on, \
             counterparty, purpose, evidence, case_id, source, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&n.id)
        .bind(index)
        .bind(&account)
        .bind(&n.community_id)
        .bind(n.direction.as_str())
        .bind(n.amount.0)
        .bind(n.booked_on.format("%Y-%m-%d").to_string())
        .bind(&n.counterparty)
        .bind(&n.purpose)
        .bind(Json(&n.evidence))
        .bind(&n.case_id)
        .bind(n.source.as_str())
        .bind(&n.created_by)
        .bind(n.created_at),
    )
    .await
    .map_err(|e| conflict_on_unique(e, || format!("ledger entry {} exists already", n.id)))?;
    Ok(entry)
}

const HEAD_SELECT: &str = "SELECT tree_size, root_hash, signed_at, key_id, algorithm, signature FROM ledger_heads";

#[async_trait]
impl LedgerStore for SqlStore {
    async fn book(&self, entries: &[NewEntry]) -> Result<Vec<Entry>> {
        let mut tx = self.db.begin().await?;
        let mut booked = Vec::with_capacity(entries.len());
        for n in entries {
            booked.push(append_entry(&mut tx, n).await?);
        }
        tx.commit().await?;
        Ok(booked)
    }

    async fn entries(&self, f: &EntryFilter) -> Result<Vec<Entry>> {
        let account = match (&f.community, &f.account) {
            (Some(c), Some(a)) => Some(account_id(c, a)),
            _ => None,
        };
        let (from, to) = match f.year {
            Some(y) => (format!("{y:04}-01-01"), format!("{y:04}-12-31")),
            None => ("0000-01-01".to_string(), "9999-12-31".to_string()),
        };
        let order = if f.newest_first { "leaf_index DESC" } else { "leaf_index" };
        let rows: Vec<EntryRow> = self
            .db
            .all(
                Sql::new(format!(
                    "SELECT {ENTRY_COLUMNS} FROM ledger_entries \
                     WHERE (? IS NULL OR community_id = ?) AND (? IS NULL OR account_id = ?) \
                     AND booked_on >= ? AND booked_on <= ? AND leaf_index > ? AND leaf_index < ? \
                     ORDER BY {order} LIMIT ?"
                ))
                .bind(&f.community)
                .bind(&f.community)
                .bind(&account)
                .bind(&account)
                .bind(from)
                .bind(to)
                .bind(f.after_leaf.unwrap_or(-1))
                .bind(f.before_leaf.unwrap_or(i64::MAX))
                .bind(f.limit.unwrap_or(i64::MAX)),
            )
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn entry(&self, id: &str) -> Result<Option<Entry>> {
        let row: Option<EntryRow> = self
            .db
            .optional(Sql::new(format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE id = ?")).bind(id))
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn balances(&self, community: &str) -> Result<Vec<Balance>> {
        let rows: Vec<(String, i64, i64, i64)> = self
            .db
            .all(
                Sql::new(
                    "SELECT a.kind, \
                       CAST(COALESCE(SUM(CASE WHEN e.direction = 'income' THEN e.amount_fen ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.direction = 'expense' THEN e.amount_fen ELSE 0 END), 0) AS BIGINT), \
                       COUNT(e.id) \
                     FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id \
                     WHERE a.community_id = ? GROUP BY a.kind, a.created_at ORDER BY a.created_at, a.kind",
                )
                .bind(community),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(account, income_fen, expense_fen, entries)| Balance { account, income_fen, expense_fen, entries })
            .collect())
    }

    async fn open_accounts(&self, community: &str, kinds: &[&str], at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for kind in kinds {
            tx.execute(
                Sql::new(
                    "INSERT INTO ledger_accounts (id, community_id, kind, created_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(account_id(community, kind))
                .bind(community)
                .bind(*kind)
                .bind(at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn leaves(&self, from: i64, to: i64) -> Result<Vec<Leaf>> {
        let rows: Vec<(i64, String, String, String, String)> = self
            .db
            .all(
                Sql::new(
                    "SELECT leaf_index, kind, ref, data, leaf_hash FROM ledger_log \
                     WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
                )
                .bind(from)
                .bind(to),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(index, kind, reference, data, leaf_hash)| Leaf { index, kind, reference, data, leaf_hash })
            .collect())
    }

    async fn log_size(&self) -> Result<i64> {
        let (n,): (i64,) = self.db.one(Sql::new("SELECT next_leaf FROM ledger_counter WHERE id = 1")).await?;
        Ok(n)
    }

    async fn anchor_case_heads(&self, at: DateTime<Utc>, limit: i64) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        // Take the log's row lock before reading what grew: on PostgreSQL another node anchoring
        // at the same time waits here, then reads the anchors it wrote (SQLite's write
        // transaction holds the database's one write lock already).
        tx.execute(Sql::new("UPDATE ledger_counter SET next_leaf = next_leaf WHERE id = 1")).await?;
        let grown: Vec<(String, i64, String)> = tx
            .all(
                Sql::new(
                    "SELECT c.id, c.event_count, c.head_hash FROM cases c LEFT JOIN ledger_anchors a ON a.case_id = c.id \
                     WHERE a.event_count IS NULL OR a.event_count < c.event_count ORDER BY c.id LIMIT ?",
                )
                .bind(limit),
            )
            .await?;
        for (case_id, seq, hash) in &grown {
            append_leaf(&mut tx, "case_head", case_id, at, |index| {
                baida_core::ledger::entry::case_head_data(index, case_id, *seq, hash)
            })
            .await?;
            tx.execute(
                Sql::new(
                    "INSERT INTO ledger_anchors (case_id, event_count) VALUES (?, ?) \
                     ON CONFLICT (case_id) DO UPDATE SET event_count = excluded.event_count",
                )
                .bind(case_id)
                .bind(*seq),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(grown.len())
    }

    async fn event_hash(&self, case_id: &str, seq: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = self
            .db
            .optional(Sql::new("SELECT hash FROM case_events WHERE case_id = ? AND seq = ?").bind(case_id).bind(seq))
            .await?;
        Ok(row.map(|(h,)| h))
    }

    async fn put_head(&self, h: &TreeHead) -> Result<()> {
        self.db
            .execute(
                Sql::new(
                    "INSERT INTO ledger_heads (tree_size, root_hash, signed_at, key_id, algorithm, signature) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
                )
                .bind(h.tree_size as i64)
                .bind(&h.root_hash)
                .bind(h.timestamp)
                .bind(&h.key_id)
                .bind(&h.algorithm)
                .bind(&h.signature),
            )
            .await?;
        Ok(())
    }

    async fn latest_head(&self) -> Result<Option<TreeHead>> {
        let row: Option<HeadRow> =
            self.db.optional(Sql::new(HEAD_SELECT).push(" ORDER BY tree_size DESC LIMIT 1")).await?;
        Ok(row.map(Into::into))
    }

    async fn head(&self, tree_size: i64) -> Result<Option<TreeHead>> {
        let row: Option<HeadRow> =
            self.db.optional(Sql::new(HEAD_SELECT).push(" WHERE tree_size = ?").bind(tree_size)).await?;
        Ok(row.map(Into::into))
    }

    async fn heads(&self) -> Result<Vec<TreeHead>> {
        let rows: Vec<HeadRow> = self.db.all(Sql::new(HEAD_SELECT).push(" ORDER BY tree_size")).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
