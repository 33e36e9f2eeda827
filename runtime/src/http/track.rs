//! The resident's view of a case: `/my/cases/{id}?t=TOKEN`. The token is the secret from the
//! submission; only its hash is stored. The page shows the step, not personal data, and
//! updates itself live from `/my/cases/{id}/stream?t=TOKEN` (server-sent events, resumable
//! with `Last-Event-ID`); without JavaScript, reloading shows the same.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::Lang;
use serde::{Deserialize, Serialize};

use super::pages::message_page;
use super::{ApiError, AppState};
use crate::apps::Loaded;
use crate::engine::event::sha256_hex;
use crate::i18n::{ReqLang, word};
use crate::store::{Case, Event};

pub fn router() -> Router<AppState> {
    Router::new().route("/my/cases/{id}", get(track)).route("/my/cases/{id}/stream", get(stream))
}

/// How long one live connection stays open before the browser reconnects (and resumes).
const STREAM_SECONDS: u64 = 300;

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
    seq: i64,
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
    stream_href: String,
}

/// The case behind a tracking link, or `None` when the link is wrong (never says which part).
async fn authorized(state: &AppState, id: &str, token: Option<&str>) -> Result<Option<(Case, Loaded)>, ApiError> {
    let Some(case) = state.store.case(id).await? else { return Ok(None) };
    let given = sha256_hex(token.unwrap_or_default());
    if given.len() != case.tracking_hash.len()
        || given.bytes().zip(case.tracking_hash.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) != 0
    {
        return Ok(None);
    }
    let Some(loaded) = state.apps.load(&case.app_id, Some(&case.app_version)).await? else { return Ok(None) };
    Ok(Some((case, loaded)))
}

/// A step's name in `lang`: its own, or its block kind's.
fn step_name(loaded: &Loaded, lang: Lang, id: &str) -> String {
    loaded
        .compiled
        .app
        .step(id)
        .map(|s| match &s.name {
            Some(n) => n.get(lang).to_string(),
            None => baida_blocks::block::all()
                .into_iter()
                .find(|b| b.id == s.block.kind())
                .map(|b| b.name.get(lang).to_string())
                .unwrap_or_else(|| s.id.clone()),
        })
        .unwrap_or_else(|| id.to_string())
}

/// An event as the resident reads it.
fn timeline_item(state: &AppState, loaded: &Loaded, lang: Lang, e: &Event) -> TimelineItem {
    let mut text = word(lang, &format!("event_{}", e.kind));
    if let Some(step) = e.data.get("step").and_then(|s| s.as_str())
        && e.kind == "step.entered"
    {
        text = format!("{text}：{}", step_name(loaded, lang, step));
    }
    let at = e.at.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    TimelineItem { seq: e.seq, at, text }
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
    let Some((case, loaded)) = authorized(state, id, q.t.as_deref()).await? else { return Ok(None) };
    let app = &loaded.compiled.app;
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    let events = state.store.events(id).await?;
    let timeline = events.iter().map(|e| timeline_item(state, &loaded, lang, e)).collect();
    let current_step = case.current_step.as_deref().map(|s| step_name(&loaded, lang, s)).unwrap_or_else(|| "—".into());
    let token = q.t.as_deref().unwrap_or_default();
    let data = TrackPage {
        new: q.new.is_some(),
        number: case.number.clone(),
        app_name: app.name.get(lang).to_string(),
        status: word(lang, &format!("status_{}", case.status)),
        current_step,
        submitted_at: when(case.created_at),
        self_href: tracking_path(&case.id, token),
        timeline,
        stream_href: format!("/my/cases/{}/stream?t={token}&lang={}", case.id, lang.tag()),
    };
    state
        .pages
        .render("track.html", lang, path, &data)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("rendering track.html: {e:?}")))
}

/// Live updates of the tracking page: each new event as a timeline line, with the case's
/// status and current step. Resumes after `Last-Event-ID` (an event's sequence number).
pub async fn stream(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let (case, loaded) = match authorized(&state, &id, q.t.as_deref()).await {
        Ok(Some(found)) => found,
        Ok(None) => return ApiError::NotFound(baida_blocks::Text::new("没有这个案件", "No such case")).into_response(),
        Err(e) => return e.into_response(),
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(case.event_count);
    let stream = live_events(state, loaded, lang, id, last);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))).into_response()
}

fn live_events(
    state: AppState,
    loaded: Loaded,
    lang: Lang,
    id: String,
    after: i64,
) -> impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(STREAM_SECONDS);
    futures::stream::unfold((after, Vec::<SseEvent>::new()), move |(mut after, mut pending)| {
        let (state, loaded, id) = (state.clone(), loaded.clone(), id.clone());
        async move {
            loop {
                if let Some(next) = pending.pop() {
                    return Some((Ok(next), (after, pending)));
                }
                if tokio::time::Instant::now() >= deadline {
                    return None;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let (Ok(events), Ok(Some(case))) = (state.store.events(&id).await, state.store.case(&id).await) else {
                    continue;
                };
                let status = word(lang, &format!("status_{}", case.status));
                let current =
                    case.current_step.as_deref().map(|s| step_name(&loaded, lang, s)).unwrap_or_else(|| "—".into());
                let mut fresh: Vec<SseEvent> = events
                    .iter()
                    .filter(|e| e.seq > after)
                    .map(|e| {
                        let item = timeline_item(&state, &loaded, lang, e);
                        let data = serde_json::json!({"seq": item.seq, "at": item.at, "text": item.text, "status": status, "current_step": current});
                        SseEvent::default().id(e.seq.to_string()).event("timeline").data(data.to_string())
                    })
                    .collect();
                if let Some(last) = events.last() {
                    after = after.max(last.seq);
                }
                fresh.reverse();
                pending = fresh;
            }
        }
    })
}
