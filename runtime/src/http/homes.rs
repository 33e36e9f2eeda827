//! Where residents live, and the owners' register (`store::homes`).
//!
//! - `/my/home` (a logged-in resident, no JavaScript needed): declare the community, building and
//!   room they live in. A declared home lets them comment on that community's spending
//!   proposals; declaring another home clears a confirmation.
//! - `GET /api/v1/communities/{community}/owners` and
//!   `POST /api/v1/communities/{community}/owners/{resident}/confirm` (staff with
//!   `users.manage` there): the homes declared in the community, phones masked, and confirming
//!   a resident as an owner — which lets them vote where a vote names `resident`.

use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baida_blocks::{Lang, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::StaffActor;
use super::{ApiError, AppState, access};
use crate::auth::Actor;
use crate::auth::mask::{Mask, mask_value};
use crate::auth::{Permission, session};
use crate::i18n::ReqLang;
use crate::store::Home;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/home", get(page).post(declare))
        .route("/api/v1/communities/{community}/owners", get(owners))
        .route("/api/v1/communities/{community}/owners/{resident}/confirm", post(confirm))
}

/// The longest building or room text.
const MAX_PLACE: usize = 20;

#[derive(Serialize)]
struct CommunityOption {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct HomePage {
    communities: Vec<CommunityOption>,
    building: String,
    room: String,
    declared: bool,
    confirmed: bool,
    error: Option<String>,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => String::new(),
    }
}

/// What a re-shown form carries: the community chosen and the text typed, and why it was
/// refused.
#[derive(Default)]
struct Shown<'a> {
    chosen: Option<&'a str>,
    typed: Option<(&'a str, &'a str)>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    lang: Lang,
    path: &str,
    home: Option<&Home>,
    next: String,
    Shown { chosen, typed, error }: Shown<'_>,
) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let units = match state.store.org_units().await {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let chosen = chosen.or(home.map(|h| h.community_id.as_str()));
    let communities = units
        .into_iter()
        .filter(|u| u.kind == "community" && u.retired_at.is_none())
        .map(|u| CommunityOption {
            selected: chosen == Some(u.id.as_str()),
            name: if lang == Lang::En { u.name_en } else { u.name_zh },
            id: u.id,
        })
        .collect();
    let (building, room) = match typed {
        Some((b, r)) => (b.to_string(), r.to_string()),
        None => home.map(|h| (h.building.clone(), h.room.clone())).unwrap_or_default(),
    };
    let data = HomePage {
        communities,
        building,
        room,
        declared: home.is_some(),
        confirmed: home.is_some_and(|h| h.confirmed_at.is_some()),
        error,
        next,
    };
    match state.pages.render("my_home.html", lang, path, &data) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering my_home.html: {e:?}")).into_response(),
    }
}

/// The home page of a logged-in resident.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    uri: Uri,
    Query(q): Query<NextQuery>,
) -> Response {
    let Actor::Resident { home, .. } = actor else {
        return Redirect::to("/my/login?next=/my/home").into_response();
    };
    let next = safe_next(q.next.as_deref());
    render(&state, lang, &uri.to_string(), home.as_ref(), next, Shown::default()).await
}

#[derive(Debug, Deserialize)]
pub struct HomeForm {
    pub community: String,
    pub building: String,
    #[serde(default)]
    pub room: String,
    pub next: Option<String>,
}

/// Declares the resident's home; back to `next` (or `/my/home`) when it is sound.
pub async fn declare(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    uri: Uri,
    Form(f): Form<HomeForm>,
) -> Response {
    let Actor::Resident { id, home, .. } = actor else {
        return Redirect::to("/my/login?next=/my/home").into_response();
    };
    let (building, room) = (f.building.trim(), f.room.trim());
    let community = match state.store.org_unit(&f.community).await {
        Ok(u) => u.filter(|u| u.kind == "community" && u.retired_at.is_none()),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let why = if community.is_none() {
        Some(Text::new("请选择所在社区", "Choose your community"))
    } else if building.is_empty() || building.chars().count() > MAX_PLACE {
        Some(Text::new(
            "请填写楼栋（最多 20 字），例如 3号楼",
            "Enter your building (at most 20 characters), e.g. 3号楼",
        ))
    } else if room.is_empty() || room.chars().count() > MAX_PLACE {
        Some(Text::new("请填写房号（最多 20 字），例如 1201", "Enter your flat (at most 20 characters), e.g. 1201"))
    } else {
        None
    };
    let next = safe_next(f.next.as_deref());
    if let Some(why) = why {
        let shown =
            Shown { chosen: Some(&f.community), typed: Some((building, room)), error: Some(why.get(lang).to_string()) };
        return render(&state, lang, &uri.to_string(), home.as_ref(), next, shown).await;
    }
    let declared = Home {
        resident_id: id,
        community_id: f.community.clone(),
        building: building.to_string(),
        room: room.to_string(),
        declared_at: state.engine.clock.now(),
        confirmed_by: None,
        confirmed_at: None,
    };
    if let Err(e) = state.store.declare_home(&declared).await {
        return ApiError::from(e).into_response();
    }
    Redirect::to(if next.is_empty() { "/my/home" } else { &next }).into_response()
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
    let homes = state.store.homes_in(&community).await?;
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
    access::require(&state, &actor, Permission::UsersManage, Some(&community)).await?;
    let now = state.engine.clock.now();
    if !state.store.confirm_home(&resident, &community, &actor.label(), now).await? {
        return Err(ApiError::NotFound(Text::new(
            "这位居民没有登记本社区的住址",
            "The resident declared no home here",
        )));
    }
    let event = session::event("owner.confirmed", &actor.label(), Some(&community), Some(&resident), "", now);
    state.store.record_security_event(&event).await?;
    let found = state.store.homes_in(&community).await?.into_iter().find(|(h, _)| h.resident_id == resident);
    let (home, phone) = found.ok_or_else(|| ApiError::internal("a confirmed home vanished"))?;
    Ok(Json(view(home, &phone)))
}
