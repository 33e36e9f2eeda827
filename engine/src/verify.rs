//! `baida verify`: walks every case and every register row and checks each one's hash chain
//! (a case's events, a row's history) against its recorded head.

use crate::event::{self, Break};
use baida_store::{self as store, Store};

/// A case whose chain is broken.
#[derive(Debug, Clone)]
pub struct Broken {
    pub case_id: String,
    pub number: String,
    pub why: Break,
}

/// The result of a verification run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cases: u64,
    pub events: u64,
    pub broken: Vec<Broken>,
    pub rows: u64,
    pub row_events: u64,
    pub broken_rows: Vec<BrokenRow>,
}

/// A register row whose history is broken.
#[derive(Debug, Clone)]
pub struct BrokenRow {
    pub row_id: String,
    /// `app/register`, and the row's key in its community.
    pub register: String,
    pub key: String,
    pub why: Break,
}

/// Verifies every case in the store, a page at a time.
pub async fn verify_all(store: &dyn Store) -> Result<Report, store::Error> {
    let mut report = Report::default();
    let mut after = 0;
    loop {
        let page = store.cases_after(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for case in page {
            let events = store.events(&case.id).await?;
            report.cases += 1;
            report.events += events.len() as u64;
            if let Err(why) = event::verify(&events, case.event_count, &case.head_hash) {
                report.broken.push(Broken { case_id: case.id, number: case.number, why });
            }
        }
    }
    let mut after = 0;
    loop {
        let page = store.rows_after(after, 500).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, row) in page {
            let events = store.row_events(&row.id).await?;
            report.rows += 1;
            report.row_events += events.len() as u64;
            if let Err(why) = baida_core::chain::verify(&events, row.event_count, &row.head_hash) {
                report.broken_rows.push(BrokenRow {
                    row_id: row.id,
                    register: format!("{}/{}", row.app_id, row.register_id),
                    key: row.key,
                    why,
                });
            }
        }
    }
    Ok(report)
}
