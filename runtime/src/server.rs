//! Putting the server together: store, registry, engine, pages and the router, from one
//! [`Config`]. [`start`] binds and returns the address (tests bind port 0); [`run`] also
//! prints where to go and waits for Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::demo;
use baida_engine::apps::Apps;
use baida_engine::photo::Blobs;
use baida_engine::plugin::Plugins;
use baida_engine::{Clock, Committer, Engine, SystemClock};
use baida_store as store;
use baida_web::AppState;
use baida_web::config::Config;
use baida_web::pages::render::Pages;

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The database the engine works on (for the commands and tests around the server; the
    /// web reaches it only through the engine).
    pub store: Arc<dyn store::Store>,
    pub task: JoinHandle<std::io::Result<()>>,
    /// The scheduler, the outbox delivery, the ledger's sealer, the live pages' feed.
    pub workers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops serving and the background work at once (what is committed stays committed).
    pub fn stop(self) {
        self.task.abort();
        for worker in self.workers {
            worker.abort();
        }
    }
}

/// Builds the application state from `config`, with `clock`; with the store it opened.
pub async fn state(mut config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<(AppState, Arc<dyn store::Store>)> {
    config.check()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data folder {}", config.data_dir.display()))?;
    let store =
        store::open(config.database_url.as_deref(), &config.data_dir).await.context("cannot open the database")?;
    let dictionary = Arc::new(baida_catalog::dictionary());
    let apps = Arc::new(Apps::new(store.clone(), dictionary, clock.clone()));
    if config.demo {
        demo::load(store.as_ref(), &apps).await?;
        if config.admin_token.is_none() {
            config.admin_token = Some(format!("demo-{}", baida_core::secret::token()));
        }
    }
    let ledger = Arc::new(
        baida_engine::ledger::Ledger::open(store.clone(), &config.data_dir, clock.clone())
            .context("cannot open the ledger's signing key")?,
    );
    let engine = Arc::new(engine(&config, store.clone(), apps.clone(), clock)?);
    let catalog = baida_engine::catalog::Catalog::new(engine.clone());
    let opened = catalog.open_missing_reviews().await.context("cannot open the catalog's review cases")?;
    if opened > 0 {
        tracing::info!(opened, "catalog submissions awaiting review got their review case");
    }
    if config.demo {
        demo::publish(&catalog, store.as_ref()).await?;
    }
    let pages = Arc::new(Pages::new().context("the page templates do not parse")?);
    let limits = Arc::new(baida_engine::auth::limit::Limits::new(config.public_submissions_per_minute));
    let state = AppState {
        blobs: Blobs::new(&config.data_dir),
        config: Arc::new(config),
        apps,
        engine,
        pages,
        limits,
        ledger,
        live: Default::default(),
    };
    Ok((state, store))
}

/// The engine for `config`'s database, calendar and plugin limits (the server's, or a command
/// line's that moves cases).
pub fn engine(
    config: &Config,
    store: Arc<dyn store::Store>,
    apps: Arc<Apps>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Engine> {
    let committer = if config.group_commit {
        // One writer for SQLite (one file, one writer at a time); a few for PostgreSQL.
        let writers = if store.backend() == "sqlite" { 1 } else { 4 };
        Committer::batched(store.clone(), writers, 64)
    } else {
        Committer::Direct(store.clone())
    };
    let plugins = Plugins::new(config.plugins.clone()).map_err(|f| anyhow::anyhow!("{f}"))?;
    Ok(Engine::new(store, apps, committer, clock, config.timezone, calendar(config)?, plugins))
}

/// The notification transports the configuration names.
pub fn transports(config: &baida_web::config::NotifyConfig) -> anyhow::Result<baida_engine::notify::Transports> {
    use baida_engine::notify::{SmsTransport, SmtpTransport, Transport, WebhookTransport};
    let arc = |t: Arc<dyn Transport>| Some(t);
    Ok(baida_engine::notify::Transports {
        email: match &config.email {
            Some(c) => arc(Arc::new(SmtpTransport::new(c)?)),
            None => None,
        },
        sms: match &config.sms {
            Some(c) => arc(Arc::new(SmsTransport::from_config(c)?)),
            None => None,
        },
        webhook: match &config.webhook {
            Some(c) => arc(Arc::new(WebhookTransport::new(c)?)),
            None => None,
        },
        daily_cap: Some(config.daily_cap.unwrap_or(baida_engine::recipient::DAILY_CAP)),
    })
}

/// The working calendar: the shipped years, replaced by any `<data-dir>/calendar/*.json` of
/// the same shape (an admin's corrected or newly published year).
fn calendar(config: &Config) -> anyhow::Result<baida_engine::calendar::Calendar> {
    use baida_engine::calendar::{Calendar, CalendarConfig, CalendarYear};
    let base = Calendar::new(&CalendarConfig { timezone: config.timezone, ..CalendarConfig::default() })?;
    let dir = config.data_dir.join("calendar");
    let mut years = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                years.push(CalendarYear::parse(&path.display().to_string(), &text)?);
            }
        }
    }
    Ok(base.with_overrides(&years)?)
}

