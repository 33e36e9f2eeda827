//! The staff workbench (`/work`): my queue — the open cases whose current step I may work on,
//! to sign, to handle, to review, overdue first — and the case page with the record (masked
//! without a need to know), photos, the timeline, the SLA countdown and the actions the
//! current step allows me. Plain forms, usable without JavaScript; every action goes through
//! `Engine::act`, which checks the same permissions again. What a case is and what the actor
//! may do come from the engine (`Engine::queue`, `Engine::case_view`); this module puts them
//! into words.
//!
//! Under the queue, the latest letters to the worker's units (`Engine::workbench_inbox`): the
//! reminder, urging and supervision letters of the SLA ladder and the cases waiting for
//! dispatch by hand, each linking to its case.
//!
//! Kept whole (over 500 lines): the queue and the case page say a case's standing in the same
//! words (due, late, waiting, who holds it), and the posted actions answer with the case page.

use baida_core::kinds::CaseStatus;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::{BlockConfig, CompiledField, FieldType, Lang, Problem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::i18n::{ReqLang, word};
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::{ApiError, AppState, access, pages::track};
use baida_engine::actions::{Action, ActionError};
use baida_engine::apps::Loaded;
use baida_engine::auth::{Actor, OrgTree, Permission};
use baida_engine::case_view::CaseView;
use baida_engine::queue::{Tray, Waiting};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/work", get(queue))
        .route("/work/cases/{id}", get(case_page))
        .route("/work/cases/{id}/complete", post(complete))
        .route("/work/cases/{id}/act", post(act))
}

#[derive(Serialize)]
struct QueueItem {
    id: String,
    number: String,
    app: String,
    title: String,
    step: String,
    holder: String,
    waiting: String,
    due: String,
    overdue: bool,
    mark: String,
}

/// A queue item with what it is ordered by: overdue first, then the longest waiting.
#[derive(Serialize)]
struct Bucket {
    title: String,
    items: Vec<QueueItem>,
}

/// A message in the inboxes the worker works from.
#[derive(Serialize)]
struct Letter {
    at: String,
    to: String,
    subject: String,
    body: String,
    case_id: Option<String>,
}

#[derive(Serialize)]
struct QueuePage {
    who: String,
    buckets: Vec<Bucket>,
    empty: bool,
    /// The latest letters to the worker's units (SLA letters, cases waiting for dispatch).
    letters: Vec<Letter>,
    /// Residents' forms the worker can fill for a resident.
    assist: Vec<crate::pages::on_behalf::FormLink>,
}

/// How many of the latest inbox letters the workbench shows.
const INBOX_LETTERS: i64 = 10;

/// Staff only; everyone else is sent to log in.
fn staff(actor: Result<Actor, ApiError>) -> Option<Actor> {
    match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => Some(a),
        _ => None,
    }
}

fn when(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.config.timezone).format("%m-%d %H:%M").to_string()
}

/// "2 h 5 min" in the page's language.
fn span(lang: Lang, d: chrono::Duration) -> String {
    let m = d.num_minutes().abs();
    let (days, hours, mins) = (m / 1440, (m % 1440) / 60, m % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} {}", word(lang, "fig_unit_d")));
    }
    if hours > 0 {
        parts.push(format!("{hours} {}", word(lang, "fig_unit_h")));
    }
    if days == 0 {
        parts.push(format!("{mins} {}", word(lang, "fig_unit_m")));
    }
    parts.join(" ")
}

fn unit_name(tree: &OrgTree, lang: Lang, id: Option<&str>) -> String {
    id.and_then(|id| tree.get(id))
        .map(|u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() })
        .unwrap_or_else(|| "—".into())
}

/// "2 h left" or "late by 1 d 3 h", with the due time itself when `at` is given; "—" without a clock.
fn due_words(lang: Lang, due: Option<DateTime<Utc>>, now: DateTime<Utc>, at: Option<String>) -> String {
    let at = at.map(|at| format!("（{at}）")).unwrap_or_default();
    match due {
        Some(d) if d > now => format!("{} {}{at}", word(lang, "work_left"), span(lang, d - now)),
        Some(d) => format!("{} {}{at}", word(lang, "work_late_by"), span(lang, now - d)),
        None => "—".into(),
    }
}

