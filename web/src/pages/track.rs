//! The resident's view of a case: `/my/cases/{id}`. The link a resident is given (the receipt
//! page, the API's `tracking_url`, an SMS) is `/my/cases/{id}?t=TOKEN`, where the token is the
//! secret from the submission (only its hash is stored). Opening it moves the token into an
//! `HttpOnly` cookie scoped to that case's pages ([`COOKIE`], path `/my/cases/{id}`) and
//! redirects to the page without it, so the token leaves the address bar, the history, the
//! links on the page and any referrer. The page shows the step, not personal data, and updates
//! itself live from `/my/cases/{id}/stream` (server-sent events, resumable with
//! `Last-Event-ID`); without JavaScript, reloading shows the same. A logged-in resident reaches
//! their own cases without any token.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;

use axum::extract::Multipart;
use baida_blocks::{BlockConfig, CompiledField, Lang, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::i18n::{ReqLang, word};
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::{ApiError, AppState};
use baida_engine::actions::{Action, ActionError};
use baida_engine::apps::Loaded;
use baida_store::{Case, Event};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/my/cases/{id}", get(track).post(answer)).route("/my/cases/{id}/stream", get(stream))
}

/// The resident answers the step that asks them (more information, a rating).
#[allow(clippy::too_many_arguments)] // an axum handler: one argument per extractor
pub async fn answer(
    State(state): State<AppState>,
    actor: baida_engine::auth::Actor,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    uploader: crate::upload_key::Uploader,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let Ok(Query(q)) = Query::<TrackQuery>::try_from_uri(&uri) else { return Err(PageError::not_found()) };
    let q = q.with(&actor, &headers);
    let (case, loaded) = authorized(&state, &id, &q).await?.ok_or_else(PageError::not_found)?;
    let (_, fields) = resident_step(&loaded, &case).ok_or_else(PageError::not_found)?;
    let (posted, mut problems) = crate::pages::forms::read_form(&state, &uploader, &fields, &mut multipart).await?;
    let answers = form_page::answers_from_posted(&fields, &posted, "");
    if problems.is_empty() {
        let action = Action::Complete { answers: Value::Object(answers.clone()) };
        match state.engine.act(&id, action, &baida_engine::auth::Actor::Reporter, Some(&uploader.digest())).await {
            Ok(_) => {
                let back = format!("{}?lang={}", page_path(&id), lang.tag());
                return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response());
            }
            Err(ActionError::Invalid(found)) => problems = found,
            Err(e) => return Err(e.into()),
        }
    }
    let html = page(&state, lang, &id, &q, &uri.to_string(), Some((&answers, &problems)))
        .await?
        .ok_or_else(PageError::not_found)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// How long one live connection stays open before the browser reconnects (and resumes).
const STREAM_SECONDS: u64 = 300;

/// The link to a case's tracking page that a resident is given, with its token.
pub fn tracking_path(case_id: &str, token: &str) -> String {
    format!("/my/cases/{case_id}?t={token}")
}

/// A case's tracking page, without the token (it travels in [`COOKIE`]).
fn page_path(case_id: &str) -> String {
    format!("/my/cases/{case_id}")
}

/// The cookie a tracking link's token moves into; its path is the case's pages, so each case
/// has its own and no other page receives it.
pub const COOKIE: &str = "baida_track";

/// How long the cookie lasts: as long as a resident may come back to a case.
const COOKIE_SECONDS: i64 = 365 * 24 * 3600;

#[derive(Deserialize)]
pub struct TrackQuery {
    /// The token: from the link's query, else from the case's cookie.
    t: Option<String>,
    /// The token came in the query (a link just opened).
    #[serde(skip)]
    from_link: bool,
    new: Option<String>,
    /// The stream: the last event the page shows (a reconnect's `Last-Event-ID` wins).
    after: Option<i64>,
    /// The logged-in resident asking (from the session, never from the query): they reach
    /// their own cases without the link's token.
    #[serde(skip)]
    resident: Option<String>,
}

impl TrackQuery {
    fn with(mut self, actor: &baida_engine::auth::Actor, headers: &axum::http::HeaderMap) -> TrackQuery {
        if let baida_engine::auth::Actor::Resident { id, .. } = actor {
            self.resident = Some(id.clone());
        }
        self.from_link = self.t.is_some();
        if self.t.is_none() {
            self.t = axum_extra::extract::cookie::CookieJar::from_headers(headers)
                .get(COOKIE)
                .map(|c| c.value().to_string());
        }
        self
    }
}

