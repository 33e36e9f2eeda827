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
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::apps::app_visible;
use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, Permission};
use baida_engine::plugin::registry;
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

/// A step of an app that calls a plugin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginUse {
    pub app_id: String,
    pub app_version: String,
    pub step: String,
    /// The reference the step uses (`name@version` or `sha256:…`).
    pub reference: String,
}

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
    let now = state.engine.clock.now();
    let (version, created) = registry::add(
        &state.engine.plugins,
        state.store.as_ref(),
        bytes.to_vec(),
        &q.name,
        &q.version,
        &actor.label(),
        now,
    )
    .await?;
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
    let uses = uses(&state, &actor).await?;
    let mut views: Vec<PluginView> = Vec::new();
    for v in state.store.plugins().await? {
        match views.last_mut() {
            Some(last) if last.name == v.name => last.versions.push(v),
            _ => views.push(PluginView { name: v.name.clone(), versions: vec![v], used_by: Vec::new() }),
        }
    }
    for view in &mut views {
        view.used_by = used_by(view, &uses);
    }
    Ok(Json(views))
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
    let versions: Vec<PluginVersion> = state.store.plugins().await?.into_iter().filter(|v| v.name == name).collect();
    if versions.is_empty() {
        return Err(ApiError::NotFound(Text::new(format!("没有插件“{name}”"), format!("No plugin “{name}”"))));
    }
    let mut view = PluginView { name, versions, used_by: Vec::new() };
    view.used_by = used_by(&view, &uses(&state, &actor).await?);
    Ok(Json(view))
}

/// The uses among `uses` that name one of the plugin's versions, by name or by content.
fn used_by(view: &PluginView, uses: &[PluginUse]) -> Vec<PluginUse> {
    uses.iter()
        .filter(|u| {
            view.versions.iter().any(|v| {
                u.reference == format!("{}@{}", v.name, v.version) || u.reference == format!("sha256:{}", v.sha256)
            })
        })
        .cloned()
        .collect()
}

/// Every plugin step in the latest version of each app the actor may see.
async fn uses(state: &AppState, actor: &Actor) -> Result<Vec<PluginUse>, ApiError> {
    let tree = access::tree(state).await?;
    let mut found = Vec::new();
    for app in state.store.apps().await? {
        if !app_visible(actor, &app.owner_id, &tree) {
            continue;
        }
        let Some(v) = state.store.app_version(&app.app_id, None).await? else { continue };
        let steps = v.definition.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
        for step in steps {
            if step.get("block").and_then(Value::as_str) != Some("plugin") {
                continue;
            }
            if let Some(reference) = step.pointer("/config/plugin").and_then(Value::as_str) {
                found.push(PluginUse {
                    app_id: v.app_id.clone(),
                    app_version: v.version.clone(),
                    step: step.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                    reference: reference.to_string(),
                });
            }
        }
    }
    Ok(found)
}
