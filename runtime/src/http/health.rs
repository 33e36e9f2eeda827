//! `GET /healthz`: the server answers and its database too.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// Health: 200 when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The server and its database answer")))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.org_units().await?;
    Ok(Json(json!({"status": "ok", "database": state.store.backend()})))
}
