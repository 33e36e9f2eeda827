//! Casting a ballot: `POST /api/v1/cases/{id}/vote` with `{"choice": "yes" | "no" | "abstain"}`,
//! for anyone the vote step's `who` names — logged-in residents (a session from `/my/login`)
//! whom their community confirmed as owners, as well as staff. The proposal page's ballot form
//! (`http::proposals`) casts through [`cast`] too. One ballot per voter; the vote closes by itself when everyone has voted
//! or its time is up (see the `vote` block in docs/app-definition.md).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ApiJson;
use crate::{ApiError, AppState, access};
use baida_engine::actions::{Action, ActionError};
use baida_engine::auth::Actor;
use baida_engine::vote::Choice;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(vote))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    pub choice: Choice,
}

/// What the voter learns: the vote was counted, and the case's status and step now.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Counted {
    pub status: String,
    pub current_step: Option<String>,
}

/// Cast a ballot in the vote open at the case's current step.
#[utoipa::path(post, path = "/api/v1/cases/{id}/vote", tag = "cases", params(("id" = String, Path)), request_body = Ballot,
    responses((status = 200, body = Counted), (status = 401, description = "Not logged in"),
        (status = 403, description = "No vote in this vote"), (status = 404, description = "No such case"),
        (status = 422, description = "No vote open, or already voted")),
    security(("bearer" = []), ("session" = [])))]
pub async fn vote(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(ballot): ApiJson<Ballot>,
) -> Result<Json<Counted>, ApiError> {
    let case = cast(&state, &actor, &id, ballot.choice).await?;
    Ok(Json(Counted { status: case.status.to_string(), current_step: case.current_step }))
}

/// Casts `actor`'s ballot (the API and the proposal page's form both come here).
pub(crate) async fn cast(
    state: &AppState,
    actor: &Actor,
    id: &str,
    choice: Choice,
) -> Result<baida_store::Case, ApiError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ApiError::LoginRequired(baida_blocks::Text::new("请先登录再投票", "Log in to vote")));
    }
    match state.engine.act(id, Action::Vote { choice }, actor, None).await {
        Ok(case) => Ok(case),
        Err(ActionError::Forbidden(why)) => {
            access::record_denial(state, actor, &format!("case:{id}"), None).await;
            Err(ApiError::Forbidden(why))
        }
        Err(e) => Err(e.into()),
    }
}
