//! `baida catalog list | show | publish | install | upgrade`: the district catalog from a
//! terminal, against the same database the server uses, through the same domain calls as the
//! API ([`baida_engine::catalog`]). The operator acts as `cli`; `publish --approve` also completes
//! the review case as the operator (`admin` on its timeline).
//!
//! `install` takes several apps and several communities (or `--all-communities`) and shows
//! its progress one line per install, `[3/12]`, so a bulk roll-out can be followed and, when
//! interrupted, run again: what is installed already is skipped.

use baida_core::kinds::UnitKind;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use baida_blocks::{Lang, Text};
use clap::Subcommand;

use baida_engine::SystemClock;
use baida_engine::apps::Apps;
use baida_engine::auth::Actor;
use baida_engine::catalog::{Catalog, Decision, Error, NewSubmission, Side};
use baida_store::Store;
use baida_web::config::Config;

const ACTOR: &str = "cli";

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The published apps: id, newest version, installs, name.
    List {
        /// Only this category (e.g. vehicle) …
        #[arg(long)]
        category: Option<String>,
        /// … or this scenario of the data dictionary (e.g. move-car).
        #[arg(long)]
        scenario: Option<String>,
        /// Words in the name or description.
        #[arg(long)]
        search: Option<String>,
    },
    /// One published app: description, versions and changelogs, where it is installed.
    Show { app: String },
    /// Submit a saved app version to the catalog; with --approve, also approve it (operator).
    Publish {
        app: String,
        /// The version (default: the latest saved).
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        description_zh: String,
        #[arg(long)]
        description_en: Option<String>,
        #[arg(long)]
        changelog_zh: String,
        #[arg(long)]
        changelog_en: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        scenario: Option<String>,
        /// Approve at once, as the district's operator.
        #[arg(long)]
        approve: bool,
    },
    /// Install published apps into communities, showing progress; installed ones are skipped.
    Install {
        /// One or more published app ids.
        #[arg(required = true)]
        apps: Vec<String>,
        /// A community to install into (repeatable).
        #[arg(long = "community")]
        communities: Vec<String>,
        /// Every community that is not retired.
        #[arg(long)]
        all_communities: bool,
    },
    /// Upgrade an installed copy to the newest published version, keeping local changes. Prints
    /// the diff; with conflicts, prints them and changes nothing unless --keep decides them all.
    Upgrade {
        /// The installed copy's app id, e.g. nuoche-e-zhan-xinzhou.
        app: String,
        /// Decide every conflict: mine (keep the community's) or theirs (take the new version's).
        #[arg(long)]
        keep: Option<String>,
        /// Only show what would change.
        #[arg(long)]
        dry_run: bool,
    },
}

fn both(t: &Text) -> String {
    if t.en() == t.zh() { t.zh().to_string() } else { format!("{} / {}", t.zh(), t.en()) }
}

fn text(v: &serde_json::Value) -> String {
    serde_json::from_value::<Text>(v.clone()).map(|t| both(&t)).unwrap_or_default()
}

/// Prints why something was refused (both languages), for exit code 1.
fn refused(e: &Error) {
    match e {
        Error::Invalid(problems) => {
            for p in problems {
                eprintln!("{}: {} ({})", p.pointer, both(&p.message), p.code);
            }
        }
        Error::MergeConflicts(conflicts) => {
            for c in conflicts {
                eprintln!("CONFLICT {}: {}", c.path, c.summary.get(Lang::ZhCn));
            }
        }
        Error::NotFound(t) | Error::Conflict(t) => eprintln!("{}", both(t)),
        other => eprintln!("{other}"),
    }
}

