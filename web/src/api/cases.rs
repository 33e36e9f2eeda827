//! Cases over HTTP: list (filtered, cursor-paginated), read, and the event log.

use axum::Json;
use axum::extract::{Path, Query, State};
use baida_blocks::Text;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::actions::Action;
use baida_store::{Case, CaseFilter, Event};
use baida_store::{Delivery, OutboxItem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
        .routes(routes!(case_events))
        .routes(routes!(act))
        .routes(routes!(case_outbox))
}

/// A case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub number: String,
    pub app_id: String,
    /// The app version the case started on; it keeps it for life.
    pub app_version: String,
    pub community_id: String,
    pub status: String,
    pub current_step: Option<String>,
    #[schema(value_type = Object)]
    pub record: Value,
    pub event_count: i64,
    /// Hash of the latest event of the case's chain.
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The org unit holding the case now.
    pub assignee: Option<String>,
    /// When the case entered its current step.
    pub step_entered_at: Option<DateTime<Utc>>,
    /// The highest escalation on the current step: `remind`, `urge`, `overdue`, `supervise`.
    pub escalation: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<Case> for CaseView {
    fn from(c: Case) -> Self {
        CaseView {
            id: c.id,
            number: c.number,
            app_id: c.app_id,
            app_version: c.app_version,
            community_id: c.community_id,
            status: c.status.to_string(),
            current_step: c.current_step,
            record: c.record,
            event_count: c.event_count,
            head_hash: c.head_hash,
            created_at: c.created_at,
            updated_at: c.updated_at,
            assignee: c.assignee,
            step_entered_at: c.step_entered_at,
            escalation: c.escalation.map(|e| e.to_string()),
            closed_at: c.closed_at,
        }
    }
}

/// A page of cases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An event of a case's hash-chained log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            seq: e.seq,
            kind: e.kind.to_string(),
            actor: e.actor,
            at: e.at,
            data: e.data,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseQuery {
    /// Only cases of this app.
    pub app: Option<String>,
    /// Only cases with this status (`open`, `closed`).
    pub status: Option<String>,
    /// Only cases of this community.
    pub community: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD`, deployment time zone) or instant (RFC 3339).
    pub from: Option<String>,
    /// Created before this day or instant.
    pub to: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

fn instant(state: &AppState, name: &str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(state.config.timezone).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::BadRequest {
            code: "bad_query",
            detail: Text::new(
                format!("参数 {name} 应为日期 2026-01-31 或 RFC 3339 时间"),
                format!("{name} must be a date like 2026-01-31 or an RFC 3339 instant"),
            ),
        })
}

/// List cases, newest first, with filters and a cursor.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery), responses((status = 200, body = CasePage), (status = 401, description = "No or wrong admin token")), security(("bearer" = []), ("session" = [])))]
pub async fn list_cases(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<CaseQuery>,
) -> Result<Json<CasePage>, ApiError> {
    let tree = access::tree(&state).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "bad_query",
            detail: Text::new("limit 应在 1 到 200 之间", "limit must be 1 to 200"),
        });
    }
    let before = match &q.cursor {
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::BadRequest {
            code: "bad_query",
            detail: Text::new("cursor 无效", "cursor is not valid"),
        })?),
        None => None,
    };
    let filter = CaseFilter {
        app_id: q.app,
        status: q.status.as_deref().map(str::parse).transpose().map_err(|_| ApiError::BadRequest {
            code: "bad_query",
            detail: Text::new("status 只能是 open、suspended 或 closed", "status is open, suspended or closed"),
        })?,
        community_id: q.community,
        created_from: q.from.as_deref().map(|s| instant(&state, "from", s)).transpose()?,
        created_to: q.to.as_deref().map(|s| instant(&state, "to", s)).transpose()?,
        before,
        limit: limit + 1,
        scope: None,
        resident_id: None,
    };
    let mut cases = state.engine.readable_cases(&actor, filter, &tree).await?;
    let next_cursor = if cases.len() as i64 > limit {
        cases.truncate(limit as usize);
        cases.last().map(|c| c.seq.to_string())
    } else {
        None
    };
    Ok(Json(CasePage { items: cases.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Read a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = String, Path)), responses((status = 200, body = CaseView), (status = 404, description = "No such case")), security(("bearer" = []), ("session" = [])))]
pub async fn get_case(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let (mut case, tree) = access::readable_case(&state, &actor, &id).await?;
    case.record = state.engine.visible_record(&actor, &case, &tree).await?;
    Ok(Json(case.into()))
}

/// A case's event log, oldest first; each event links to the previous one's hash.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = String, Path)), responses((status = 200, body = [EventView]), (status = 404, description = "No such case")), security(("bearer" = []), ("session" = [])))]
pub async fn case_events(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let (case, tree) = access::readable_case(&state, &actor, &id).await?;
    let events = state.engine.visible_events(&actor, &case, &tree).await?;
    Ok(Json(events.into_iter().map(Into::into).collect()))
}

/// Act on a case: complete its step, return, re-dispatch, suspend, resume, close or reopen it.
/// One transaction; 409 when someone else moved the case meanwhile.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", params(("id" = String, Path)), request_body = Action,
    responses((status = 200, body = CaseView), (status = 404, description = "No such case"), (status = 409, description = "The case changed meanwhile; reload"),
              (status = 422, description = "The action does not fit the case, or its answers have problems")),
    security(("bearer" = []), ("session" = [])))]
pub async fn act(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
    ApiJson(action): ApiJson<Action>,
) -> Result<Json<CaseView>, ApiError> {
    // Nobody acts on a case they may not see (the app's `access.view` included): 404 as if it
    // did not exist. A ballot is the exception: voters on a public spending proposal need not
    // read its case, and the engine decides who votes.
    if !matches!(action, Action::Vote { .. }) {
        access::readable_case(&state, &actor, &id).await?;
    }
    let uploader = crate::upload_key::person_digest(&actor);
    let mut case = match state.engine.act(&id, action, &actor, uploader.as_deref()).await {
        Err(baida_engine::actions::ActionError::Forbidden(why)) => {
            access::record_denial(&state, &actor, &format!("case:{id}"), None).await;
            return Err(ApiError::Forbidden(why));
        }
        other => other?,
    };
    let tree = access::tree(&state).await?;
    case.record = state.engine.visible_record(&actor, &case, &tree).await?;
    Ok(Json(case.into()))
}

/// An outgoing message of a case with its delivery attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    #[schema(value_type = Object)]
    pub message: OutboxItem,
    #[schema(value_type = Vec<Object>)]
    pub attempts: Vec<Delivery>,
}

/// A case's outgoing messages and every delivery attempt.
#[utoipa::path(get, path = "/api/v1/cases/{id}/outbox", tag = "cases", params(("id" = String, Path)), responses((status = 200, body = [OutboxView]), (status = 404, description = "No such case")), security(("bearer" = []), ("session" = [])))]
pub async fn case_outbox(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<OutboxView>>, ApiError> {
    let (case, tree) = access::readable_case(&state, &actor, &id).await?;
    let items = state.engine.visible_outbox(&actor, &case, &tree).await?;
    Ok(Json(items.into_iter().map(|(message, attempts)| OutboxView { message, attempts }).collect()))
}
