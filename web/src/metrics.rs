//! `GET /metrics`: Prometheus text format — requests by route (count and duration), and what
//! the engine records (submissions, transitions, fired timers and their lag, outbox deliveries
//! by channel and outcome, group-commit batch sizes); the database pool (connections open and
//! idle, the wait for a connection sampled every second by [`spawn_pool_probe`], requests
//! turned away because none came in time). For the operator: answered to the admin
//! token, or to a scraper on this machine (loopback), 404 to anyone else.

use std::sync::OnceLock;
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::extract::Client;
use baida_engine::auth::Actor;

/// The process's recorder, installed the first time it is asked for (one per process, shared by
/// every server a test starts in it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "metrics are off: cannot install the Prometheus recorder");
                None
            }
        })
        .as_ref()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>, actor: Actor, client: Client) -> Response {
    let allowed = actor.is_root() || client.0.is_loopback();
    match handle() {
        Some(handle) if allowed => {
            // Read at scrape time: the pool now, and what waits in the outbox.
            let (open, idle) = state.engine.pool_stats();
            metrics::gauge!("baida_db_pool_connections").set(open as f64);
            metrics::gauge!("baida_db_pool_idle").set(idle as f64);
            if let Ok(backlog) = state.engine.outbox_backlog().await {
                metrics::gauge!("baida_outbox_backlog").set(backlog as f64);
            }
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// How often the pool probe takes a connection.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Once a second, times taking a connection from the pool (`baida_db_pool_wait_seconds`): what
/// a request waits before its first query when the pool is busy. One idle connection's worth of
/// work a second.
pub fn spawn_pool_probe(
    engine: std::sync::Arc<baida_engine::Engine>,
    mut stopping: baida_engine::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Ok(waited) = engine.pool_wait().await {
                        metrics::histogram!("baida_db_pool_wait_seconds").record(waited.as_secs_f64());
                    }
                }
                _ = stopping.stopped() => return,
            }
        }
    })
}

/// Counts each request and times it, by method, route (the pattern, never the path: no ids or
/// tokens in labels) and status.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("baida_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("baida_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
