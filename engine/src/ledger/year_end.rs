//! The year-end rule: a share of an account's surplus for the year (default 30% of public
//! income) moves into the community fund, as two entries like any other — an expense on the
//! source account and an income on `community_fund` — booked once per community and year.

use baida_blocks::Text;
use chrono::NaiveDate;

use super::entry::{Amount, Direction, Entry, NewEntry, Source};
use super::{Ledger, LedgerError};
use baida_store::ledger::EntryFilter;

/// The default share of the surplus that goes to the community fund.
pub const DEFAULT_SHARE: f64 = 0.30;

impl Ledger {
    /// Moves `share` (0–1) of `from`'s surplus in `year` into the community fund.
    pub async fn close_year(
        &self,
        community: &str,
        year: i32,
        from: &str,
        share: f64,
    ) -> Result<Vec<Entry>, LedgerError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(LedgerError::Invalid(Text::new("比例应在 0 到 1 之间", "The share must be between 0 and 1")));
        }
        let entries = self
            .store()
            .entries(&EntryFilter {
                community: Some(community.into()),
                account: Some(from.into()),
                year: Some(year),
                ..Default::default()
            })
            .await?;
        let surplus: i64 = entries
            .iter()
            .map(|e| match e.direction {
                Direction::Income => e.amount_fen.0,
                Direction::Expense => -e.amount_fen.0,
            })
            .sum();
        // Whole fen, rounded down: basis points × fen / 10,000.
        let moved = Amount(surplus.max(0) * (share * 10_000.0).round() as i64 / 10_000);
        if moved.0 <= 0 {
            return Err(LedgerError::Invalid(Text::new(
                format!("{year} 年该账户没有结余（{}），无需转入社区基金", Amount(surplus)),
                format!(
                    "The account has no surplus for {year} ({}): nothing moves to the community fund",
                    Amount(surplus)
                ),
            )));
        }
        let at = self.now();
        let booked_on = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
        let purpose = format!("{year} 年度结余 {} 的 {:.0}% 转入社区基金", Amount(surplus), share * 100.0);
        let entry = |suffix: &str, account: &str, direction| NewEntry {
            id: format!("year-end-{community}-{year}-{suffix}"),
            community_id: community.to_string(),
            account: account.to_string(),
            direction,
            amount: moved,
            booked_on,
            counterparty: "社区基金 Community fund".into(),
            purpose: purpose.clone(),
            evidence: Vec::new(),
            case_id: None,
            source: Source::Rule,
            created_by: "rule:year-end".into(),
            created_at: at,
        };
        let both = [entry("out", from, Direction::Expense), entry("in", "community_fund", Direction::Income)];
        self.book(&both).await.map_err(|e| match e {
            LedgerError::Store(baida_store::Error::Conflict(_)) => LedgerError::Invalid(Text::new(
                format!("{community} 的 {year} 年度结余已经转过"),
                format!("The {year} surplus of {community} has been moved already"),
            )),
            other => other,
        })
    }
}
