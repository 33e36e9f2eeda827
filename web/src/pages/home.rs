//! The start page, static assets and simple message pages.

use baida_core::kinds::UnitKind;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::Lang;
use serde::Serialize;
use serde_json::json;

use crate::i18n::{ReqLang, word};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/", get(home))
        .route("/static/{file}", get(asset).layer(axum::middleware::from_fn(crate::assets::validate)))
}

/// Static assets, compiled into the binary; tagged and revalidated by [`crate::assets`].
const ASSETS: &[(&str, &str, &str)] = &[
    ("baida.css", "text/css; charset=utf-8", include_str!("../../static/baida.css")),
    ("form.js", "text/javascript; charset=utf-8", include_str!("../../static/form.js")),
    ("track.js", "text/javascript; charset=utf-8", include_str!("../../static/track.js")),
    ("ledger.js", "text/javascript; charset=utf-8", include_str!("../../static/ledger.js")),
];

pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, ty, body)) => {
            ([(header::CONTENT_TYPE, *ty), (header::CACHE_CONTROL, crate::assets::CACHE_CONTROL)], *body)
                .into_response()
        }
        None => ApiError::NotFound(baida_blocks::Text::new("没有这个文件", "No such file")).into_response(),
    }
}

/// A page with a title and a sentence, e.g. "page not found".
pub fn message_page(state: &AppState, lang: Lang, status: StatusCode, title: &str, detail: &str) -> Response {
    let data = json!({"title": word(lang, title), "detail": word(lang, detail)});
    match state.pages.render("message.html", lang, "/", &data) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering message.html: {e:?}")).into_response(),
    }
}

#[derive(Serialize)]
struct AppLink {
    id: String,
    name: String,
    icon: String,
}

#[derive(Serialize)]
struct CommunityView {
    id: String,
    name: String,
    apps: Vec<AppLink>,
}

/// The start page: every community and the apps it offers.
pub async fn home(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    uri: axum::http::Uri,
) -> Result<Html<String>, ApiError> {
    let tree = state.engine.org_tree().await?;
    let mut units: Vec<&baida_store::OrgUnit> = tree.values().collect();
    units.sort_by(|a, b| a.id.cmp(&b.id));
    let parents: BTreeMap<&str, Option<&str>> = units.iter().map(|u| (u.id.as_str(), u.parent_id.as_deref())).collect();
    // Residents see the apps they can submit to, not staff-only ones (the catalog review).
    let apps = state.engine.resident_apps().await?;
    let communities = units
        .iter()
        .filter(|u| u.kind == UnitKind::Community)
        .map(|c| {
            let mut chain = vec![c.id.as_str()];
            while let Some(Some(p)) = parents.get(chain[chain.len() - 1]) {
                chain.push(p);
            }
            let offered = apps
                .iter()
                .filter(|a| chain.contains(&a.owner_id.as_str()))
                .map(|a| {
                    let name = a
                        .name
                        .get(lang.tag())
                        .or_else(|| a.name.get("zh-CN"))
                        .or(Some(&a.name))
                        .and_then(|n| n.as_str())
                        .unwrap_or(&a.app_id)
                        .to_string();
                    AppLink { id: a.app_id.clone(), name, icon: a.icon.clone() }
                })
                .collect();
            CommunityView {
                id: c.id.clone(),
                name: if lang == Lang::En { c.name_en.clone() } else { c.name_zh.clone() },
                apps: offered,
            }
        })
        .collect::<Vec<_>>();
    state
        .pages
        .render("home.html", lang, &uri.to_string(), &json!({"communities": communities}))
        .map(Html)
        .map_err(|e| ApiError::internal(format!("rendering home.html: {e:?}")))
}
