//! The designer's API: drafts of apps (autosaved working copies) and publishing them as
//! versions; their history, rollback and archiving are in `versions`.
//!
//! Reading order: the designer's list (`GET /api/v1/drafts`), a draft (`GET`/`PUT
//! /api/v1/drafts/{app}`), `publish`. Only app builders (`apps.build`) of the app's owner
//! change anything.

use baida_core::kinds::UnitKind;
use std::collections::{HashMap, HashSet};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baida_blocks::{Problem, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::api::apps::{SavedView, app_visible};
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, OrgTree, Permission};
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

fn blank(id: &str) -> Value {
    json!({
        "$schema": baida_blocks::schema::SCHEMA_URL,
        "id": id,
        "version": "0.1.0",
        "name": {"zh-CN": "未命名应用", "en": "Untitled app"},
        "category": "events-complaints",
        "icon": "📝",
        "access": {"submit": "public"},
        "record": {"fields": []},
        "steps": [{"id": "report", "name": {"zh-CN": "填报", "en": "Report"}, "block": "form", "config": {"who": ["public"]}}],
        "transitions": []
    })
}

fn id_ok(id: &str) -> bool {
    (2..=63).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// The owner of an app (draft or published), if there is one.
async fn owner_of(state: &AppState, app: &str) -> Result<Option<String>, ApiError> {
    if let Some(v) = state.store.app_version(app, None).await? {
        return Ok(Some(v.owner_id));
    }
    Ok(state.store.draft(app).await?.map(|d| d.owner_id))
}

/// Finds the app and checks that the actor may see it and (when `build`) change it.
pub(crate) async fn builder_of(
    state: &AppState,
    actor: &Actor,
    tree: &OrgTree,
    app: &str,
    build: bool,
) -> Result<String, ApiError> {
    let owner = owner_of(state, app).await?.ok_or_else(ApiError::not_found_app)?;
    if !app_visible(actor, &owner, tree) {
        return Err(ApiError::not_found_app());
    }
    if build && !actor.can(Permission::AppsBuild, &owner, tree) {
        return Err(access::denied(state, actor, "apps.build", Some(&owner)).await);
    }
    Ok(owner)
}

/// A person's name for who changed something (`updated_by` stores the account id).
pub(crate) async fn who(state: &AppState, names: &mut HashMap<String, String>, label: &str) -> String {
    if let Some(n) = names.get(label) {
        return n.clone();
    }
    let name = match state.store.user(label).await {
        Ok(Some(u)) => u.name,
        _ => label.to_string(),
    };
    names.insert(label.to_string(), name.clone());
    name
}

fn check(state: &AppState, definition: &Value) -> (Vec<Problem>, Vec<Problem>) {
    match state.apps.validate(definition) {
        Ok(_) => {
            let warnings = serde_json::from_value::<baida_blocks::App>(definition.clone())
                .map(|app| baida_blocks::warnings::find(&app, state.apps.dictionary()))
                .unwrap_or_default();
            (Vec::new(), warnings)
        }
        Err(problems) => (problems, Vec::new()),
    }
}

/// The apps a builder works on: published ones and drafts, newest change first.
#[utoipa::path(get, path = "/api/v1/drafts", tag = "designer", params(("archived" = Option<bool>, Query, description = "Include archived apps")), responses((status = 200, body = [DesignerAppView])), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<DesignerAppView>>, ApiError> {
    let tree = access::tree(&state).await?;
    let archived: HashSet<String> = state.store.archived_apps().await?.into_iter().collect();
    let mut drafts: HashMap<String, Draft> =
        state.store.drafts().await?.into_iter().map(|d| (d.app_id.clone(), d)).collect();
    let mut out = Vec::new();
    for a in state.store.apps().await? {
        if !app_visible(&actor, &a.owner_id, &tree) {
            continue;
        }
        let draft = drafts.remove(&a.app_id);
        let (updated_at, updated_by, status, name) = match &draft {
            Some(d) => (d.updated_at, d.updated_by.clone(), "changed", d.definition["name"].clone()),
            None => {
                let by = state.store.app_version(&a.app_id, None).await?.map(|v| v.created_by).unwrap_or_default();
                (a.updated_at, by, "published", a.name.clone())
            }
        };
        out.push(DesignerAppView {
            archived: archived.contains(&a.app_id),
            id: a.app_id,
            owner: a.owner_id,
            name,
            icon: a.icon,
            category: a.category,
            status,
            version: Some(a.latest_version),
            versions: a.versions,
            updated_at,
            updated_by,
        });
    }
    for d in drafts.into_values().filter(|d| app_visible(&actor, &d.owner_id, &tree)) {
        out.push(DesignerAppView {
            archived: archived.contains(&d.app_id),
            name: d.definition["name"].clone(),
            icon: d.definition["icon"].as_str().unwrap_or_default().to_string(),
            category: d.definition["category"].as_str().unwrap_or_default().to_string(),
            id: d.app_id,
            owner: d.owner_id,
            status: "draft",
            version: None,
            versions: 0,
            updated_at: d.updated_at,
            updated_by: d.updated_by,
        });
    }
    let mut names = HashMap::new();
    for a in &mut out {
        a.updated_by = who(&state, &mut names, &a.updated_by).await;
    }
    out.retain(|a| q.archived || !a.archived);
    out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
    Ok(Json(out))
}

