//! `/my/home`: a logged-in resident declares the community, building and flat they live in
//! (`store::homes`), no JavaScript needed. A declared home lets them comment on that
//! community's spending proposals; once the community's staff confirm them as an owner
//! (`http::owners`) they may vote. Declaring another home clears a confirmation.

use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use baida_blocks::Lang;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::i18n::ReqLang;
use crate::{ApiError, AppState};
use baida_engine::auth::Actor;
use baida_engine::homes::HomeError;
use baida_store::Home;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/my/home", get(page).post(declare))
}

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
    crate::api::session::safe_next(next, "")
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
    let units = match state.engine.open_communities().await {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let chosen = chosen.or(home.map(|h| h.community_id.as_str()));
    let communities = units
        .into_iter()
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
    let next = safe_next(f.next.as_deref());
    match state.engine.declare_home(&id, &f.community, &f.building, &f.room).await {
        Ok(_) => Redirect::to(if next.is_empty() { "/my/home" } else { &next }).into_response(),
        Err(HomeError::Refused(why)) => {
            let typed = Some((f.building.trim(), f.room.trim()));
            let shown = Shown { chosen: Some(&f.community), typed, error: Some(why.get(lang).to_string()) };
            render(&state, lang, &uri.to_string(), home.as_ref(), next, shown).await
        }
        Err(HomeError::Store(e)) => ApiError::from(e).into_response(),
    }
}