pub async fn queue(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Some(actor) = staff(actor) else { return Ok(crate::api::session::to_login(&uri)) };
    let page = build_queue(&state, &actor, lang).await?;
    let html = state
        .pages
        .render("work.html", lang, &uri.to_string(), &page)
        .map_err(|e| ApiError::internal(format!("rendering work.html: {e:?}")))?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

async fn build_queue(state: &AppState, actor: &Actor, lang: Lang) -> Result<QueuePage, ApiError> {
    let tree = access::tree(state).await?;
    let now = state.engine.clock.now();
    let scope = state.engine.case_scope(actor, Permission::CasesRead).await?;
    let mut buckets: Vec<(Tray, &str, Vec<QueueItem>)> = [
        (Tray::Sign, "work_to_sign"),
        (Tray::Handle, "work_to_handle"),
        (Tray::Review, "work_to_review"),
        (Tray::Other, "work_other"),
    ]
    .into_iter()
    .map(|(tray, title)| (tray, title, Vec::new()))
    .collect();
    // In the engine's order: by tray, late first, then the longest waiting.
    for Waiting { case, app, tray, standing } in state.engine.queue(actor, scope, &tree).await? {
        let step_id = case.current_step.clone().unwrap_or_default();
        let record = state.engine.visible_record(actor, &case, &tree).await?;
        let item = QueueItem {
            id: case.id.clone(),
            number: case.number.clone(),
            app: app.compiled.app.name.get(lang).to_string(),
            title: record.get("title").and_then(Value::as_str).unwrap_or_default().to_string(),
            step: app.compiled.step_name(&step_id, lang),
            holder: unit_name(&tree, lang, case.assignee.as_deref()),
            waiting: span(lang, now - standing.entered),
            due: due_words(lang, standing.due, now, None),
            overdue: standing.late,
            mark: case.escalation.map(|e| word(lang, &format!("work_mark_{e}"))).unwrap_or_default(),
        };
        if let Some(bucket) = buckets.iter_mut().find(|(t, ..)| *t == tray) {
            bucket.2.push(item);
        }
    }
    let out: Vec<Bucket> = buckets
        .into_iter()
        .filter(|(.., items)| !items.is_empty())
        .map(|(_, title, items)| Bucket { title: word(lang, title), items })
        .collect();
    let letters = state
        .engine
        .workbench_inbox(actor, &tree, INBOX_LETTERS)
        .await?
        .into_iter()
        .map(|m| Letter {
            at: when(state, m.created_at),
            to: unit_name(&tree, lang, Some(&m.recipient)),
            subject: m.subject,
            body: m.body,
            case_id: m.case_id,
        })
        .collect();
    Ok(QueuePage {
        who: actor.staff().map(|s| s.name.clone()).unwrap_or_else(|| "admin".into()),
        empty: out.is_empty(),
        buckets: out,
        letters,
        assist: crate::pages::on_behalf::forms(state, actor, lang).await?,
    })
}

#[derive(Serialize)]
struct RecordRow {
    label: String,
    value: String,
    photos: Vec<String>,
}

#[derive(Serialize)]
struct StaffForm {
    title: String,
    fields: Vec<form_page::FieldView>,
    errors: Vec<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct CasePage {
    id: String,
    number: String,
    app: String,
    status: String,
    step: String,
    /// The step the page was made for: a form posted for another step is refused.
    step_id: String,
    holder: String,
    submitted_at: String,
    due: String,
    overdue: bool,
    mark: String,
    done: Option<String>,
    error: Option<String>,
    record: Vec<RecordRow>,
    timeline: Vec<track::TimelineItem>,
    form: Option<StaffForm>,
    can_return: bool,
    can_administer: bool,
    open: bool,
    suspended: bool,
    closed: bool,
    /// Open and waiting at a plugin step (after `plugin.failed`): it can be retried.
    retryable: bool,
    /// Where the case may be re-dispatched: its community and grids, the district's departments.
    departments: Vec<Choice>,
}

/// A value as a person reads it: a choice by its label, yes/no, a location's address.
pub(crate) fn shown(f: &CompiledField, v: &Value, lang: Lang) -> String {
    match (f.ty, v) {
        (_, Value::Null) => String::new(),
        (FieldType::Select, Value::String(s)) => {
            f.choices.iter().find(|c| c.value() == s).map(|c| c.label().get(lang).to_string()).unwrap_or(s.clone())
        }
        (FieldType::YesNo, Value::Bool(b)) => word(lang, if *b { "yes" } else { "no" }),
        // A linked register row: its key and the values kept with the case.
        (FieldType::Relation, Value::Object(m)) => {
            let mut parts = vec![m.get("key").and_then(Value::as_str).unwrap_or_default().to_string()];
            if let Some(Value::Object(values)) = m.get("values") {
                parts.extend(values.values().map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }));
            }
            parts.retain(|p| !p.is_empty());
            parts.join(" · ")
        }
        (FieldType::Location, Value::Object(m)) => {
            m.get("address").and_then(Value::as_str).unwrap_or_default().to_string()
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(items)) => items.iter().map(|i| shown(f, i, lang)).collect::<Vec<_>>().join("、"),
        // A whole number typed as `2` is kept as 2.0 by the form: show it as typed.
        (_, Value::Number(n)) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("{}", x as i64),
            _ => n.to_string(),
        },
        (_, other) => other.to_string(),
    }
}