/// Runs `baida catalog …`.
pub async fn run(store: Arc<dyn Store>, config: &Config, command: CatalogCommand) -> anyhow::Result<ExitCode> {
    let clock = Arc::new(SystemClock);
    let apps = Arc::new(Apps::new(store.clone(), Arc::new(baida_catalog::dictionary()), clock.clone()));
    let catalog = Catalog::new(Arc::new(crate::server::engine(config, store.clone(), apps, clock)?));
    let outcome = match command {
        CatalogCommand::List { category, scenario, search } => {
            let entries = catalog.entries(search.as_deref(), category.as_deref(), scenario.as_deref()).await;
            entries.map(|entries| {
                for e in entries {
                    let s = &e.latest;
                    println!("{}\t{}\t{} installs\t{}", s.app_id, s.version, e.installs.len(), text(&s.name));
                }
            })
        }
        CatalogCommand::Show { app } => catalog.entry(&app).await.map(|e| {
            let s = &e.latest;
            println!("{} {} — {}", s.app_id, s.version, text(&s.name));
            println!("{}", text(&s.description));
            println!(
                "category: {}  scenario: {}  from: {}",
                s.category,
                s.scenario.as_deref().unwrap_or("-"),
                s.origin_id
            );
            for v in &e.versions {
                println!("  {}  {}", v.version, text(&v.changelog));
            }
            for i in &e.installs {
                println!("  installed in {} as {} ({})", i.community_id, i.app_id, i.source_version);
            }
        }),
        CatalogCommand::Publish {
            app,
            version,
            description_zh,
            description_en,
            changelog_zh,
            changelog_en,
            category,
            scenario,
            approve,
        } => {
            let new = NewSubmission {
                app_id: app,
                version,
                description: Text::new(&description_zh, description_en.as_deref().unwrap_or(&description_zh)),
                category,
                scenario,
                changelog: Text::new(&changelog_zh, changelog_en.as_deref().unwrap_or(&changelog_zh)),
                screenshots: Vec::new(),
                uploader: None,
            };
            match catalog.submit(new, ACTOR).await {
                Ok(s) if approve => {
                    catalog.review(&s.id, Decision::Approve, Some("operator".into()), &Actor::Root).await.map(|s| {
                        println!("published {} {} (submission {})", s.app_id, s.version, s.id);
                    })
                }
                Ok(s) => {
                    println!("submitted {} {} for review (submission {})", s.app_id, s.version, s.id);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        CatalogCommand::Install { apps, communities, all_communities } => {
            return install(&catalog, store.as_ref(), &apps, communities, all_communities).await;
        }
        CatalogCommand::Upgrade { app, keep, dry_run } => {
            let side = match keep.as_deref() {
                None => None,
                Some("mine") => Some(Side::Mine),
                Some("theirs") => Some(Side::Theirs),
                Some(other) => {
                    eprintln!("--keep: “{other}” is neither mine nor theirs / --keep 只能是 mine 或 theirs");
                    return Ok(ExitCode::FAILURE);
                }
            };
            upgrade(&catalog, &app, side, dry_run).await
        }
    };
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            refused(&e);
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn install(
    catalog: &Catalog,
    store: &dyn Store,
    apps: &[String],
    mut communities: Vec<String>,
    all: bool,
) -> anyhow::Result<ExitCode> {
    let units = store.org_units().await?;
    if all {
        communities = units
            .iter()
            .filter(|u| u.kind == UnitKind::Community && u.retired_at.is_none())
            .map(|u| u.id.clone())
            .collect();
    }
    if communities.is_empty() {
        eprintln!("--community or --all-communities is needed / 请用 --community 或 --all-communities 指定社区");
        return Ok(ExitCode::FAILURE);
    }
    if let Some(bad) = communities.iter().find(|c| !units.iter().any(|u| &u.id == *c && u.kind == UnitKind::Community))
    {
        eprintln!("--community: no community “{bad}” / 没有社区“{bad}”");
        return Ok(ExitCode::FAILURE);
    }
    let total = apps.len() * communities.len();
    let (mut done, mut skipped, mut failed) = (0, 0, 0);
    let mut n = 0;
    for app in apps {
        for community in &communities {
            n += 1;
            print!("[{n}/{total}] {app} → {community}: ");
            std::io::stdout().flush().ok();
            match catalog.install(app, None, community, ACTOR).await {
                Ok(i) => {
                    done += 1;
                    println!("installed as {} ({})", i.app_id, i.source_version);
                }
                Err(Error::Conflict(_)) => {
                    skipped += 1;
                    println!("installed already, skipped");
                }
                Err(e) => {
                    failed += 1;
                    println!("FAILED");
                    refused(&e);
                }
            }
        }
    }
    println!("{done} installed, {skipped} skipped, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn upgrade(catalog: &Catalog, fork: &str, keep: Option<Side>, dry_run: bool) -> Result<(), Error> {
    let plan = catalog.upgrade_plan(fork, &BTreeMap::new()).await?;
    println!("{fork}: {} → {}", plan.from.version, plan.to.version);
    if plan.is_current() {
        println!("up to date / 已是最新");
        return Ok(());
    }
    for c in &plan.changes {
        println!("  new version: {}", both(&c.summary));
    }
    for c in &plan.local {
        println!("  local:       {}", both(&c.summary));
    }
    for c in &plan.conflicts {
        println!("  CONFLICT {}: mine {} / theirs {}", c.path, short(&c.mine), short(&c.theirs));
    }
    if dry_run {
        return Ok(());
    }
    let resolutions: BTreeMap<String, Side> = match keep {
        Some(side) => plan.conflicts.iter().map(|c| (c.path.clone(), side)).collect(),
        None => BTreeMap::new(),
    };
    let done = catalog.upgrade(fork, &resolutions, ACTOR).await?;
    println!("upgraded {fork} to {} / 已升级", done.to.version);
    Ok(())
}

fn short(v: &Option<serde_json::Value>) -> String {
    let s = v.as_ref().map_or("-".to_string(), |v| v.to_string());
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}
