//! The designer's API: drafts of apps (autosaved working copies) and publishing them as
//! versions; their history, rollback and archiving are in `versions`.
//!
//! Reading order: the designer's list (`GET /api/v1/drafts`), a draft (`GET`/`PUT
//! /api/v1/drafts/{app}`), `publish`. Only app builders (`apps.build`) of the app's owner
//! change anything.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baida_blocks::{Problem, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::apps::{SavedView, app_visible};
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, OrgTree, Permission};
use baida_engine::drafts::{self, DesignerApp, DraftError, Workspace};
use baida_store::Draft;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(read, save, discard)).routes(routes!(publish))
}

/// An app as the designer lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignerAppView {
    pub id: String,
    pub owner: String,
    #[schema(value_type = Object)]
    pub name: Value,
    pub icon: String,
    pub category: String,
    /// `draft` (never published), `published`, or `changed` (published, with unpublished changes).
    pub status: &'static str,
    /// The latest published version, if any.
    pub version: Option<String>,
    pub versions: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub archived: bool,
}

/// A draft being edited, with what validation says of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftView {
    pub id: String,
    pub owner: String,
    /// 0 when there is no draft yet and this is the latest published version.
    pub revision: i64,
    #[schema(value_type = Object)]
    pub definition: Value,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
    pub published_version: Option<String>,
    pub archived: bool,
    /// Where its resident form can be opened: the owner, or the first community below it.
    pub community: Option<String>,
    /// Problems `baida validate` would report, each with its JSON pointer (and line and column
    /// for scripts); the draft is kept even when there are some.
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Problem>,
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Problem>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDraft {
    /// Id of the new app (default: generated); lower-case letters, digits and `-`.
    pub id: Option<String>,
    /// The org unit that will own it (default: the builder's own unit).
    pub owner: Option<String>,
    /// Start from a copy of this app (its draft if it has one, else its latest version).
    pub copy_of: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftSave {
    /// The revision this edit was made from (0 for the first save).
    pub revision: i64,
    #[schema(value_type = Object)]
    pub definition: Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// The revision being published: what the builder sees.
    pub revision: i64,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Include archived apps.
    #[serde(default)]
    pub archived: bool,
}

/// What a [`DraftError`] answers where `no_draft` is how this request says there is no draft.
pub(crate) fn refused(e: DraftError, no_draft: fn() -> ApiError) -> ApiError {
    match e {
        DraftError::InvalidId => ApiError::Invalid {
            code: "invalid_id",
            title: Text::new("应用标识不符合要求", "The app id is not valid"),
            problems: vec![Problem::new(
                "/id",
                "invalid_id",
                Text::new(
                    "应用标识只能用小写字母、数字和“-”，2 到 63 个字符",
                    "An app id has 2–63 lower-case letters, digits and “-”",
                ),
            )],
        },
        DraftError::Taken(id) => ApiError::Conflict(Text::new(
            format!("已经有标识为“{id}”的应用"),
            format!("There is already an app “{id}”"),
        )),
        DraftError::IdChanged(app) => ApiError::Invalid {
            code: "id_changed",
            title: Text::new("草稿的应用标识不能修改", "A draft cannot change its app's id"),
            problems: vec![
                Problem::new(
                    "/definition/id",
                    "id_changed",
                    Text::new(format!("这里的标识必须是“{app}”"), format!("The id here must be “{app}”")),
                )
                .with_hint(Text::new("要换标识，请复制应用", "To use another id, duplicate the app")),
            ],
        },
        DraftError::NoDraft => no_draft(),
        DraftError::Moved(revision) => ApiError::Conflict(Text::new(
            format!("草稿已被修改（现在是第 {revision} 版），请刷新后再发布"),
            format!("The draft changed meanwhile (now revision {revision}); reload it before publishing"),
        )),
        DraftError::NoVersion(v) => {
            ApiError::NotFound(Text::new(format!("没有版本“{v}”"), format!("No version “{v}”")))
        }
        DraftError::Apps(e) => e.into(),
        DraftError::Store(e) => e.into(),
    }
}

pub(crate) fn no_changes() -> ApiError {
    ApiError::Conflict(Text::new("没有未发布的修改", "There are no unpublished changes"))
}

/// Finds the app and checks that the actor may see it and (when `build`) change it.
pub(crate) async fn builder_of(
    state: &AppState,
    actor: &Actor,
    tree: &OrgTree,
    app: &str,
    build: bool,
) -> Result<String, ApiError> {
    let owner = state.engine.app_owner(app).await?.ok_or_else(ApiError::not_found_app)?;
    if !app_visible(actor, &owner, tree) {
        return Err(ApiError::not_found_app());
    }
    if build && !actor.can(Permission::AppsBuild, &owner, tree) {
        return Err(access::denied(state, actor, "apps.build", Some(&owner)).await);
    }
    Ok(owner)
}

/// The apps a builder works on: published ones and drafts, newest change first.
#[utoipa::path(get, path = "/api/v1/drafts", tag = "designer", params(("archived" = Option<bool>, Query, description = "Include archived apps")), responses((status = 200, body = [DesignerAppView])), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<DesignerAppView>>, ApiError> {
    let tree = access::tree(&state).await?;
    let apps = state.engine.designer_apps(&actor, &tree, q.archived).await?;
    Ok(Json(apps.into_iter().map(DesignerAppView::from).collect()))
}