/// The fields the current step asks staff to fill (none at a vote: its ballots decide it).
fn step_fields<'l>(loaded: &'l Loaded, step: &str) -> Vec<&'l CompiledField> {
    match loaded.compiled.app.step(step).map(|s| &s.block) {
        Some(BlockConfig::Vote(_)) => Vec::new(),
        _ => loaded.compiled.step_fields(step).unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn case_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let done = q.done.map(|d| word(lang, &format!("work_done_{d}")));
    render_case(&state, lang, &actor, &id, done, None, StatusCode::OK).await
}

async fn render_case(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    id: &str,
    done: Option<String>,
    problem: Option<(Map<String, Value>, Vec<Problem>, String)>,
    status: StatusCode,
) -> Response {
    match build_case(state, lang, actor, id, done, problem).await {
        Ok(page) => match state.pages.render("work_case.html", lang, &format!("/work/cases/{id}"), &page) {
            Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
            Err(e) => ApiError::internal(format!("rendering work_case.html: {e:?}")).into_response(),
        },
        Err(ApiError::NotFound(_)) => PageError::not_found().into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

async fn build_case(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    id: &str,
    done: Option<String>,
    problem: Option<(Map<String, Value>, Vec<Problem>, String)>,
) -> Result<CasePage, ApiError> {
    let tree = access::tree(state).await?;
    let view = state.engine.case_view(actor, id, &tree).await?.ok_or_else(access::no_such_case)?;
    let now = state.engine.clock.now();
    let CaseView { case, app: loaded, events, standing, may } = view;
    let record = &case.record;
    let step_id = case.current_step.clone().unwrap_or_default();
    let rows = loaded
        .compiled
        .fields
        .iter()
        .filter(|f| f.ty.holds_value())
        .filter_map(|f| {
            let v = record.get(&f.field.key)?;
            let label = f.field.label.as_ref().map(|l| l.get(lang).to_string()).unwrap_or_else(|| f.field.key.clone());
            if f.ty == FieldType::Photo {
                let photos: Vec<String> = v
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(|s| format!("/photos/{s}")).collect())
                    .unwrap_or_default();
                let value = if v.get("masked").is_some() { "****".to_string() } else { String::new() };
                return Some(RecordRow { label, value, photos });
            }
            Some(RecordRow { label, value: shown(f, v, lang), photos: Vec::new() })
        })
        .collect();
    let open = case.status == CaseStatus::Open;
    let relations = if may.fill_in {
        let fields = step_fields(&loaded, &step_id);
        state.engine.relation_choices_of(&loaded.compiled, &fields, &case.community_id).await.unwrap_or_default()
    } else {
        HashMap::new()
    };
    let form = may.fill_in.then(|| {
        let fields = step_fields(&loaded, &step_id);
        let (raw, problems, _) = problem.clone().unwrap_or_default();
        let ev = baida_blocks::form::evaluate(&fields, &[], &Value::Object(raw.clone()), state.engine.today());
        let messages: HashMap<String, String> =
            problems.iter().map(|p| (p.pointer.clone(), p.message.get(lang).to_string())).collect();
        let ctx = form_page::Context {
            lang,
            state: &ev.state,
            errors: &messages,
            add_item_to: None,
            relations: Some(&relations),
        };
        StaffForm {
            title: loaded.compiled.step_name(&step_id, lang),
            fields: form_page::build(&fields, &raw, &ctx, "", ""),
            errors: problems.iter().map(|p| p.message.get(lang).to_string()).collect(),
        }
    });
    let departments = baida_engine::receiver::units_taking_cases_of(&case.community_id, &tree)
        .into_iter()
        .map(|u| Choice {
            value: u.id.clone(),
            label: if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() },
        })
        .collect();
    Ok(CasePage {
        id: case.id.clone(),
        number: case.number.clone(),
        app: loaded.compiled.app.name.get(lang).to_string(),
        status: word(lang, &format!("status_{}", case.status)),
        step: case.current_step.as_deref().map(|s| loaded.compiled.step_name(s, lang)).unwrap_or_else(|| "—".into()),
        step_id: step_id.clone(),
        holder: unit_name(&tree, lang, case.assignee.as_deref()),
        submitted_at: when(state, case.created_at),
        due: due_words(lang, standing.due, now, standing.due.map(|d| when(state, d))),
        overdue: standing.late,
        mark: case.escalation.map(|e| word(lang, &format!("work_mark_{e}"))).unwrap_or_default(),
        done,
        error: problem.map(|(_, _, message)| message).filter(|m| !m.is_empty()),
        record: rows,
        timeline: events.iter().rev().map(|e| track::timeline_item(state, &loaded, lang, e)).collect(),
        form,
        can_return: may.send_back,
        can_administer: may.administer,
        open,
        suspended: case.status == CaseStatus::Suspended,
        closed: case.status == CaseStatus::Closed,
        retryable: may.retry,
        departments,
    })
}

