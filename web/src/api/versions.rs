//! An app's published versions: the history with what changed in each, the difference
//! between two versions (or the draft), rolling back, and archiving. Reading needs sight of
//! the app; changing it, `apps.build` at its owner (see `drafts::builder_of`).

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baida_blocks::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::apps::SavedView;
use crate::api::drafts::{builder_of, refused};
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState, access};
use baida_engine::catalog::merge::Change;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history))
        .routes(routes!(diff))
        .routes(routes!(rollback))
        .routes(routes!(archive))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The version whose definition becomes the new latest version.
    pub version: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveBody {
    pub archived: bool,
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    /// A version; default the one before `to`.
    pub from: Option<String>,
    /// A version or `draft`; default the latest version.
    pub to: Option<String>,
}

/// One version in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// What changed from the version before, one sentence each.
    pub changes: usize,
}

/// Every published version, newest first, with how many things changed in each.
#[utoipa::path(get, path = "/api/v1/apps/{app}/versions", tag = "designer", params(("app" = String, Path)), responses((status = 200, body = [HistoryItem])), security(("bearer" = []), ("session" = [])))]
pub async fn history(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
) -> Result<Json<Vec<HistoryItem>>, ApiError> {
    let tree = access::tree(&state).await?;
    builder_of(&state, &actor, &tree, &app, false).await?;
    let history = state.engine.app_history(&app).await?;
    Ok(Json(
        history
            .into_iter()
            .map(|v| HistoryItem {
                version: v.version,
                created_at: v.created_at,
                created_by: v.created_by,
                changes: v.changes,
            })
            .collect(),
    ))
}

/// What changed between two versions (or a version and the draft), one sentence each.
#[utoipa::path(get, path = "/api/v1/apps/{app}/diff", tag = "designer", params(("app" = String, Path), ("from" = Option<String>, Query), ("to" = Option<String>, Query, description = "A version or `draft`")), responses((status = 200, body = [Change])), security(("bearer" = []), ("session" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<Vec<Change>>, ApiError> {
    let tree = access::tree(&state).await?;
    builder_of(&state, &actor, &tree, &app, false).await?;
    let changes = state
        .engine
        .app_diff(&app, q.from.as_deref(), q.to.as_deref())
        .await
        .map_err(|e| refused(e, || ApiError::NotFound(Text::new("没有草稿", "There is no draft"))))?;
    Ok(Json(changes))
}

/// Makes an earlier version's definition the latest again, as a new version (history is
/// kept); an unpublished draft stays as it is.
#[utoipa::path(post, path = "/api/v1/apps/{app}/rollback", tag = "designer", params(("app" = String, Path)), request_body = RollbackBody, responses((status = 201, body = SavedView)), security(("bearer" = []), ("session" = [])))]
pub async fn rollback(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<RollbackBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    let owner = builder_of(&state, &actor, &tree, &app, true).await?;
    let old = state.apps.version(&app, Some(&body.version)).await?.ok_or_else(|| {
        ApiError::NotFound(Text::new(format!("没有版本“{}”", body.version), format!("No version “{}”", body.version)))
    })?;
    access::require_publish(&state, &actor, &owner, &old.definition).await?;
    let saved = state.apps.save(old.definition, &owner, &actor.label()).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(SavedView { id: saved.version.app_id, version: saved.version.version, created: saved.created })))
}

/// Archives an app (it takes no new submissions and leaves the list) or brings it back.
#[utoipa::path(put, path = "/api/v1/apps/{app}/archived", tag = "designer", params(("app" = String, Path)), request_body = ArchiveBody, responses((status = 204, description = "Done")), security(("bearer" = []), ("session" = [])))]
pub async fn archive(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<ArchiveBody>,
) -> Result<StatusCode, ApiError> {
    let tree = access::tree(&state).await?;
    builder_of(&state, &actor, &tree, &app, true).await?;
    state.engine.set_archived(&app, body.archived, &actor.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}