/// The answer to a tracking link that was just opened: the token into the case's cookie, and
/// the page again without it (the other query parameters kept).
fn keep_token(id: &str, token: &str, uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Response {
    let rest: Vec<&str> =
        uri.query().unwrap_or_default().split('&').filter(|p| !p.is_empty() && !p.starts_with("t=")).collect();
    let to = if rest.is_empty() { page_path(id) } else { format!("{}?{}", page_path(id), rest.join("&")) };
    let secure = if crate::api::session::over_https(headers) { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={token}; Path={}; HttpOnly; SameSite=Lax; Max-Age={COOKIE_SECONDS}{secure}", page_path(id));
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, to), (header::SET_COOKIE, cookie), (header::CACHE_CONTROL, "no-store".into())],
    )
        .into_response()
}

#[derive(Serialize)]
pub(crate) struct TimelineItem {
    seq: i64,
    at: String,
    pub(crate) text: String,
}

#[derive(Serialize)]
struct TrackPage {
    new: bool,
    number: String,
    app_name: String,
    status: String,
    current_step: String,
    submitted_at: String,
    /// The link to bookmark, shown on the receipt (`?new=1`).
    self_href: String,
    timeline: Vec<TimelineItem>,
    stream_href: String,
    /// The form the resident is asked to fill now (more information, a rating), if any.
    form: Option<StepForm>,
}

#[derive(Serialize)]
struct StepForm {
    title: String,
    action: String,
    submit_label: String,
    fields: Vec<form_page::FieldView>,
    errors: Vec<String>,
}

/// The current step when it is a form for the resident (`who` has reporter, resident or
/// public): its id, fields and submit label.
fn resident_step<'l>(loaded: &'l Loaded, case: &Case) -> Option<(&'l baida_blocks::Step, Vec<&'l CompiledField>)> {
    if case.status != CaseStatus::Open {
        return None;
    }
    let step = loaded.compiled.app.step(case.current_step.as_deref()?)?;
    let BlockConfig::Form(c) = &step.block else { return None };
    if !c.who.iter().any(|w| matches!(w.as_str(), "reporter" | "resident" | "public")) {
        return None;
    }
    Some((step, loaded.compiled.step_fields(&step.id)?))
}

/// The case behind a tracking link, or `None` when the link is wrong (never says which part).
async fn authorized(state: &AppState, id: &str, q: &TrackQuery) -> Result<Option<(Case, Loaded)>, ApiError> {
    Ok(state.engine.tracked_case(id, q.resident.as_deref(), q.t.as_deref()).await?)
}

