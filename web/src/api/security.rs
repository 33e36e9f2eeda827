//! The security event log for admins: log-ins, failed log-ins, lock-outs, denied requests,
//! role changes, tokens created and revoked — of the units the admin oversees.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::StaffActor;
use crate::{ApiError, AppState};
use baida_engine::auth::Permission;
use baida_store::SecurityEvent;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

/// A page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    pub items: Vec<SecurityEvent>,
    pub next_cursor: Option<i64>,
}

/// Security events of the caller's units, newest first.
#[utoipa::path(get, path = "/api/v1/security-events", tag = "people", params(EventsQuery),
    responses((status = 200, body = EventsPage), (status = 403, description = "No security.read")), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let tree = access::require(&state, &actor, Permission::SecurityRead, None).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let mut items = state.engine.overseen_security_events(&actor, &tree, q.cursor, limit + 1).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(EventsPage { items, next_cursor }))
}
