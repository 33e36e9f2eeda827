//! Putting the server together: store, registry, engine, pages and the router, from one
//! [`Config`]. [`start`] binds and returns the address (tests bind port 0); [`run`] also
//! prints where to go and waits for Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::apps::Apps;
use crate::config::Config;
use crate::engine::{Clock, Committer, Engine, SystemClock};
use crate::http::{AppState, router};
use crate::photo::Blobs;
use crate::plugin::Plugins;
use crate::render::Pages;
use crate::{demo, store};

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
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

/// Builds the application state from `config`, with `clock`.
pub async fn state(mut config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
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
            config.admin_token = Some(format!("demo-{}", crate::auth::secret::token()));
        }
    }
    let ledger = Arc::new(
        crate::ledger::Ledger::open(store.clone(), &config.data_dir, clock.clone())
            .context("cannot open the ledger's signing key")?,
    );
    let engine = Arc::new(engine(&config, store.clone(), apps.clone(), clock)?);
    let catalog = crate::catalog::Catalog::new(engine.clone());
    let opened = catalog.open_missing_reviews().await.context("cannot open the catalog's review cases")?;
    if opened > 0 {
        tracing::info!(opened, "catalog submissions awaiting review got their review case");
    }
    if config.demo {
        demo::publish(&catalog, store.as_ref()).await?;
    }
    let pages = Arc::new(Pages::new().context("the page templates do not parse")?);
    let limits = Arc::new(crate::auth::limit::Limits::new(&config));
    Ok(AppState {
        blobs: Blobs::new(&config.data_dir),
        config: Arc::new(config),
        store,
        apps,
        engine,
        pages,
        limits,
        ledger,
        live: Default::default(),
    })
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
    Ok(Engine {
        store,
        apps,
        committer,
        clock,
        timezone: config.timezone,
        calendar: Arc::new(calendar(config)?),
        responsibility_cache: Default::default(),
        org_tree_cache: Default::default(),
        plugins: Arc::new(Plugins::new(config.plugins.clone()).map_err(|f| anyhow::anyhow!("{f}"))?),
        intake: Default::default(),
    })
}

/// The notification transports the configuration names.
pub fn transports(config: &crate::config::NotifyConfig) -> anyhow::Result<crate::notify::Transports> {
    use crate::notify::{SmsTransport, SmtpTransport, Transport, WebhookTransport};
    let arc = |t: Arc<dyn Transport>| Some(t);
    Ok(crate::notify::Transports {
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
        daily_cap: Some(config.daily_cap.unwrap_or(crate::engine::recipient::DAILY_CAP)),
    })
}

/// The working calendar: the shipped years, replaced by any `<data-dir>/calendar/*.json` of
/// the same shape (an admin's corrected or newly published year).
fn calendar(config: &Config) -> anyhow::Result<crate::engine::calendar::Calendar> {
    use crate::engine::calendar::{Calendar, CalendarConfig, CalendarYear};
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
    let state = state(config, clock).await?;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let _ = crate::http::metrics::handle(); // the recorder, before anything records
    let (stop, stopping) = crate::shutdown::channel();
    let second = std::time::Duration::from_secs(1);
    let workers = vec![
        crate::engine::scheduler::spawn(state.engine.clone(), second, stopping.clone()),
        crate::engine::outbox::spawn(state.engine.clone(), transports(&state.config.notify)?, second, stopping.clone()),
        crate::ledger::spawn_sealer(state.ledger.clone(), std::time::Duration::from_secs(30), stopping.clone()),
        crate::http::live::spawn_feed(state.store.clone(), state.live.clone(), stopping.clone()),
        crate::http::metrics::spawn_pool_probe(state.store.clone(), stopping.clone()),
        forget_recovered_clients(state.limits.clone(), stopping),
    ];
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        // Requests in flight finish (and their transactions commit) before this returns; then
        // the workers stop after what they are doing ([`crate::shutdown`]).
        let served = axum::serve(listener, app).with_graceful_shutdown(crate::shutdown::signal()).await;
        stop.stop();
        served
    });
    Ok(Running { addr, state, task, workers })
}

/// Every minute, the rate limits forget the clients that have recovered: their memory follows
/// the clients of the last minutes, not every address ever seen.
fn forget_recovered_clients(
    limits: Arc<crate::auth::limit::Limits>,
    mut stopping: crate::shutdown::Stopping,
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
        running.state.store.backend(),
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
    running.state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}
