//! The responsibility list (权责清单) over HTTP: which department handles which category, so
//! that dispatch finds it without the app being changed. `*` is the fallback.

use axum::Json;
use axum::extract::{Path, State};
use baida_blocks::Text;
use baida_core::kinds::UnitKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(set))
}

/// One line of the list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Responsibility {
    /// A category code (e.g. `noise`), or `*` for everything not listed.
    pub category: String,
    /// The org unit id of the department.
    pub department: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    pub department: String,
}

/// The responsibility list.
#[utoipa::path(get, path = "/api/v1/responsibilities", tag = "dispatch", responses((status = 200, body = [Responsibility])), security(("bearer" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, _: StaffActor) -> Result<Json<Vec<Responsibility>>, ApiError> {
    let list = state.engine.responsibilities().await?;
    Ok(Json(list.iter().map(|(c, d)| Responsibility { category: c.clone(), department: d.clone() }).collect()))
}

/// Sets the department for a category; dispatch uses it from the next case on.
#[utoipa::path(put, path = "/api/v1/responsibilities/{category}", tag = "dispatch", params(("category" = String, Path)), request_body = DepartmentBody,
    responses((status = 200, body = Responsibility), (status = 404, description = "No such department")), security(("bearer" = []), ("session" = [])))]
pub async fn set(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(category): Path<String>,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<Json<Responsibility>, ApiError> {
    let tree = access::require(&state, &actor, Permission::ResponsibilitiesManage, None).await?;
    match tree.get(&body.department) {
        Some(u) if u.kind == UnitKind::Department => {}
        _ => {
            return Err(ApiError::NotFound(Text::new(
                format!("没有部门“{}”", body.department),
                format!("No department “{}”", body.department),
            )));
        }
    }
    access::require(&state, &actor, Permission::ResponsibilitiesManage, Some(&body.department)).await?;
    state.engine.set_responsibility(&category, &body.department).await?;
    Ok(Json(Responsibility { category, department: body.department }))
}
