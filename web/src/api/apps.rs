//! Apps over HTTP: list, read, save a version, validate, submit, and the meta-schema.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use baida_blocks::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::Submission;
use baida_engine::auth::{Actor, OrgTree};
use baida_store::AppVersion;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, save_app))
        .routes(routes!(validate_app))
        .routes(routes!(get_app))
        .routes(routes!(submit))
        .route(baida_blocks::schema::SCHEMA_URL, get(meta_schema))
}

/// An app and its latest version.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppSummaryView {
    pub id: String,
    /// The org unit that owns the app; it is offered there and below.
    pub owner: String,
    pub latest_version: String,
    pub versions: i64,
    /// `{"zh-CN": …, "en": …}` or a string.
    #[schema(value_type = Object)]
    pub name: Value,
    pub category: String,
    pub updated_at: DateTime<Utc>,
}

/// One version of an app with its definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppVersionView {
    pub id: String,
    pub version: String,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[schema(value_type = Object)]
    pub definition: Value,
}

impl From<AppVersion> for AppVersionView {
    fn from(v: AppVersion) -> Self {
        AppVersionView {
            id: v.app_id,
            version: v.version,
            owner: v.owner_id,
            created_at: v.created_at,
            created_by: v.created_by,
            definition: v.definition,
        }
    }
}

/// The outcome of saving a definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedView {
    pub id: String,
    pub version: String,
    /// False when the definition equalled the latest version.
    pub created: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OwnerQuery {
    /// The org unit that owns a new app (default: the builder's own unit). An existing app
    /// keeps its owner.
    pub owner: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A version number; the latest when omitted.
    pub version: Option<String>,
}

/// A submission of an app's intake form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    /// The community (or grid) whose form this is.
    pub community: String,
    /// Answers keyed by field key.
    #[schema(value_type = Object)]
    pub answers: Value,
    /// Engine channel (default `api`), e.g. `hotline`, `patrol`, `social`.
    pub channel: Option<String>,
}

/// A created case.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedView {
    pub id: String,
    pub number: String,
    pub status: String,
    pub current_step: Option<String>,
    pub app_id: String,
    pub app_version: String,
    pub created_at: DateTime<Utc>,
    /// The page where the resident follows the case (carries a secret token).
    pub tracking_url: String,
}

/// The answer to a validation that found nothing wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidView {
    pub valid: bool,
    pub id: String,
    pub version: String,
    /// Warnings that do not stop the app: fields that copy a data-dictionary field under
    /// another name (code `duplicates_dictionary_field`), each with its pointer, message and
    /// hint in zh-CN and en.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<baida_blocks::Problem>,
}

/// Is an app owned by `owner` visible to the actor: offered where they work (owned at or
/// above one of their units) or owned below one of their units?
pub fn app_visible(actor: &Actor, owner: &str, tree: &OrgTree) -> bool {
    baida_engine::apps::visible(actor, owner, tree)
}

/// List the apps offered where the caller works, or owned below.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", responses((status = 200, body = [AppSummaryView]), (status = 401, description = "Not logged in")),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_apps(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
) -> Result<Json<Vec<AppSummaryView>>, ApiError> {
    let tree = access::tree(&state).await?;
    let apps = state.apps.visible_to(&actor, &tree).await?;
    Ok(Json(
        apps.into_iter()
            .map(|a| AppSummaryView {
                id: a.app_id,
                owner: a.owner_id,
                latest_version: a.latest_version,
                versions: a.versions,
                name: a.name,
                category: a.category,
                updated_at: a.updated_at,
            })
            .collect(),
    ))
}

/// Create an app, or save a new version of it. An identical definition changes nothing (200);
/// a changed one becomes a new version (201), numbered by the definition when higher than the
/// latest, else the next patch number.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", params(OwnerQuery), request_body(content = Object, description = "An app definition"),
    responses((status = 201, body = SavedView), (status = 200, body = SavedView), (status = 401, description = "No or wrong admin token"), (status = 422, description = "The definition has problems (problem+json with errors[])")),
    security(("bearer" = []), ("session" = [])))]
pub async fn save_app(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<OwnerQuery>,
    ApiJson(definition): ApiJson<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    // An existing app keeps its owner; a new one belongs to `?owner=`, else to the builder's
    // own unit (root: the top of the tree).
    let existing = match definition.get("id").and_then(Value::as_str) {
        Some(id) => state.apps.version(id, None).await?.map(|v| v.owner_id),
        None => None,
    };
    let owner = match (existing, q.owner, actor.staff()) {
        (Some(o), _, _) => o,
        (None, Some(o), _) => o,
        (None, None, Some(staff)) => staff.unit_id.clone(),
        (None, None, None) => {
            tree.values().find(|u| u.parent_id.is_none()).map(|u| u.id.clone()).ok_or_else(|| ApiError::BadRequest {
                code: "no_owner",
                detail: Text::new(
                    "还没有组织机构，请先创建区或用 --demo 启动",
                    "There is no org unit yet: create a district or start with --demo",
                ),
            })?
        }
    };
    if !tree.contains_key(&owner) || !app_visible(&actor, &owner, &tree) {
        return Err(ApiError::NotFound(Text::new(format!("没有组织机构“{owner}”"), format!("No org unit “{owner}”"))));
    }
    access::require_publish(&state, &actor, &owner, &definition).await?;
    let saved = state.apps.save(definition, &owner, &actor.label()).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/api/v1/apps/{}?version={}", saved.version.app_id, saved.version.version);
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(SavedView { id: saved.version.app_id, version: saved.version.version, created: saved.created }),
    ))
}

