//! The resident's view of a case: `/my/cases/{id}?t=TOKEN`. The token is the secret from the
//! submission; only its hash is stored. The page shows the step, not personal data.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::Lang;
use serde::{Deserialize, Serialize};

use super::pages::message_page;
use super::{ApiError, AppState};
use crate::engine::event::sha256_hex;
use crate::i18n::{ReqLang, word};

pub fn router() -> Router<AppState> {
    Router::new().route("/my/cases/{id}", get(track))
}

/// The tracking page of a case.
pub fn tracking_path(case_id: &str, token: &str) -> String {
    format!("/my/cases/{case_id}?t={token}")
}

#[derive(Deserialize)]
pub struct TrackQuery {
    t: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct TimelineItem {
    at: String,
    text: String,
}

#[derive(Serialize)]
struct TrackPage {
    new: bool,
    number: String,
    app_name: String,
    status: String,
    current_step: String,
    submitted_at: String,
    self_href: String,
    timeline: Vec<TimelineItem>,
}

pub async fn track(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
    uri: axum::http::Uri,
) -> Response {
    match page(&state, lang, &id, &q, &uri.to_string()).await {
        Ok(Some(html)) => {
            ([(header::CACHE_CONTROL, "no-store"), (header::CONTENT_LANGUAGE, lang.tag())], Html(html)).into_response()
        }
        Ok(None) => message_page(&state, lang, StatusCode::NOT_FOUND, "not_found", "not_found_detail"),
        Err(e) => e.into_response(),
    }
}

async fn page(state: &AppState, lang: Lang, id: &str, q: &TrackQuery, path: &str) -> Result<Option<String>, ApiError> {
    let Some(case) = state.store.case(id).await? else { return Ok(None) };
    let given = sha256_hex(q.t.as_deref().unwrap_or_default());
    if given.len() != case.tracking_hash.len()
        || given.bytes().zip(case.tracking_hash.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) != 0
    {
        return Ok(None);
    }
    let Some(loaded) = state.apps.load(&case.app_id, Some(&case.app_version)).await? else { return Ok(None) };
    let app = &loaded.compiled.app;
    let step_name = |id: &str| -> String {
        app.step(id)
            .map(|s| match &s.name {
                Some(n) => n.get(lang).to_string(),
                None => baida_blocks::block::all()
                    .into_iter()
                    .find(|b| b.id == s.block.kind())
                    .map(|b| b.name.get(lang).to_string())
                    .unwrap_or_else(|| s.id.clone()),
            })
            .unwrap_or_else(|| id.to_string())
    };
    let tz = state.config.timezone;
    let when = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let events = state.store.events(id).await?;
    let timeline = events
        .iter()
        .map(|e| {
            let mut text = word(lang, &format!("event_{}", e.kind));
            if let Some(step) = e.data.get("step").and_then(|s| s.as_str())
                && e.kind == "step.entered"
            {
                text = format!("{text}：{}", step_name(step));
            }
            TimelineItem { at: when(e.at), text }
        })
        .collect();
    let current_step = case.current_step.as_deref().map(step_name).unwrap_or_else(|| "—".into());
    let data = TrackPage {
        new: q.new.is_some(),
        number: case.number.clone(),
        app_name: app.name.get(lang).to_string(),
        status: word(lang, &format!("status_{}", case.status)),
        current_step,
        submitted_at: when(case.created_at),
        self_href: tracking_path(&case.id, q.t.as_deref().unwrap_or_default()),
        timeline,
    };
    state
        .pages
        .render("track.html", lang, path, &data)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("rendering track.html: {e:?}")))
}
