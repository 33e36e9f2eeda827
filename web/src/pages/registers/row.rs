//! One row of a register: its values, the form that changes it, removing it, and its history
//! (newest first, each change's values before and after, and where it came from).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use baida_blocks::{CompiledField, Lang, Problem};
use baida_engine::auth::Actor;
use baida_engine::register::{Opened, RegisterError, RowInput};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::i18n::{ReqLang, word};
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::pages::work::shown;
use crate::{ApiError, AppState};

use super::{Cell, form_fields, form_views, open, page, posted, staff};

#[derive(Serialize)]
struct HistoryItem {
    when: String,
    who: String,
    what: String,
    changes: Vec<(String, String, String)>,
    source: String,
}

#[derive(Serialize)]
struct RowPage {
    name: String,
    base: String,
    action: String,
    key: String,
    revision: i64,
    may_update: bool,
    values: Vec<Cell>,
    form: Vec<form_page::FieldView>,
    errors: Vec<String>,
    history: Vec<HistoryItem>,
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_row(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    actor: &Actor,
    opened: &Opened,
    row_id: &str,
    edited: Option<(&Map<String, Value>, &[Problem])>,
    notice: Option<String>,
) -> Response {
    let (row, events, may) = match state.engine.register_row(actor, opened, row_id).await {
        Ok(found) => found,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let register = opened.register();
    let base = format!("/work/registers/{}/{}", opened.loaded.meta.app_id, register.register.id);
    let columns = opened.columns();
    let label = |key: &str| {
        columns
            .iter()
            .find(|f| f.field.key == key)
            .map(|f| f.field.label_text().get(lang).to_string())
            .unwrap_or(key.to_string())
    };
    let show = |key: &str, v: Option<&Value>| match (columns.iter().find(|f| f.field.key == key), v) {
        (Some(f), Some(v)) => shown(f, v, lang),
        (None, Some(v)) => v.to_string(),
        (_, None) => String::new(),
    };
    let actors: Vec<String> = events.iter().map(|e| e.actor.clone()).collect();
    let names = state.engine.names_of(actors.iter().map(String::as_str)).await;
    let history = events
        .iter()
        .rev()
        .map(|e| {
            let before = e.data.get("before").and_then(Value::as_object);
            let after = e.data.get("after").and_then(Value::as_object);
            let mut keys: Vec<&String> = before.into_iter().chain(after).flat_map(|m| m.keys()).collect();
            // In the register's column order (fields it no longer has last).
            keys.sort_by_key(|k| {
                (columns.iter().position(|f| &f.field.key == *k).unwrap_or(usize::MAX), k.to_string())
            });
            keys.dedup();
            let changes = keys
                .into_iter()
                .filter(|k| before.and_then(|m| m.get(*k)) != after.and_then(|m| m.get(*k)))
                .map(|k| (label(k), show(k, before.and_then(|m| m.get(k))), show(k, after.and_then(|m| m.get(k)))))
                .collect();
            let source = &e.data["source"];
            let source = if let Some(case) = source.get("case").and_then(Value::as_str) {
                format!("{} {}", word(lang, "reg_from_case"), case)
            } else if source.get("import").is_some() {
                word(lang, "reg_from_import").replace("{line}", &source["line"].to_string())
            } else {
                word(lang, "reg_from_staff")
            };
            HistoryItem {
                when: e.at.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string(),
                who: names.get(&e.actor).cloned().unwrap_or_else(|| e.actor.clone()),
                what: word(lang, &format!("reg_{}", e.kind.as_str().replace('.', "_"))),
                changes,
                source,
            }
        })
        .collect();
    let fields = form_fields(opened);
    let (raw, problems): (Map<String, Value>, &[Problem]) = match edited {
        Some((raw, problems)) => (raw.clone(), problems),
        None => (row.values.clone(), &[]),
    };
    let form = form_views(state, &fields, &raw, problems, lang)
        .into_iter()
        .filter(|v| v.key != register.register.key)
        .collect();
    let data = RowPage {
        name: register.register.name.get(lang).to_string(),
        action: format!("{base}/rows/{}", row.id),
        base,
        key: row.key.clone(),
        revision: row.event_count,
        may_update: may.update,
        values: columns
            .iter()
            .map(|f| Cell {
                label: f.field.label_text().get(lang).to_string(),
                value: if f.field.key == register.register.key {
                    row.key.clone()
                } else {
                    show(&f.field.key, row.values.get(&f.field.key))
                },
            })
            .collect(),
        form,
        errors: problems.iter().map(|p| p.message.get(lang).to_string()).collect(),
        history,
        notice,
    };
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut response = page(state, "register_row.html", lang, uri, &data);
    *response.status_mut() = status;
    response
}

pub(super) async fn row_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match open(&state, &app, &register).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let notice = q.get("done").map(|_| word(lang, "reg_saved"));
    render_row(&state, lang, &uri, &actor, &opened, &row, None, notice).await
}

pub(super) async fn update(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match open(&state, &app, &register).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let form = match posted(&body) {
        Ok(f) => f,
        Err(e) => return PageError::from(e).into_response(),
    };
    let key = opened.register().register.key.clone();
    let fields: Vec<&CompiledField> = form_fields(&opened).into_iter().filter(|f| f.field.key != key).collect();
    let mut values = form_page::answers_from_posted(&fields, &form, "");
    // A field left empty on the page is cleared.
    for f in &fields {
        values.entry(f.field.key.clone()).or_insert(Value::Null);
    }
    let revision = form.first("_revision").and_then(|r| r.parse().ok());
    let input = RowInput { unit: None, values: values.clone(), expected_count: revision };
    match state.engine.update_row(&actor, &opened, &row, input).await {
        Ok(_) => Redirect::to(&format!("/work/registers/{app}/{register}/rows/{row}?done=saved")).into_response(),
        Err(RegisterError::Invalid(problems)) => {
            let raw: Map<String, Value> = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
            render_row(&state, lang, &uri, &actor, &opened, &row, Some((&raw, &problems)), None).await
        }
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}

pub(super) async fn delete(
    State(state): State<AppState>,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match open(&state, &app, &register).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let revision = posted(&body).ok().and_then(|f| f.first("_revision").and_then(|r| r.parse().ok()));
    match state.engine.delete_row(&actor, &opened, &row, revision).await {
        Ok(()) => Redirect::to(&format!("/work/registers/{app}/{register}?done=deleted")).into_response(),
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}