/// Creates a draft: a blank app, or a copy of another.
#[utoipa::path(post, path = "/api/v1/drafts", tag = "designer", request_body = NewDraft, responses((status = 201, body = DraftView), (status = 403, description = "Not an app builder there"), (status = 409, description = "The id is taken"), (status = 422, description = "A bad id")), security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ApiJson(body): ApiJson<NewDraft>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    let id = body.id.unwrap_or_else(|| format!("app-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    if !id_ok(&id) {
        return Err(ApiError::Invalid {
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
        });
    }
    if owner_of(&state, &id).await?.is_some() {
        return Err(ApiError::Conflict(Text::new(
            format!("已经有标识为“{id}”的应用"),
            format!("There is already an app “{id}”"),
        )));
    }
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
    let mut definition = match &body.copy_of {
        None => blank(&id),
        Some(source) => {
            builder_of(&state, &actor, &tree, source, false).await?;
            let mut d = match state.store.draft(source).await? {
                Some(d) => d.definition,
                None => state.store.app_version(source, None).await?.map(|v| v.definition).unwrap_or_default(),
            };
            if let Some(name) = d.get_mut("name") {
                *name = match name.take() {
                    Value::String(s) => json!({"zh-CN": format!("{s}（副本）"), "en": format!("{s} (copy)")}),
                    Value::Object(m) => json!({
                        "zh-CN": format!("{}（副本）", m.get("zh-CN").and_then(Value::as_str).unwrap_or_default()),
                        "en": format!("{} (copy)", m.get("en").and_then(Value::as_str).unwrap_or_default()),
                    }),
                    other => other,
                };
            }
            d
        }
    };
    definition["id"] = Value::String(id.clone());
    definition["version"] = Value::String("0.1.0".into());
    let draft = Draft {
        app_id: id,
        owner_id: owner,
        definition,
        revision: 1,
        updated_at: state.engine.clock.now(),
        updated_by: actor.label(),
    };
    state.store.put_draft(&draft).await?;
    let mut view = draft_view(&state, draft, None, false);
    view.community = community_of(&tree, &view.owner);
    Ok((StatusCode::CREATED, Json(view)))
}

fn draft_view(state: &AppState, d: Draft, published: Option<String>, archived: bool) -> DraftView {
    let (problems, warnings) = check(state, &d.definition);
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

/// The owner when it is a community, else the first community below it.
fn community_of(tree: &OrgTree, owner: &str) -> Option<String> {
    let mut below: Vec<&String> = tree
        .values()
        .filter(|u| {
            u.kind == UnitKind::Community && u.retired_at.is_none() && baida_engine::auth::is_within(tree, &u.id, owner)
        })
        .map(|u| &u.id)
        .collect();
    below.sort();
    below.first().map(|s| s.to_string())
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
    let published = state.store.app_version(&app, None).await?;
    let archived = state.store.is_archived(&app).await?;
    let version = published.as_ref().map(|v| v.version.clone());
    let draft = match state.store.draft(&app).await? {
        Some(d) => d,
        None => {
            let v = published.ok_or_else(ApiError::not_found_app)?;
            Draft {
                app_id: v.app_id,
                owner_id: v.owner_id,
                definition: v.definition,
                revision: 0,
                updated_at: v.created_at,
                updated_by: v.created_by,
            }
        }
    };
    let mut view = draft_view(&state, draft, version, archived);
    view.community = community_of(&tree, &view.owner);
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
    if body.definition.get("id").and_then(Value::as_str) != Some(app.as_str()) {
        return Err(ApiError::Invalid {
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
        });
    }
    let draft = Draft {
        app_id: app.clone(),
        owner_id: owner,
        definition: body.definition,
        revision: body.revision + 1,
        updated_at: state.engine.clock.now(),
        updated_by: actor.label(),
    };
    state.store.put_draft(&draft).await?;
    let published = state.store.app_version(&app, None).await?.map(|v| v.version);
    let archived = state.store.is_archived(&app).await?;
    let mut view = draft_view(&state, draft, published, archived);
    view.community = community_of(&tree, &view.owner);
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
    if let Some(d) = state.store.draft(&app).await? {
        state.store.delete_draft(&app, d.revision).await?;
    }
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
    let draft = state
        .store
        .draft(&app)
        .await?
        .ok_or_else(|| ApiError::Conflict(Text::new("没有未发布的修改", "There are no unpublished changes")))?;
    if draft.revision != body.revision {
        return Err(ApiError::Conflict(Text::new(
            format!("草稿已被修改（现在是第 {} 版），请刷新后再发布", draft.revision),
            format!("The draft changed meanwhile (now revision {}); reload it before publishing", draft.revision),
        )));
    }
    access::require_publish(&state, &actor, &owner, &draft.definition).await?;
    let saved = state.apps.save(draft.definition, &owner, &actor.label()).await?;
    state.store.delete_draft(&app, draft.revision).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(SavedView { id: saved.version.app_id, version: saved.version.version, created: saved.created })))
}