/// A token fit for a cookie's value (the tokens Baida makes are URL-safe; anything else could
/// not have opened a case).
fn cookie_safe(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An event as the resident reads it.
pub(crate) fn timeline_item(state: &AppState, loaded: &Loaded, lang: Lang, e: &Event) -> TimelineItem {
    let mut text = word(lang, &format!("event_{}", e.kind));
    if let Some(step) = e.data.get("step").and_then(|s| s.as_str())
        && e.kind == EventKind::StepEntered
    {
        text = format!("{text}：{}", loaded.compiled.step_name(step, lang));
    }
    if e.kind == EventKind::CommentAdded {
        let c = baida_engine::comment::Comment::of(e, lang);
        text = format!("{text}（{}）：{}", c.author, c.text);
    }
    let at = e.at.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    TimelineItem { seq: e.seq, at, text }
}

pub async fn track(
    State(state): State<AppState>,
    actor: baida_engine::auth::Actor,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let q = q.with(&actor, &headers);
    if q.from_link {
        let token = q.t.clone().unwrap_or_default();
        // Only a token that opens the case is kept (the same answer as a wrong one otherwise).
        let opens = authorized(&state, &id, &TrackQuery { resident: None, ..q }).await?.is_some();
        return match opens && cookie_safe(&token) {
            true => Ok(keep_token(&id, &token, &uri, &headers)),
            false => Err(PageError::not_found()),
        };
    }
    let html = page(&state, lang, &id, &q, &uri.to_string(), None).await?.ok_or_else(PageError::not_found)?;
    Ok(([(header::CACHE_CONTROL, "no-store"), (header::CONTENT_LANGUAGE, lang.tag())], Html(html)).into_response())
}

async fn page(
    state: &AppState,
    lang: Lang,
    id: &str,
    q: &TrackQuery,
    path: &str,
    shown: Option<(&Map<String, Value>, &[Problem])>,
) -> Result<Option<String>, ApiError> {
    let Some((case, loaded)) = authorized(state, id, q).await? else { return Ok(None) };
    let app = &loaded.compiled.app;
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    let events = state.engine.tracked_events(&case).await?;
    let timeline = events.iter().map(|e| timeline_item(state, &loaded, lang, e)).collect();
    let current_step =
        case.current_step.as_deref().map(|s| loaded.compiled.step_name(s, lang)).unwrap_or_else(|| "—".into());
    let data = TrackPage {
        new: q.new.is_some(),
        number: case.number.clone(),
        app_name: app.name.get(lang).to_string(),
        status: word(lang, &format!("status_{}", case.status)),
        current_step,
        submitted_at: when(case.created_at),
        // The link to keep (the receipt's "bookmark this"): with its token, so it opens the
        // case on another phone too; only the receipt shows it.
        self_href: match q.t.as_deref() {
            Some(token) if q.new.is_some() && cookie_safe(token) => tracking_path(&case.id, token),
            _ => page_path(&case.id),
        },
        timeline,
        stream_href: format!("{}/stream?after={}&lang={}", page_path(&case.id), case.event_count, lang.tag()),
        form: resident_step(&loaded, &case).map(|(step, fields)| {
            let empty = Map::new();
            let (raw, problems) = shown.unwrap_or((&empty, &[]));
            let ev = baida_blocks::form::evaluate(&fields, &[], &Value::Object(raw.clone()), state.engine.today());
            let messages: HashMap<String, String> =
                problems.iter().map(|p| (p.pointer.clone(), p.message.get(lang).to_string())).collect();
            let ctx =
                form_page::Context { lang, state: &ev.state, errors: &messages, add_item_to: None, relations: None };
            let submit_label = match &step.block {
                BlockConfig::Form(c) => c.submit_label.as_ref().map(|t| t.get(lang).to_string()),
                _ => None,
            };
            StepForm {
                title: loaded.compiled.step_name(&step.id, lang),
                action: format!("{}?lang={}", page_path(&case.id), lang.tag()),
                submit_label: submit_label.unwrap_or_else(|| word(lang, "submit")),
                fields: form_page::build(&fields, raw, &ctx, "", ""),
                errors: problems.iter().map(|p| p.message.get(lang).to_string()).collect(),
            }
        }),
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
    actor: baida_engine::auth::Actor,
    client: crate::extract::Client,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let slot = match state.live.open(client.0) {
        Ok(slot) => slot,
        Err(e) => return e.into_response(),
    };
    let q = q.with(&actor, &headers);
    let (case, loaded) = match authorized(&state, &id, &q).await {
        Ok(Some(found)) => found,
        Ok(None) => return ApiError::NotFound(baida_blocks::Text::new("没有这个案件", "No such case")).into_response(),
        Err(e) => return e.into_response(),
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(q.after)
        .unwrap_or(case.event_count);
    let stream = live_events(state, loaded, lang, id, last, slot);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))).into_response()
}

fn live_events(
    state: AppState,
    loaded: Loaded,
    lang: Lang,
    id: String,
    after: i64,
    slot: crate::live::Slot,
) -> impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>> {
    use crate::live::Change;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(STREAM_SECONDS);
    // The slot lives as long as the stream: the client's place is freed when it ends. The
    // first round looks at once (what happened between the page and this stream).
    futures::stream::unfold(
        (after, Vec::<SseEvent>::new(), slot, true),
        move |(mut after, mut pending, mut slot, mut look)| {
            let (state, loaded, id) = (state.clone(), loaded.clone(), id.clone());
            async move {
                loop {
                    if let Some(next) = pending.pop() {
                        return Some((Ok(next), (after, pending, slot, look)));
                    }
                    if !look {
                        // The database is read only when a change concerns this case.
                        match slot.next_change(deadline).await? {
                            Change::Case(c) if c == id => {}
                            Change::Missed => {}
                            _ => continue,
                        }
                    }
                    look = false;
                    let Ok(Some((case, events))) = state.engine.tracked_since(&id, after).await else { continue };
                    let status = word(lang, &format!("status_{}", case.status));
                    let current = case
                        .current_step
                        .as_deref()
                        .map(|s| loaded.compiled.step_name(s, lang))
                        .unwrap_or_else(|| "—".into());
                    let mut fresh: Vec<SseEvent> = events
                    .iter()
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
        },
    )
}
