//! API tokens for integrations: created scoped to an org unit and a set of permissions (no
//! more than the creator holds there), shown once, stored hashed, listed with their last use,
//! revoked at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baida_blocks::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, Client, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::Permission;
use baida_engine::people::{NewToken, Requester};
use baida_store::ApiToken;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

/// Tokens of the units where the caller manages tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "people", responses((status = 200, body = [ApiToken])), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    let tree = access::require(&state, &actor, Permission::TokensManage, None).await?;
    Ok(Json(state.engine.overseen_tokens(&actor, &tree).await?))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// What it is for, e.g. `12345 hotline`.
    pub name: String,
    /// Where it acts (and below).
    pub unit_id: String,
    /// E.g. `["cases.submit", "cases.read"]`; each must be held by the creator at the unit.
    pub permissions: Vec<String>,
}

/// A created token: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. It is not stored and cannot be shown again.
    pub secret: String,
}

/// Create a token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "people", request_body = NewTokenBody,
    responses((status = 201, body = CreatedToken), (status = 403, description = "A permission the caller does not hold there"), (status = 422, description = "Unknown permission or empty name")),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let tree = access::tree(&state).await?;
    if !tree.contains_key(&body.unit_id) || !crate::api::org::visible(&actor, &body.unit_id, &tree) {
        return Err(ApiError::NotFound(Text::new(
            format!("没有机构“{}”", body.unit_id),
            format!("No org unit “{}”", body.unit_id),
        )));
    }
    if !actor.can(Permission::TokensManage, &body.unit_id, &tree) {
        return Err(access::denied(&state, &actor, "tokens.manage", Some(&body.unit_id)).await);
    }
    let mut permissions = Vec::new();
    for (i, p) in body.permissions.iter().enumerate() {
        let Some(perm) = Permission::parse(p) else {
            return Err(ApiError::Invalid {
                code: "invalid",
                title: Text::new("请求内容有误", "The request has a problem"),
                problems: vec![baida_blocks::Problem::new(
                    format!("/permissions/{i}"),
                    "unknown_permission",
                    Text::new(format!("没有权限“{p}”"), format!("No permission “{p}”")),
                )],
            });
        };
        if !actor.can(perm, &body.unit_id, &tree) {
            return Err(access::denied(&state, &actor, &format!("token with {p}"), Some(&body.unit_id)).await);
        }
        permissions.push(perm);
    }
    let new = NewToken { name: body.name, unit_id: body.unit_id, permissions };
    let (token, secret) = state.engine.create_token(new, &Requester::new(&actor, client.0)).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// Revoke a token: it stops working on its next request.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "people", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such token")), security(("bearer" = []), ("session" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tree = access::tree(&state).await?;
    let token = state.engine.token(&id).await?.filter(|t| {
        actor.can(Permission::TokensManage, &t.unit_id, &tree) && (actor.is_root() || tree.contains_key(&t.unit_id))
    });
    let Some(token) = token else {
        return Err(ApiError::NotFound(Text::new("没有这个令牌", "No such token")));
    };
    state.engine.revoke_token(&token, &Requester::new(&actor, client.0)).await?;
    Ok(StatusCode::NO_CONTENT)
}
