//! The district catalog over HTTP, `/api/v1/catalog`: browse published apps, submit a version,
//! review submissions (the district), install into a community and upgrade an installed copy.
//!
//! Who may do what: staff browse; holders of `catalog.publish` (community admins, app builders)
//! submit their unit's apps and install into their units; holders of `catalog.review` (district
//! admins) approve or reject. A submission, install or fork outside the actor's units answers
//! 404, as a case of another tenant does.
//!
//! Kept whole (over 500 lines): every catalog operation with its permission check, side by
//! side, so a reader sees who may do what in one place.

use baida_core::kinds::UnitKind;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use baida_blocks::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::access;
use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, OrgTree, Permission, is_within};
use baida_engine::catalog::{Catalog, Change, Conflict, Decision, Entry, NewSubmission, Plan, Side};
use baida_store::{Event, Install, Submission, SubmissionStatus};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(submissions, submit))
        .routes(routes!(submission))
        .routes(routes!(review))
        .routes(routes!(installs))
        .routes(routes!(upgrade_plan, upgrade))
        .routes(routes!(entry))
        .routes(routes!(install))
}

/// The catalog's domain service for this request.
pub fn catalog(state: &AppState) -> Catalog {
    Catalog::new(state.engine.clone())
}

fn no_submission() -> ApiError {
    ApiError::NotFound(Text::new("没有这个目录提交", "No such catalog submission"))
}

fn not_installed() -> ApiError {
    ApiError::NotFound(Text::new("没有这个从目录安装的应用", "No such app installed from the catalog"))
}

/// A published app in the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub app_id: String,
    /// The newest published version.
    pub version: String,
    #[schema(value_type = Object)]
    pub name: Value,
    #[schema(value_type = Object)]
    pub description: Value,
    pub category: String,
    pub scenario: Option<String>,
    /// The unit the app comes from.
    pub origin: String,
    pub screenshots: Vec<String>,
    /// How many communities installed it.
    pub installs: usize,
    pub published_at: Option<DateTime<Utc>>,
}

/// A published app with its versions, its definition (for the preview) and its installs.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub entry: EntryView,
    pub versions: Vec<VersionView>,
    pub installed_by: Vec<Install>,
    #[schema(value_type = Object)]
    pub definition: Value,
}

/// One published version and what changed in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: String,
    #[schema(value_type = Object)]
    pub changelog: Value,
    pub published_at: Option<DateTime<Utc>>,
}

pub fn entry_view(e: &Entry) -> EntryView {
    let s = &e.latest;
    EntryView {
        app_id: s.app_id.clone(),
        version: s.version.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        category: s.category.clone(),
        scenario: s.scenario.clone(),
        origin: s.origin_id.clone(),
        screenshots: s.screenshots.clone(),
        installs: e.installs.len(),
        published_at: s.reviewed_at,
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CatalogQuery {
    /// Words in the name or description.
    pub q: Option<String>,
    /// A category, e.g. `vehicle`.
    pub category: Option<String>,
    /// A scenario of the data dictionary, e.g. `move-car`.
    pub scenario: Option<String>,
}

/// Browse the published apps, most installed first; search by words, category and scenario.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", params(CatalogQuery),
    responses((status = 200, body = [EntryView]), (status = 401, description = "Not logged in")),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(_actor): StaffActor,
    Query(q): Query<CatalogQuery>,
) -> Result<Json<Vec<EntryView>>, ApiError> {
    let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let entries = catalog(&state)
        .entries(given(&q.q).as_deref(), given(&q.category).as_deref(), given(&q.scenario).as_deref())
        .await?;
    Ok(Json(entries.iter().map(entry_view).collect()))
}

/// A published app: versions with their changelogs, the definition of the newest (to preview
/// its forms and flow) and the communities that installed it.
#[utoipa::path(get, path = "/api/v1/catalog/{app}", tag = "catalog", params(("app" = String, Path, description = "App id")),
    responses((status = 200, body = EntryDetail), (status = 404, description = "Not published")),
    security(("bearer" = []), ("session" = [])))]