/// Completing the current step with its form (multipart: it may carry photos).
pub async fn complete(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(id): Path<String>,
    uri: Uri,
    uploader: crate::upload_key::Uploader,
    mut multipart: Multipart,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let (case, _) = match access::readable_case(&state, &actor, &id).await {
        Ok(found) => found,
        Err(e) => return render_error(&state, lang, &actor, &id, e).await,
    };
    let Ok(Some(loaded)) = state.apps.load(&case.app_id, Some(&case.app_version)).await else {
        return render_error(&state, lang, &actor, &id, access::no_such_case()).await;
    };
    let fields = step_fields(&loaded, case.current_step.as_deref().unwrap_or_default());
    let (posted, problems) = match crate::pages::forms::read_form(&state, &uploader, &fields, &mut multipart).await {
        Ok(read) => read,
        Err(e) => return PageError::from(e).into_response(),
    };
    let answers = form_page::answers_from_posted(&fields, &posted, "");
    // The page was for another step (someone moved the case meanwhile): do not apply answers
    // meant for that step to this one.
    let posted_for = posted.first("_step");
    if posted_for != case.current_step.as_deref() {
        let message = word(lang, "work_moved");
        return refuse(&state, lang, &actor, &id, message, StatusCode::CONFLICT).await;
    }
    if !problems.is_empty() {
        let message = word(lang, "work_fix");
        return render_case(
            &state,
            lang,
            &actor,
            &id,
            None,
            Some((answers, problems, message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .engine
        .act(&id, Action::Complete { answers: Value::Object(answers.clone()) }, &actor, Some(&uploader.digest()))
        .await
    {
        Ok(_) => Redirect::to(&format!("/work/cases/{id}?done=complete")).into_response(),
        Err(ActionError::Invalid(problems)) => {
            let message = word(lang, "work_fix");
            render_case(
                &state,
                lang,
                &actor,
                &id,
                None,
                Some((answers, problems, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => render_error(&state, lang, &actor, &id, e.into()).await,
    }
}

/// The case page again, with why the action was not taken.
async fn refuse(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    id: &str,
    message: String,
    status: StatusCode,
) -> Response {
    render_case(state, lang, actor, id, None, Some((Map::new(), Vec::new(), message)), status).await
}

async fn render_error(state: &AppState, lang: Lang, actor: &Actor, id: &str, e: ApiError) -> Response {
    let status = match &e {
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::Conflict(_) => StatusCode::CONFLICT,
        ApiError::Internal(_) => return PageError::from(e).into_response(),
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    if status == StatusCode::NOT_FOUND {
        return PageError::not_found().into_response();
    }
    let message = e.message(lang);
    refuse(state, lang, actor, id, message, status).await
}

/// Return, re-dispatch, suspend, resume, close, reopen.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    pub action: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub to: String,
}

pub async fn act(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(id): Path<String>,
    uri: Uri,
    Form(f): Form<ActForm>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let reason = f.reason.trim().to_string();
    let needs_reason = matches!(f.action.as_str(), "return" | "suspend" | "close" | "reopen");
    if needs_reason && reason.is_empty() {
        let message = word(lang, "work_reason_needed");
        return refuse(&state, lang, &actor, &id, message, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let action = match f.action.as_str() {
        "return" => Action::Return { reason },
        "redispatch" => Action::Redispatch { to: f.to, reason: (!reason.is_empty()).then_some(reason) },
        "suspend" => Action::Suspend { reason },
        "resume" => Action::Resume,
        "close" => Action::Close { reason },
        "reopen" => Action::Reopen { reason },
        "retry" => Action::Retry,
        _ => {
            let message = word(lang, "work_unknown_action");
            return refuse(&state, lang, &actor, &id, message, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let done = f.action.clone();
    match state.engine.act(&id, action, &actor, None).await {
        Ok(_) => Redirect::to(&format!("/work/cases/{id}?done={done}")).into_response(),
        Err(e) => render_error(&state, lang, &actor, &id, e.into()).await,
    }
}