impl From<DesignerApp> for DesignerAppView {
    fn from(a: DesignerApp) -> Self {
        DesignerAppView {
            id: a.id,
            owner: a.owner,
            name: a.name,
            icon: a.icon,
            category: a.category,
            status: a.status,
            version: a.version,
            versions: a.versions,
            updated_at: a.updated_at,
            updated_by: a.updated_by,
            archived: a.archived,
        }
    }
}

/// Creates a draft: a blank app, or a copy of another.
#[utoipa::path(post, path = "/api/v1/drafts", tag = "designer", request_body = NewDraft, responses((status = 201, body = DraftView), (status = 403, description = "Not an app builder there"), (status = 409, description = "The id is taken"), (status = 422, description = "A bad id")), security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ApiJson(body): ApiJson<NewDraft>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    let id = state.engine.new_app_id(body.id).await.map_err(|e| refused(e, no_changes))?;
    let owner = match (body.owner, actor.staff()) {
        (Some(o), _) => o,
        (None, Some(s)) => s.unit_id.clone(),
        (None, None) => tree.values().find(|u| u.parent_id.is_none()).map(|u| u.id.clone()).unwrap_or_default(),
    };
    if !tree.contains_key(&owner) || !app_visible(&actor, &owner, &tree) {
        return Err(ApiError::NotFound(Text::new(format!("没有组织机构“{owner}”"), format!("No org unit “{owner}”"))));
    }
    if !actor.can(Permission::AppsBuild, &owner, &tree) {
        return Err(access::denied(&state, &actor, "apps.build", Some(&owner)).await);
    }
    if let Some(source) = &body.copy_of {
        builder_of(&state, &actor, &tree, source, false).await?;
    }
    let draft = state.engine.start_draft(id, owner, body.copy_of.as_deref(), &actor.label()).await?;
    let mut view = draft_view(&state, draft, None, false, &tree);
    view.community = drafts::tried_in(&tree, &view.owner);
    Ok((StatusCode::CREATED, Json(view)))
}

fn draft_view(state: &AppState, d: Draft, published: Option<String>, archived: bool, tree: &OrgTree) -> DraftView {
    let (problems, warnings) = state.apps.check_in(&d.definition, tree);
    DraftView {
        id: d.app_id,
        owner: d.owner_id,
        revision: d.revision,
        definition: d.definition,
        updated_at: (d.revision > 0).then_some(d.updated_at),
        updated_by: (d.revision > 0).then_some(d.updated_by),
        published_version: published,
        archived,
        community: None,
        problems,
        warnings,
    }
}

/// The draft of an app; when it has none, its latest version as revision 0.
#[utoipa::path(get, path = "/api/v1/drafts/{app}", tag = "designer", params(("app" = String, Path)), responses((status = 200, body = DraftView), (status = 404, description = "No such app")), security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
) -> Result<Json<DraftView>, ApiError> {
    let tree = access::tree(&state).await?;
    builder_of(&state, &actor, &tree, &app, false).await?;
    let Workspace { draft, published, archived } =
        state.engine.draft(&app).await?.ok_or_else(ApiError::not_found_app)?;
    let mut view = draft_view(&state, draft, published, archived, &tree);
    view.community = drafts::tried_in(&tree, &view.owner);
    Ok(Json(view))
}

/// Saves the draft (autosave): any JSON object whose `id` is the app's; the answer carries
/// the new revision and what validation says.
#[utoipa::path(put, path = "/api/v1/drafts/{app}", tag = "designer", params(("app" = String, Path)), request_body = DraftSave, responses((status = 200, body = DraftView), (status = 409, description = "Saved meanwhile from another revision"), (status = 422, description = "The id changed")), security(("bearer" = []), ("session" = [])))]
pub async fn save(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<DraftSave>,
) -> Result<Json<DraftView>, ApiError> {
    let tree = access::tree(&state).await?;
    let owner = builder_of(&state, &actor, &tree, &app, true).await?;
    let Workspace { draft, published, archived } = state
        .engine
        .save_draft(&app, owner, body.definition, body.revision, &actor.label())
        .await
        .map_err(|e| refused(e, no_changes))?;
    let mut view = draft_view(&state, draft, published, archived, &tree);
    view.community = drafts::tried_in(&tree, &view.owner);
    Ok(Json(view))
}

/// Throws the draft away; the published version stays as it is.
#[utoipa::path(delete, path = "/api/v1/drafts/{app}", tag = "designer", params(("app" = String, Path)), responses((status = 204, description = "Discarded")), security(("bearer" = []), ("session" = [])))]
pub async fn discard(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tree = access::tree(&state).await?;
    builder_of(&state, &actor, &tree, &app, true).await?;
    state.engine.discard_draft(&app).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes the draft at `revision` as a new version of the app.
#[utoipa::path(post, path = "/api/v1/drafts/{app}/publish", tag = "designer", params(("app" = String, Path)), request_body = PublishBody, responses((status = 201, body = SavedView), (status = 409, description = "No draft, or another revision"), (status = 422, description = "The draft has problems")), security(("bearer" = []), ("session" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    let owner = builder_of(&state, &actor, &tree, &app, true).await?;
    let draft = state.engine.draft_at(&app, body.revision).await.map_err(|e| refused(e, no_changes))?;
    access::require_publish(&state, &actor, &owner, &draft.definition).await?;
    let saved = state.engine.publish_draft(draft, &owner, &actor.label()).await.map_err(|e| refused(e, no_changes))?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(SavedView { id: saved.version.app_id, version: saved.version.version, created: saved.created })))
}
