//! Accounts, amounts and entries, and the exact bytes an entry puts in the log.

use std::fmt;

use baida_blocks::Text;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

/// An amount of money in CNY, held exactly as a whole number of fen (分, 0.01 yuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    /// Parses `1234`, `1234.5`, `1,234.56` or `¥1234.56` (at most two decimals; no rounding).
    pub fn parse(text: &str) -> Option<Amount> {
        let s: String = text.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, s),
        };
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        let fen = whole.checked_mul(100)?.checked_add(frac)?;
        Some(Amount(if negative { -fen } else { fen }))
    }

    /// From a JSON value: a number (yuan) or a string as [`Amount::parse`] reads it.
    pub fn from_json(value: &serde_json::Value) -> Option<Amount> {
        match value {
            serde_json::Value::String(s) => Amount::parse(s),
            serde_json::Value::Number(n) => Amount::parse(&n.to_string()),
            _ => None,
        }
    }

    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.yuan())
    }
}

/// Money in or money out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Income,
    Expense,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Income => "income",
            Direction::Expense => "expense",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "income" => Some(Direction::Income),
            "expense" => Some(Direction::Expense),
            _ => None,
        }
    }
}

/// The accounts every community has; others may be named freely (lowercase, `_`).
pub const ACCOUNT_KINDS: [(&str, &str, &str); 4] = [
    ("property_fees", "物业费", "Property fees"),
    ("public_income", "公共收益", "Public income"),
    ("maintenance_fund", "维修资金", "Maintenance fund"),
    ("community_fund", "社区基金", "Community fund"),
];

/// An account's name for people.
pub fn account_name(kind: &str) -> Text {
    ACCOUNT_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, zh, en)| Text::new(*zh, *en))
        .unwrap_or_else(|| Text::new(kind, kind))
}

/// Whether `kind` can name an account.
pub fn valid_account_kind(kind: &str) -> bool {
    (1..=40).contains(&kind.len()) && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The `ledger` block at the pay step of an approved case.
    Case,
    /// An authorised bulk import (CSV), itself recorded.
    Import,
    /// The year-end rule moving a share of the surplus to the community fund.
    Rule,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Case => "case",
            Source::Import => "import",
            Source::Rule => "rule",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "case" => Some(Source::Case),
            "import" => Some(Source::Import),
            "rule" => Some(Source::Rule),
            _ => None,
        }
    }
}

/// An entry to be booked (the log gives it its leaf index).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub id: String,
    pub community_id: String,
    pub account: String,
    pub direction: Direction,
    pub amount: Amount,
    pub booked_on: NaiveDate,
    pub counterparty: String,
    pub purpose: String,
    /// SHA-256 of the evidence photos (receipts, contracts).
    pub evidence: Vec<String>,
    /// The case whose decision trail authorised it.
    pub case_id: Option<String>,
    pub source: Source,
    pub created_by: String,
    /// Kept to the millisecond, as both databases store it and the log hashes it.
    pub created_at: DateTime<Utc>,
}

impl NewEntry {
    /// The time an entry is made, to the millisecond.
    pub fn now(at: DateTime<Utc>) -> DateTime<Utc> {
        at.trunc_subsecs(3)
    }
}

/// A booked entry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: String,
    pub leaf_index: i64,
    pub community_id: String,
    pub account: String,
    #[schema(value_type = String)]
    pub direction: Direction,
    /// Fen (0.01 CNY).
    #[schema(value_type = i64)]
    pub amount_fen: Amount,
    /// Yuan, exact, e.g. `"1234.50"`.
    pub amount: String,
    pub booked_on: NaiveDate,
    pub counterparty: String,
    pub purpose: String,
    pub evidence: Vec<String>,
    pub case_id: Option<String>,
    #[schema(value_type = String)]
    pub source: Source,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Entry {
    pub fn booked(n: &NewEntry, leaf_index: i64) -> Entry {
        Entry {
            id: n.id.clone(),
            leaf_index,
            community_id: n.community_id.clone(),
            account: n.account.clone(),
            direction: n.direction,
            amount_fen: n.amount,
            amount: n.amount.yuan(),
            booked_on: n.booked_on,
            counterparty: n.counterparty.clone(),
            purpose: n.purpose.clone(),
            evidence: n.evidence.clone(),
            case_id: n.case_id.clone(),
            source: n.source,
            created_by: n.created_by.clone(),
            created_at: n.created_at,
        }
    }

    /// The exact text this entry's leaf hashes: JSON with a fixed field order, amounts in fen,
    /// times in RFC 3339 UTC to the millisecond. The verifier recomputes it from the row.
    pub fn leaf_data(&self) -> String {
        #[derive(Serialize)]
        struct Leaf<'a> {
            v: u8,
            kind: &'static str,
            leaf: i64,
            id: &'a str,
            community: &'a str,
            account: &'a str,
            direction: &'static str,
            amount_fen: i64,
            booked_on: String,
            counterparty: &'a str,
            purpose: &'a str,
            evidence: &'a [String],
            case: Option<&'a str>,
            source: &'static str,
            created_by: &'a str,
            created_at: String,
        }
        serde_json::to_string(&Leaf {
            v: 1,
            kind: "entry",
            leaf: self.leaf_index,
            id: &self.id,
            community: &self.community_id,
            account: &self.account,
            direction: self.direction.as_str(),
            amount_fen: self.amount_fen.0,
            booked_on: self.booked_on.format("%Y-%m-%d").to_string(),
            counterparty: &self.counterparty,
            purpose: &self.purpose,
            evidence: &self.evidence,
            case: self.case_id.as_deref(),
            source: self.source.as_str(),
            created_by: &self.created_by,
            created_at: self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
        .expect("an entry serializes")
    }
}

/// The text of a leaf that anchors a case's event chain: its head after `seq` events.
pub fn case_head_data(leaf: i64, case_id: &str, seq: i64, hash: &str) -> String {
    serde_json::json!({"v": 1, "kind": "case_head", "leaf": leaf, "case": case_id, "seq": seq, "hash": hash})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(Amount::parse("1234.5"), Some(Amount(123_450)));
        assert_eq!(Amount::parse("¥1,234.56"), Some(Amount(123_456)));
        assert_eq!(Amount::parse("0.07"), Some(Amount(7)));
        assert_eq!(Amount::parse("12"), Some(Amount(1200)));
        assert_eq!(Amount::parse("1.234"), None, "no rounding");
        assert_eq!(Amount::parse("abc"), None);
        assert_eq!(Amount::parse(""), None);
        assert_eq!(Amount::parse("1e5"), None);
        assert_eq!(Amount(123_405).to_string(), "¥1234.05");
        assert_eq!(Amount::from_json(&serde_json::json!(88.8)), Some(Amount(8880)));
    }
}