/// Starts serving on `config.listen` (port 0 picks a free port).
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let listen = config.listen;
    let (state, store) = state(config, clock).await?;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let _ = baida_web::metrics::handle(); // the recorder, before anything records
    let (stop, stopping) = baida_engine::shutdown::channel();
    let second = std::time::Duration::from_secs(1);
    let workers = vec![
        baida_engine::scheduler::spawn(state.engine.clone(), second, stopping.clone()),
        baida_engine::outbox::spawn(state.engine.clone(), transports(&state.config.notify)?, second, stopping.clone()),
        baida_engine::ledger::spawn_sealer(state.ledger.clone(), std::time::Duration::from_secs(30), stopping.clone()),
        baida_web::live::spawn_feed(state.engine.clone(), state.live.clone(), stopping.clone()),
        baida_web::metrics::spawn_pool_probe(state.engine.clone(), stopping.clone()),
        forget_recovered_clients(state.limits.clone(), stopping),
    ];
    let served_state = state.clone();
    let task = tokio::spawn(async move {
        // Requests in flight finish (and their transactions commit) before this returns; then
        // the workers stop after what they are doing ([`baida_engine::shutdown`]).
        let served = baida_web::serve(listener, served_state, baida_engine::shutdown::signal()).await;
        stop.stop();
        served
    });
    Ok(Running { addr, state, store, task, workers })
}

/// Every minute, the rate limits forget the clients that have recovered: their memory follows
/// the clients of the last minutes, not every address ever seen.
fn forget_recovered_clients(
    limits: Arc<baida_engine::auth::limit::Limits>,
    mut stopping: baida_engine::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => limits.forget_recovered(),
                _ = stopping.stopped() => return,
            }
        }
    })
}

/// How long a stopping server waits for its background workers.
const WORKERS_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// `baida serve`.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let demo = config.demo;
    let running = start(config, Arc::new(SystemClock)).await?;
    let base = format!("http://{}", running.addr);
    let cfg = &running.state.config;
    println!(
        "百搭 Baida is serving at {base}  (database: {}, data folder: {})",
        running.store.backend(),
        cfg.data_dir.display()
    );
    if demo {
        println!();
        println!("  居民表单 Resident forms:");
        for app in ["minyi-suban", "xinlin-huhang", "nuoche-e-zhan"] {
            println!("    {base}/a/xinzhou/{app}");
        }
        println!("  全部社区 All communities:  {base}/");
        println!("  API:  {base}/api/v1/openapi.json");
        println!();
        println!("  工作人员登录 Staff log-in:  {base}/login   (密码 password: {})", crate::demo::PASSWORD);
        for (username, name, _, unit, role) in crate::demo::PEOPLE {
            println!("    {username:<10} {:<20} {} @ {unit}", role.as_str(), name);
        }
        println!("  居民登录 Resident log-in:  {base}/my/login   (验证码打印在日志中 the code is printed in the log)");
    }
    match &cfg.admin_token {
        Some(token) if demo => println!(
            "  管理令牌 Admin token:  {token}\n    curl -H 'Authorization: Bearer {token}' {base}/api/v1/cases"
        ),
        Some(_) => {}
        None => println!(
            "  No admin token is set (--admin-token or BAIDA_ADMIN_TOKEN): the endpoints that change apps or read cases will answer 401."
        ),
    }
    running.task.await??;
    tracing::info!("requests finished; waiting for the background workers");
    let workers = futures::future::join_all(running.workers);
    if tokio::time::timeout(WORKERS_GRACE, workers).await.is_err() {
        tracing::warn!("background workers still busy after {WORKERS_GRACE:?}; stopping anyway");
    }
    running.store.close().await;
    tracing::info!("stopped");
    Ok(())
}
