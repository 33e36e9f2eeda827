//! # baida-web
//!
//! HTTP: the JSON API under `/api/v1` ([`api`], a module per resource), the pages people use
//! ([`pages`]: residents', staff, admin, catalog; their templates, forms and posted forms), and a
//! small core every request passes through: [`error`] (problem+json), [`page_error`] (the
//! message page), [`extract`] (who is asking), [`access`] (what they may see), [`csrf`],
//! [`proxy`], [`openapi`], [`assets`], [`upload_key`], [`live`] (the pushed pages), [`metrics`],
//! [`health`], the words ([`i18n`]) and the server's [`config`].
//!
//! Architecture invariant: only this crate knows about HTTP (a Cargo fact: it is the only
//! Baida crate depending on axum). One file per resource; errors become problem+json in
//! `error.rs` only. Handlers parse, call the engine, and answer or render.

pub mod config;
pub mod i18n;

/// The version the binary reports (`baida --version`, `/healthz`): the package version and
/// the git commit it was built from.
pub const VERSION: &str = env!("BAIDA_VERSION");

pub mod access;
pub mod api;
pub mod assets;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod health;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod page_error;
pub mod pages;
pub mod proxy;
pub mod upload_key;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::pages::render::Pages;
use baida_engine::Engine;
use baida_engine::apps::Apps;
use baida_engine::photo::Blobs;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub apps: Arc<Apps>,
    pub engine: Arc<Engine>,
    pub blobs: Blobs,
    pub pages: Arc<Pages>,
    /// Rate limits per client address.
    pub limits: Arc<baida_engine::auth::limit::Limits>,
    /// The community ledger and its signed log.
    pub ledger: Arc<baida_engine::ledger::Ledger>,
    /// Live pages open, per client address.
    pub live: live::LiveStreams,
}

/// Serves the whole application on `listener` until `shutdown` resolves; the requests in flight
/// finish (and their transactions commit) before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Every route with state: the API's operations are registered through `utoipa_axum::routes!`
/// from their `#[utoipa::path]` annotations, so an operation is in the OpenAPI document
/// ([`openapi::document`]) by construction and its path and method are the document's; pages
/// are plain routes. (`openapi::tests` fails on an `/api/` route registered any other way.)
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(metrics::router())
        .merge(api::apps::router())
        .merge(api::drafts::router())
        .merge(api::versions::router())
        .merge(api::preview::router())
        .merge(api::cases::router())
        .merge(api::photos::router())
        .merge(api::plugins::router())
        .merge(api::responsibilities::router())
        .merge(api::figures::router())
        .merge(api::ledger::router())
        .merge(api::votes::router())
        .merge(api::comments::router())
        .merge(pages::proposals::router())
        .merge(pages::homes::router())
        .merge(api::owners::router())
        .merge(api::registers::router())
        .merge(api::schedules::router())
        .merge(pages::registers::router())
        .merge(openapi::router())
        .merge(api::docs::router())
        .merge(pages::forms::router())
        .merge(pages::track::router())
        .merge(api::inbox::router())
        .merge(api::vehicles::router())
        .merge(pages::home::router())
        .merge(api::session::router())
        .merge(api::org::router())
        .merge(api::people::router())
        .merge(api::tokens::router())
        .merge(api::security::router())
        .merge(pages::residents::router())
        .merge(pages::admin::router())
        .merge(pages::work::router())
        .merge(api::dictionary::router())
        .merge(api::catalog::router())
        .merge(pages::catalog::router())
        .merge(pages::profile::router())
}

/// The whole application: API, pages, photos, schemas, designer.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let proxies = state.clone();
    let pages = state.clone();
    let (routes, _) = routes().split_for_parts();
    routes
        .with_state(state)
        // The designer's pages and modules are static too: tagged and revalidated.
        .merge(pages::designer::router().layer(axum::middleware::from_fn(assets::validate)))
        .layer(axum::middleware::from_fn(upload_key::issue))
        // A page's failure becomes the message page (before `localize` would make it JSON).
        .layer(axum::middleware::from_fn_with_state(pages, page_error::render))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(csrf::protect))
        .route_layer(axum::middleware::from_fn(metrics::record))
        .layer(axum::middleware::from_fn_with_state(proxies, proxy::resolve))
        .layer(axum::middleware::from_fn(error::localize))
        .layer(axum::middleware::from_fn(crate::i18n::remember))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("same-origin")))
        // gzip or brotli, as the client accepts. tower-http's default predicate leaves alone
        // server-sent event streams (`text/event-stream`: compressing would hold events back in
        // the encoder's buffer), images (already compressed), gRPC and bodies under 32 bytes; the
        // XLSX exports are zip files already.
        .layer(CompressionLayer::new().gzip(true).br(true).compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.openxmlformats")),
        ))
        // One line per request at the default level: method, route, status and time. The route
        // is the matched pattern (`/my/cases/{id}`), never the path or the query themselves,
        // which may carry a token, a phone number or a plate; a path no route matches is
        // logged as `unmatched`.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::extract::Request| {
                    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str());
                    tracing::info_span!("request", method = %request.method(), route = route.unwrap_or("unmatched"))
                })
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
}
