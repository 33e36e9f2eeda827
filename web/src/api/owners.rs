//! The owners' register as community staff see it (`store::homes`): who declared a home in the
//! community, with phones masked, and confirming a resident as an owner — which lets them vote
//! where a vote names `resident`. For staff with `users.manage` in the community (its admin,
//! the street's): `GET /api/v1/communities/{community}/owners`,
//! `POST /api/v1/communities/{community}/owners/{resident}/confirm`, and the page
//! `/work/owners?community=…` with a confirm button per resident (no JavaScript needed).
//! Every confirmation is recorded as a security event `owner.confirmed`.

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::{Lang, Text};
use baida_core::kinds::UnitKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::StaffActor;
use crate::i18n::ReqLang;
use crate::{ApiError, AppState, access};
use baida_engine::auth::mask::{Mask, mask_value};
use baida_engine::auth::{Actor, Permission};
use baida_store::Home;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(owners))
        .routes(routes!(confirm))
        .route("/work/owners", get(page))
        .route("/work/owners/{resident}/confirm", post(confirm_form))
}

/// A declared home as community staff see it: the phone masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerView {
    pub resident_id: String,
    /// e.g. `138****5678`.
    pub phone: String,
    pub building: String,
    pub room: String,
    pub declared_at: chrono::DateTime<chrono::Utc>,
    pub confirmed: bool,
    pub confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn view(home: Home, phone: &str) -> OwnerView {
    OwnerView {
        resident_id: home.resident_id,
        phone: mask_value(&serde_json::json!(phone), Mask::Phone).as_str().unwrap_or_default().to_string(),
        building: home.building,
        room: home.room,
        declared_at: home.declared_at,
        confirmed: home.confirmed_at.is_some(),
        confirmed_at: home.confirmed_at,
    }
}

/// The homes declared in a community: the owners' register, confirmed or not.
#[utoipa::path(get, path = "/api/v1/communities/{community}/owners", tag = "people",
    params(("community" = String, Path, description = "The community's org unit id")),
    responses((status = 200, body = Vec<OwnerView>), (status = 403, description = "No users.manage here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn owners(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(community): Path<String>,
) -> Result<Json<Vec<OwnerView>>, ApiError> {
    access::require(&state, &actor, Permission::UsersManage, Some(&community)).await?;
    let homes = state.engine.owners(&community).await?;
    Ok(Json(homes.into_iter().map(|(h, phone)| view(h, &phone)).collect()))
}

/// Confirms a resident who declared a home in the community as an owner there: they may then
/// vote on its proposals.
#[utoipa::path(post, path = "/api/v1/communities/{community}/owners/{resident}/confirm", tag = "people",
    params(("community" = String, Path, description = "The community's org unit id"), ("resident" = String, Path)),
    responses((status = 200, body = OwnerView), (status = 403, description = "No users.manage here"),
        (status = 404, description = "The resident declared no home in this community")),
    security(("bearer" = []), ("session" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((community, resident)): Path<(String, String)>,
) -> Result<Json<OwnerView>, ApiError> {
    confirm_owner(&state, &actor, &community, &resident).await?;
    let found = state.engine.owner(&community, &resident).await?;
    let (home, phone) = found.ok_or_else(|| ApiError::internal("a confirmed home vanished"))?;
    Ok(Json(view(home, &phone)))
}

/// Confirms `resident` as an owner in `community` on `actor`'s authority.
async fn confirm_owner(state: &AppState, actor: &Actor, community: &str, resident: &str) -> Result<(), ApiError> {
    access::require(state, actor, Permission::UsersManage, Some(community)).await?;
    if !state.engine.confirm_owner(community, resident, &actor.label()).await? {
        return Err(ApiError::NotFound(Text::new(
            "这位居民没有登记本社区的住址",
            "The resident declared no home here",
        )));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub struct CommunityQuery {
    pub community: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct RegisterPage {
    communities: Vec<Choice>,
    community: String,
    owners: Vec<OwnerView>,
    confirmed: usize,
}

/// The register of one of the communities where the staff member may manage people.
async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Query(q): Query<CommunityQuery>,
) -> Response {
    let Ok(actor @ (Actor::Staff(_) | Actor::Root)) = actor else { return crate::api::session::to_login(&uri) };
    let built = async {
        let tree = access::tree(&state).await?;
        let mut mine: Vec<_> = tree
            .values()
            .filter(|u| u.kind == UnitKind::Community && actor.can(Permission::UsersManage, &u.id, &tree))
            .cloned()
            .collect();
        mine.sort_by(|a, b| a.id.cmp(&b.id));
        let community = match q.community {
            Some(c) if mine.iter().any(|u| u.id == c) => c,
            Some(c) => return Err(access::denied(&state, &actor, Permission::UsersManage.as_str(), Some(&c)).await),
            None => mine.first().map(|u| u.id.clone()).ok_or_else(|| {
                ApiError::Forbidden(Text::new("你不管理任何社区的居民", "You manage no community's residents"))
            })?,
        };
        let owners: Vec<OwnerView> =
            state.engine.owners(&community).await?.into_iter().map(|(h, phone)| view(h, &phone)).collect();
        Ok::<_, ApiError>(RegisterPage {
            confirmed: owners.iter().filter(|o| o.confirmed).count(),
            communities: mine
                .into_iter()
                .map(|u| Choice {
                    selected: u.id == community,
                    name: if lang == Lang::En { u.name_en } else { u.name_zh },
                    id: u.id,
                })
                .collect(),
            community,
            owners,
        })
    };
    match built.await {
        Ok(data) => match state.pages.render("owners.html", lang, &uri.to_string(), &data) {
            Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
            Err(e) => ApiError::internal(format!("rendering owners.html: {e:?}")).into_response(),
        },
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    pub community: String,
}

/// The page's confirm button.
async fn confirm_form(
    State(state): State<AppState>,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path(resident): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let Ok(actor @ (Actor::Staff(_) | Actor::Root)) = actor else { return crate::api::session::to_login(&uri) };
    match confirm_owner(&state, &actor, &f.community, &resident).await {
        Ok(()) => Redirect::to(&format!("/work/owners?community={}", f.community)).into_response(),
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}
