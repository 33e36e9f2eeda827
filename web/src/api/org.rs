//! The organisation tree over HTTP: list, read, create, rename, move and retire units.
//! Staff see the units where they hold a role and everything below; changes need
//! `org.manage` at the unit (and at its new parent).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baida_blocks::Text;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, OrgTree, Permission, is_within};
use baida_store::OrgUnit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(read, change)).routes(routes!(retire))
}

/// Units the actor may see: where they hold a role, and below.
pub fn visible(actor: &Actor, unit: &str, tree: &OrgTree) -> bool {
    match actor {
        Actor::Root => true,
        Actor::Staff(s) => s.holdings.iter().any(|h| is_within(tree, unit, &h.unit_id)),
        _ => false,
    }
}

fn no_such_unit(id: &str) -> ApiError {
    ApiError::NotFound(Text::new(format!("没有机构“{id}”"), format!("No org unit “{id}”")))
}

/// The org units the caller may see, by id.
#[utoipa::path(get, path = "/api/v1/org-units", tag = "people", responses((status = 200, body = [Object])), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
) -> Result<Json<Vec<OrgUnit>>, ApiError> {
    let tree = access::tree(&state).await?;
    let mut units: Vec<OrgUnit> = tree.values().filter(|u| visible(&actor, &u.id, &tree)).cloned().collect();
    units.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(units))
}

/// One org unit.
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "people", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, description = "No such unit")), security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<OrgUnit>, ApiError> {
    let tree = access::tree(&state).await?;
    match tree.get(&id) {
        Some(u) if visible(&actor, &id, &tree) => Ok(Json(u.clone())),
        _ => Err(no_such_unit(&id)),
    }
}

/// A new unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    /// 2–64 lower-case letters, digits and hyphens, e.g. `xinzhou-grid-3`.
    pub id: String,
    /// `district`, `street`, `community`, `grid` or `department`.
    pub kind: String,
    /// Where it sits: a street under a district, a community under a street, a grid under a
    /// community, a department under a district.
    pub parent_id: Option<String>,
    pub name_zh: String,
    pub name_en: String,
}

/// Create a unit (needs `org.manage` at its parent; a new district needs the admin token).
#[utoipa::path(post, path = "/api/v1/org-units", tag = "people", request_body = NewUnitBody,
    responses((status = 201, body = Object), (status = 403, description = "No org.manage at the parent"), (status = 409, description = "The id is taken"), (status = 422, description = "Kind or place not valid")),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ApiJson(body): ApiJson<NewUnitBody>,
) -> Result<(StatusCode, Json<OrgUnit>), ApiError> {
    let tree = access::tree(&state).await?;
    match &body.parent_id {
        Some(p) if !visible(&actor, p, &tree) => return Err(no_such_unit(p)),
        Some(p) if !actor.can(Permission::OrgManage, p, &tree) => {
            return Err(access::denied(&state, &actor, "org.manage", Some(p)).await);
        }
        None if !actor.is_root() => return Err(access::denied(&state, &actor, "org.manage", None).await),
        _ => {}
    }
    let unit = OrgUnit {
        id: body.id,
        kind: baida_engine::org::parse_kind(&body.kind)?,
        parent_id: body.parent_id,
        name_zh: body.name_zh,
        name_en: body.name_en,
        retired_at: None,
    };
    let unit = state.engine.create_unit(&tree, unit).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// A rename or a move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeUnitBody {
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    /// Move under this unit (with everything below).
    pub parent_id: Option<String>,
}

/// Rename or move a unit (needs `org.manage` at the unit, and at its new parent).
#[utoipa::path(patch, path = "/api/v1/org-units/{id}", tag = "people", params(("id" = String, Path)), request_body = ChangeUnitBody,
    responses((status = 200, body = Object), (status = 404, description = "No such unit"), (status = 422, description = "Not a valid place or name")),
    security(("bearer" = []), ("session" = [])))]
pub async fn change(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangeUnitBody>,
) -> Result<Json<OrgUnit>, ApiError> {
    let tree = access::tree(&state).await?;
    let Some(unit) = tree.get(&id).filter(|_| visible(&actor, &id, &tree)).cloned() else {
        return Err(no_such_unit(&id));
    };
    if !actor.can(Permission::OrgManage, &id, &tree) {
        return Err(access::denied(&state, &actor, "org.manage", Some(&id)).await);
    }
    // Every check before any change: a refused move must not leave a rename behind.
    if let Some(parent) = &body.parent_id {
        if !visible(&actor, parent, &tree) {
            return Err(no_such_unit(parent));
        }
        if !actor.can(Permission::OrgManage, parent, &tree) {
            return Err(access::denied(&state, &actor, "org.manage", Some(parent)).await);
        }
    }
    let names = (body.name_zh.is_some() || body.name_en.is_some())
        .then(|| (body.name_zh.as_deref().unwrap_or(&unit.name_zh), body.name_en.as_deref().unwrap_or(&unit.name_en)));
    let out = state.engine.change_unit(&tree, &id, names, body.parent_id.as_deref()).await?;
    Ok(Json(out))
}

/// Retire a unit: it keeps its history and takes no new cases.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/retire", tag = "people", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, description = "No such unit"), (status = 409, description = "Units below it are still active")),
    security(("bearer" = []), ("session" = [])))]
pub async fn retire(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<OrgUnit>, ApiError> {
    let tree = access::tree(&state).await?;
    if !tree.contains_key(&id) || !visible(&actor, &id, &tree) {
        return Err(no_such_unit(&id));
    }
    if !actor.can(Permission::OrgManage, &id, &tree) {
        return Err(access::denied(&state, &actor, "org.manage", Some(&id)).await);
    }
    let unit = state.engine.retire_unit(&tree, &id).await?;
    Ok(Json(unit))
}