pub async fn entry(
    State(state): State<AppState>,
    StaffActor(_actor): StaffActor,
    Path(app): Path<String>,
) -> Result<Json<EntryDetail>, ApiError> {
    let e = catalog(&state).entry(&app).await?;
    Ok(Json(EntryDetail {
        entry: entry_view(&e),
        versions: e
            .versions
            .iter()
            .map(|v| VersionView {
                version: v.version.clone(),
                changelog: v.changelog.clone(),
                published_at: v.reviewed_at,
            })
            .collect(),
        definition: e.latest.definition.clone(),
        installed_by: e.installs,
    }))
}

/// A submission to the catalog, as its origin and the district see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub app_id: String,
    pub version: String,
    pub origin: String,
    #[schema(value_type = Object)]
    pub name: Value,
    #[schema(value_type = Object)]
    pub description: Value,
    pub category: String,
    pub scenario: Option<String>,
    #[schema(value_type = Object)]
    pub changelog: Value,
    pub screenshots: Vec<String>,
    pub status: SubmissionStatus,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_comment: Option<String>,
    /// The case that reviews it (`/api/v1/cases/{id}`, `/work/cases/{id}`); absent for a
    /// submission reviewed before reviews were cases.
    pub review_case: Option<String>,
    /// The review's timeline: its case's hash-chained events (only in the single view).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub timeline: Option<Vec<Event>>,
}

impl From<Submission> for SubmissionView {
    fn from(s: Submission) -> Self {
        SubmissionView {
            id: s.id,
            app_id: s.app_id,
            version: s.version,
            origin: s.origin_id,
            name: s.name,
            description: s.description,
            category: s.category,
            scenario: s.scenario,
            changelog: s.changelog,
            screenshots: s.screenshots,
            status: s.status,
            submitted_by: s.submitted_by,
            submitted_at: s.submitted_at,
            reviewed_by: s.reviewed_by,
            reviewed_at: s.reviewed_at,
            review_comment: s.review_comment,
            review_case: s.review_case_id,
            timeline: None,
        }
    }
}

/// What a unit submits.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The app to submit (one owned by the caller's unit or below).
    pub app: String,
    /// A saved version of it; the latest when omitted.
    pub version: Option<String>,
    /// `{"zh-CN": …, "en": …}` or a string.
    #[schema(value_type = Object)]
    pub description: Text,
    /// The app's own category when omitted.
    pub category: Option<String>,
    pub scenario: Option<String>,
    /// What is new in this version.
    #[schema(value_type = Object)]
    pub changelog: Text,
    /// SHA-256 names of screenshots uploaded with `POST /api/v1/photos`.
    #[serde(default)]
    pub screenshots: Vec<String>,
}

/// Submit an app version to the district catalog for review.
#[utoipa::path(post, path = "/api/v1/catalog/submissions", tag = "catalog", request_body = SubmitBody,
    responses((status = 201, body = SubmissionView), (status = 403, description = "No catalog.publish for the app's unit"), (status = 404, description = "No such app"), (status = 409, description = "That version was submitted before"), (status = 422, description = "Bad description, changelog, scenario or screenshots")),
    security(("bearer" = []), ("session" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tree = access::tree(&state).await?;
    let owner = match state.apps.version(&body.app, None).await? {
        Some(v) if crate::api::apps::app_visible(&actor, &v.owner_id, &tree) => v.owner_id,
        _ => return Err(ApiError::not_found_app()),
    };
    if !actor.can(Permission::CatalogPublish, &owner, &tree) {
        return Err(access::denied(&state, &actor, "catalog.publish", Some(&owner)).await);
    }
    let new = NewSubmission {
        app_id: body.app,
        version: body.version,
        description: body.description,
        category: body.category,
        scenario: body.scenario,
        changelog: body.changelog,
        screenshots: body.screenshots,
        uploader: crate::upload_key::person_digest(&actor),
    };
    let s = catalog(&state).submit(new, &actor.label()).await?;
    let location = format!("/api/v1/catalog/submissions/{}", s.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(SubmissionView::from(s))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SubmissionsQuery {
    /// `submitted` (the review queue), `approved` or `rejected`; all when omitted.
    pub status: Option<String>,
}

/// Submissions the caller may see: a reviewer's whole district, a publisher's own units.
#[utoipa::path(get, path = "/api/v1/catalog/submissions", tag = "catalog", params(SubmissionsQuery),
    responses((status = 200, body = [SubmissionView]), (status = 400, description = "Unknown status")),
    security(("bearer" = []), ("session" = [])))]
pub async fn submissions(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Query(q): Query<SubmissionsQuery>,
) -> Result<Json<Vec<SubmissionView>>, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(SubmissionStatus::parse(s).ok_or(ApiError::BadRequest {
            code: "bad_status",
            detail: Text::new(
                "status 只能是 submitted、approved 或 rejected",
                "status is submitted, approved or rejected",
            ),
        })?),
    };
    let tree = access::tree(&state).await?;
    let list = catalog(&state).submissions_seen_by(&actor, &tree, status).await?;
    Ok(Json(list.into_iter().map(SubmissionView::from).collect()))
}

