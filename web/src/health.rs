//! `GET /healthz`: the server answers and its database too. `GET /readyz`: ready to take
//! traffic — the database answers and every migration this build carries is applied (a load
//! balancer sends requests only to ready nodes; a node started against a database another,
//! newer build migrated is alive but not ready).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// Health: 200 when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The server and its database answer")))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.engine.database_answers().await?;
    Ok(Json(json!({"status": "ok", "database": state.engine.database(), "version": crate::VERSION})))
}

/// Readiness: 200 when the database answers and its migrations are this build's; 503 when not.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, description = "Ready to take requests"), (status = 503, description = "The database does not answer, or lacks migrations this build needs")))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.engine.database();
    match state.engine.ready().await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({"status": "ready", "database": backend, "migrations": "applied"}))),
        Ok(Err(missing)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "database": backend, "missing_migrations": missing})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "not ready", "database": backend, "reachable": false})),
            )
        }
    }
}
