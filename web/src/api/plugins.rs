//! Plugins over HTTP: upload a module under a name and version, list plugins with their
//! versions, and see which apps use one. Plugins are shared by the whole deployment (a module
//! is the same module everywhere), so uploading needs `apps.build` at the district (the top of
//! the tree); listing needs `apps.build` anywhere, and the apps listed as using a plugin are
//! those the caller may see.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baida_blocks::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, Permission};
use baida_engine::plugin::registry::Plugin;
use baida_store::PluginVersion;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, upload)).routes(routes!(one))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The plugin's name: lower case, digits, `-` and `_`.
    pub name: String,
    /// Its version, e.g. `1.0.0`.
    pub version: String,
}

/// An uploaded version.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedView {
    #[serde(flatten)]
    pub version: PluginVersion,
    /// How a step refers to exactly these bytes.
    pub reference: String,
    /// False when the same bytes were already uploaded under this name and version.
    pub created: bool,
}

/// A plugin: its versions and the apps whose latest version calls it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginView {
    pub name: String,
    pub versions: Vec<PluginVersion>,
    pub used_by: Vec<PluginUse>,
}

pub use baida_engine::plugin::registry::PluginUse;

/// Upload a plugin (the module's bytes, `application/wasm`); needs `apps.build` at the district.
/// It is checked and compiled before it is stored: a module that imports anything not allowed
/// is refused with 422 naming the import.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A core WebAssembly module (any content type; `application/wasm` is usual)"),
    responses((status = 201, body = UploadedView), (status = 200, body = UploadedView, description = "Already uploaded"),
        (status = 409, description = "The name and version hold other bytes"), (status = 413, description = "Over the size limit"),
        (status = 422, description = "Not a module the host will run: the problem names the import or export")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<UploadQuery>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    // A plugin is shared by the whole deployment: uploading one needs `apps.build` at every
    // top of the tree (every district it serves), not at whichever one comes first.
    let tree = access::tree(&state).await?;
    let mut tops: Vec<String> = tree.values().filter(|u| u.parent_id.is_none()).map(|u| u.id.clone()).collect();
    tops.sort();
    if tops.is_empty() {
        access::require(&state, &actor, Permission::AppsBuild, None).await?;
    }
    for top in &tops {
        access::require(&state, &actor, Permission::AppsBuild, Some(top)).await?;
    }
    let Query(q) = query.map_err(|_| ApiError::BadRequest {
        code: "bad_query",
        detail: Text::new(
            "请在地址中给出插件名称和版本：?name=…&version=…",
            "Give the plugin's name and version in the address: ?name=…&version=…",
        ),
    })?;
    let bytes = axum::body::Bytes::from_request(request, &state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge {
                detail: Text::new("请求内容超过上限", "The request body is over the limit")
            }
        } else {
            ApiError::BadRequest { code: "bad_body", detail: Text::new(e.body_text(), e.body_text()) }
        }
    })?;
    let (version, created) = state.engine.add_plugin(bytes.to_vec(), &q.name, &q.version, &actor.label()).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/api/v1/plugins/{}", version.name);
    let view = UploadedView { reference: format!("sha256:{}", version.sha256), version, created };
    Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
}

/// List every plugin with its versions and the apps that use it.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", responses((status = 200, body = [PluginView])),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Vec<PluginView>>, ApiError> {
    access::require(&state, &actor, Permission::AppsBuild, None).await?;
    let tree = access::tree(&state).await?;
    let plugins = state.engine.plugins_seen_by(&actor, &tree).await?;
    Ok(Json(plugins.into_iter().map(PluginView::from).collect()))
}

impl From<Plugin> for PluginView {
    fn from(p: Plugin) -> Self {
        PluginView { name: p.name, versions: p.versions, used_by: p.used_by }
    }
}

/// One plugin: its versions and the apps that use it.
#[utoipa::path(get, path = "/api/v1/plugins/{name}", tag = "plugins", params(("name" = String, Path, description = "Plugin name")),
    responses((status = 200, body = PluginView), (status = 404, description = "No such plugin")), security(("bearer" = []), ("session" = [])))]
pub async fn one(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    access::require(&state, &actor, Permission::AppsBuild, None).await?;
    let tree = access::tree(&state).await?;
    match state.engine.plugin(&name, &actor, &tree).await? {
        Some(p) => Ok(Json(p.into())),
        None => Err(ApiError::NotFound(Text::new(format!("没有插件“{name}”"), format!("No plugin “{name}”")))),
    }
}