/// A submission the caller may see, or 404.
pub async fn visible_submission(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<(Submission, std::sync::Arc<OrgTree>), ApiError> {
    let tree = access::tree(state).await?;
    let s = catalog(state).submission_seen_by(actor, &tree, id).await?.ok_or_else(no_submission)?;
    Ok((s, tree))
}

/// A submission with its review timeline.
#[utoipa::path(get, path = "/api/v1/catalog/submissions/{id}", tag = "catalog", params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, body = SubmissionView), (status = 404, description = "No such submission here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn submission(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<SubmissionView>, ApiError> {
    let (s, _) = visible_submission(&state, &actor, &id).await?;
    let events = catalog(&state).timeline(&s).await?;
    let mut view = SubmissionView::from(s);
    view.timeline = Some(events);
    Ok(Json(view))
}

/// The district's decision on a submission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: Decision,
    /// Required when rejecting.
    pub comment: Option<String>,
}

/// Approve (publish) or reject a submission awaiting review.
#[utoipa::path(post, path = "/api/v1/catalog/submissions/{id}/review", tag = "catalog", params(("id" = String, Path, description = "Submission id")), request_body = ReviewBody,
    responses((status = 200, body = SubmissionView), (status = 403, description = "Not a reviewer"), (status = 404, description = "No such submission here"), (status = 409, description = "Reviewed already"), (status = 422, description = "A rejection without a comment")),
    security(("bearer" = []), ("session" = [])))]
pub async fn review(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<SubmissionView>, ApiError> {
    let (s, tree) = visible_submission(&state, &actor, &id).await?;
    if !actor.can(Permission::CatalogReview, &s.origin_id, &tree) {
        return Err(access::denied(&state, &actor, "catalog.review", Some(&s.origin_id)).await);
    }
    let s = catalog(&state).review(&id, body.decision, body.comment, &actor).await?;
    Ok(Json(s.into()))
}

/// Where to install.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallBody {
    /// The community that gets its own copy.
    pub community: String,
    /// A published version; the newest when omitted.
    pub version: Option<String>,
}

/// Checks that the actor may install into (or upgrade in) `community`: 404 outside their
/// reach, 403 within it without `catalog.publish`.
pub async fn may_install(state: &AppState, actor: &Actor, community: &str) -> Result<(), ApiError> {
    let tree = access::tree(state).await?;
    let is_community = tree.get(community).is_some_and(|u| u.kind == UnitKind::Community && u.retired_at.is_none());
    let near = match actor.staff() {
        None => actor.is_root(),
        Some(s) => s.holdings.iter().any(|h| is_within(&tree, community, &h.unit_id)),
    };
    if !is_community || !near {
        return Err(ApiError::NotFound(Text::new("没有这个社区", "No such community")));
    }
    if !actor.can(Permission::CatalogPublish, community, &tree) {
        return Err(access::denied(state, actor, "catalog.publish", Some(community)).await);
    }
    Ok(())
}