/// Read an app: its latest version, or `?version=`.
#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path, description = "App id"), VersionQuery),
    responses((status = 200, body = AppVersionView), (status = 404, description = "No such app or version")), security(("bearer" = []), ("session" = [])))]
pub async fn get_app(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<AppVersionView>, ApiError> {
    let tree = access::tree(&state).await?;
    match state.apps.version(&app, q.version.as_deref()).await? {
        Some(v) if app_visible(&actor, &v.owner_id, &tree) => Ok(Json(v.into())),
        Some(_) => Err(ApiError::not_found_app()),
        None if q.version.is_some()
            && state.apps.version(&app, None).await?.is_some_and(|v| app_visible(&actor, &v.owner_id, &tree)) =>
        {
            Err(ApiError::NotFound(Text::new("这个应用没有该版本", "The app has no such version")))
        }
        None => Err(ApiError::not_found_app()),
    }
}

/// Validate a definition: the same checks and messages as `baida validate`.
#[utoipa::path(post, path = "/api/v1/apps/validate", tag = "apps", request_body(content = Object, description = "An app definition"),
    responses((status = 200, body = ValidView), (status = 422, description = "Every problem, with its JSON pointer and a hint"), (status = 429, description = "Too many checks from this address without a log-in; see Retry-After")))]
pub async fn validate_app(
    State(state): State<AppState>,
    actor: Actor,
    client: crate::extract::Client,
    ApiJson(definition): ApiJson<Value>,
) -> Result<Json<ValidView>, ApiError> {
    // Anyone may check a definition (builders' tools, `curl`); compiling one runs the rhai
    // compiler, so strangers get a limit per address. Size: `Apps::validate`.
    if matches!(actor, Actor::Anonymous | Actor::Reporter)
        && let Err(wait) = state.limits.public_validate.check(client.0)
    {
        return Err(ApiError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
            detail: Text::new("检查过于频繁，请稍后再试，或登录后再检查", "Too many checks; wait a little, or log in"),
        });
    }
    match state.apps.validate(&definition) {
        Ok(c) => {
            let warnings = serde_json::from_value::<baida_blocks::App>(definition)
                .map(|app| baida_blocks::warnings::find(&app, state.apps.dictionary()))
                .unwrap_or_default();
            Ok(Json(ValidView { valid: true, id: c.app.id, version: c.app.version, warnings }))
        }
        Err(problems) => Err(ApiError::Invalid {
            code: "invalid_app",
            title: Text::new("应用定义有误", "The app definition is not valid"),
            problems,
        }),
    }
}

/// Submit answers to an app's intake form; 201 only once the case is committed.
#[utoipa::path(post, path = "/api/v1/apps/{app}/submissions", tag = "cases", params(("app" = String, Path, description = "App id"), VersionQuery), request_body = SubmissionBody,
    responses((status = 201, body = SubmittedView), (status = 404, description = "Unknown app, version or community"), (status = 413, description = "Body over the limit"), (status = 422, description = "Answers with problems; nothing stored"), (status = 429, description = "Too many submissions from this address without a log-in; see Retry-After")))]
pub async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    uploader: crate::upload_key::Uploader,
    Path(app): Path<String>,
    Query(q): Query<VersionQuery>,
    ApiJson(body): ApiJson<SubmissionBody>,
) -> Result<impl IntoResponse, ApiError> {
    access::limit_public_submission(&state, &actor, uploader.client)?;
    let submission = Submission {
        app_id: app,
        version: q.version,
        community_id: body.community,
        answers: body.answers,
        channel: body.channel.unwrap_or_else(|| "api".into()),
        actor: actor.label(),
        resident_id: None,
        staff: false,
        case_id: None,
        uploader: (!actor.is_root()).then(|| uploader.digest()),
    };
    let submitted = access::submit_as(&state, &actor, submission).await?;
    let c = submitted.case;
    let view = SubmittedView {
        tracking_url: crate::pages::track::tracking_path(&c.id, &submitted.tracking_token),
        id: c.id,
        number: c.number,
        status: c.status.to_string(),
        current_step: c.current_step,
        app_id: c.app_id,
        app_version: c.app_version,
        created_at: c.created_at,
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/cases/{}", view.id))], Json(view)))
}

/// The app-definition meta-schema (JSON Schema 2020-12).
pub async fn meta_schema() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/schema+json"), (header::CACHE_CONTROL, "public, max-age=3600")],
        baida_blocks::schema::APP_SCHEMA_JSON,
    )
}
