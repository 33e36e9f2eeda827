//! `baida ledger …`: verify the log from the database, import entries from CSV, apply the
//! year-end rule, print the latest signed head. The same rules as the API apply; the signing
//! key is the one in the data folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use baida_engine::SystemClock;
use baida_engine::ledger::{Ledger, LedgerError};
use baida_store::Store;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the whole log: every leaf, entry, anchored case chain and signed head. Prints
    /// the first entry that was changed, removed or inserted out of order; exits 1 if any.
    Verify,
    /// Import entries from a CSV file (date,direction,amount,counterparty,purpose, with a
    /// header row) into one account of a community; all rows are checked first.
    Import {
        /// The community's org unit id.
        #[arg(long)]
        community: String,
        /// The account, e.g. property_fees.
        #[arg(long)]
        account: String,
        /// The CSV file (UTF-8, a BOM allowed).
        file: PathBuf,
    },
    /// Move a share of an account's surplus for a year into the community fund.
    CloseYear {
        #[arg(long)]
        community: String,
        #[arg(long)]
        year: i32,
        /// Share of the surplus, 0–1.
        #[arg(long, default_value_t = baida_engine::ledger::year_end::DEFAULT_SHARE)]
        share: f64,
        /// The account whose surplus is shared.
        #[arg(long, default_value = "public_income")]
        from: String,
    },
    /// Seal the log (anchor case chains, sign a new head when it grew) and print the head.
    Head,
}

pub async fn run(store: Arc<dyn Store>, data_dir: &Path, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    let ledger = Ledger::open(store, data_dir, Arc::new(SystemClock))?;
    match command {
        LedgerCommand::Verify => {
            let report = ledger.verify().await?;
            for f in &report.findings {
                println!("TAMPERED {}", f.message.en());
                println!("         {}", f.message.zh());
            }
            if let Some(first) = report.first() {
                println!(
                    "FIRST: {}{}",
                    first.entry.as_deref().map(|e| format!("entry {e}: ")).unwrap_or_default(),
                    first.message.en()
                );
            }
            println!(
                "verified {} leaves, {} entries, {} signed heads: {} problem(s); root {}",
                report.leaves,
                report.entries,
                report.heads,
                report.findings.len(),
                report.root
            );
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        LedgerCommand::Import { community, account, file } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            match ledger.import_csv(&community, &account, &bytes, "cli").await {
                Ok(entries) => {
                    println!("booked {} entries into {community}/{account}", entries.len());
                    Ok(ExitCode::SUCCESS)
                }
                Err(LedgerError::Invalid(why)) => {
                    eprintln!("{}: {}\n{}", file.display(), why.en(), why.zh());
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        LedgerCommand::CloseYear { community, year, share, from } => {
            match ledger.close_year(&community, year, &from, share).await {
                Ok(entries) => {
                    let amount = entries.first().map(|e| e.amount.clone()).unwrap_or_default();
                    println!("moved ¥{amount} from {from} into community_fund of {community} for {year}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(LedgerError::Invalid(why)) => {
                    eprintln!("{}\n{}", why.en(), why.zh());
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        LedgerCommand::Head => {
            ledger.seal().await?;
            match ledger.head().await? {
                Some(h) => println!("{}", serde_json::to_string_pretty(&h)?),
                None => println!("the log is empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