/// Install a published app into a community: a copy of its own, `{app}-{community}`, that
/// remembers its source and version.
#[utoipa::path(post, path = "/api/v1/catalog/{app}/install", tag = "catalog", params(("app" = String, Path, description = "Published app id")), request_body = InstallBody,
    responses((status = 201, body = Install), (status = 403, description = "No catalog.publish there"), (status = 404, description = "Not published, or no such community here"), (status = 409, description = "Installed there already")),
    security(("bearer" = []), ("session" = [])))]
pub async fn install(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<InstallBody>,
) -> Result<impl IntoResponse, ApiError> {
    may_install(&state, &actor, &body.community).await?;
    let i = catalog(&state).install(&app, body.version.as_deref(), &body.community, &actor.label()).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/apps/{}", i.app_id))], Json(i)))
}

/// An installed copy and whether a newer version is published.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallView {
    #[serde(flatten)]
    pub install: Install,
    /// The newest published version of the source.
    pub latest_version: Option<String>,
    pub update_available: bool,
}

/// Copies installed in the caller's units, each with the newest published version.
#[utoipa::path(get, path = "/api/v1/catalog/installs", tag = "catalog",
    responses((status = 200, body = [InstallView])), security(("bearer" = []), ("session" = [])))]
pub async fn installs(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
) -> Result<Json<Vec<InstallView>>, ApiError> {
    let tree = access::tree(&state).await?;
    let list = catalog(&state).installs_seen_by(&actor, &tree).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| InstallView {
                install: c.install,
                latest_version: c.latest_version,
                update_available: c.update_available,
            })
            .collect(),
    ))
}

/// What an upgrade changes: the new version's changes, the community's own, and conflicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub app_id: String,
    pub source_app_id: String,
    pub from_version: String,
    pub to_version: String,
    pub up_to_date: bool,
    #[schema(value_type = Object)]
    pub changelog: Value,
    pub changes: Vec<Change>,
    pub local_changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
}

pub fn plan_view(p: &Plan) -> PlanView {
    PlanView {
        app_id: p.install.app_id.clone(),
        source_app_id: p.install.source_app_id.clone(),
        from_version: p.from.version.clone(),
        to_version: p.to.version.clone(),
        up_to_date: p.is_current(),
        changelog: p.to.changelog.clone(),
        changes: p.changes.clone(),
        local_changes: p.local.clone(),
        conflicts: p.conflicts.clone(),
    }
}

/// The install of `fork`, if the actor may manage it; else 404.
async fn managed_install(state: &AppState, actor: &Actor, fork: &str) -> Result<Install, ApiError> {
    let tree = access::tree(state).await?;
    catalog(state).install_managed_by(actor, &tree, fork).await?.ok_or_else(not_installed)
}

/// Preview an upgrade of an installed copy to the newest published version.
#[utoipa::path(get, path = "/api/v1/catalog/installs/{app}/upgrade", tag = "catalog", params(("app" = String, Path, description = "The installed copy's app id")),
    responses((status = 200, body = PlanView), (status = 404, description = "Not an installed copy here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upgrade_plan(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    managed_install(&state, &actor, &app).await?;
    let plan = catalog(&state).upgrade_plan(&app, &BTreeMap::new()).await?;
    Ok(Json(plan_view(&plan)))
}

/// How to settle conflicts.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeBody {
    /// For each conflicting path, `mine` (keep the community's) or `theirs` (take the new version's).
    #[serde(default)]
    pub resolutions: BTreeMap<String, Side>,
}

/// Upgrade an installed copy, keeping local changes; 409 with every conflict (nothing changed)
/// until each is resolved.
#[utoipa::path(post, path = "/api/v1/catalog/installs/{app}/upgrade", tag = "catalog", params(("app" = String, Path, description = "The installed copy's app id")), request_body = UpgradeBody,
    responses((status = 200, body = PlanView), (status = 404, description = "Not an installed copy here"), (status = 409, description = "Conflicts to resolve, or up to date"), (status = 422, description = "The merged app is not valid")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upgrade(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<UpgradeBody>,
) -> Result<Json<PlanView>, ApiError> {
    managed_install(&state, &actor, &app).await?;
    let plan = catalog(&state).upgrade(&app, &body.resolutions, &actor.label()).await?;
    Ok(Json(plan_view(&plan)))
}
