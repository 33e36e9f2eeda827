//! The register pages staff use (`/work/registers…`): the registers one may read; a register's
//! rows as a searchable, sortable, filtered, paginated table that stays usable on a phone, with
//! a form to add a row, a file import and the exports; a row's page to change or remove it,
//! with its history. Plain forms, no JavaScript needed; every write goes through the engine,
//! which checks the register's access again.

//!
//! - `table`: a register's rows as a table, adding a row, importing a file;
//! - `row`: one row, changing and removing it, its history.

mod row;
mod table;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use baida_blocks::form::evaluate;
use baida_blocks::{CompiledField, FieldType, Lang, Problem};
use baida_engine::auth::Actor;
use baida_engine::register::Opened;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;

use crate::i18n::ReqLang;
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::pages::posted_form::PostedForm;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/work/registers", get(list))
        .route("/work/registers/{app}/{register}", get(table::table).post(table::create))
        .route("/work/registers/{app}/{register}/import", post(table::import))
        .route("/work/registers/{app}/{register}/rows/{row}", get(row::row_page).post(row::update))
        .route("/work/registers/{app}/{register}/rows/{row}/delete", post(row::delete))
}

pub(super) fn staff(actor: Result<Actor, ApiError>) -> Option<Actor> {
    match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => Some(a),
        _ => None,
    }
}

/// The register a page is about, or the page saying it is not there.
pub(super) async fn open(state: &AppState, app: &str, register: &str) -> Result<Opened, Response> {
    state.engine.open_register(app, register).await.map_err(|e| PageError::from(ApiError::from(e)).into_response())
}

pub(super) fn page(state: &AppState, template: &str, lang: Lang, uri: &Uri, data: &impl Serialize) -> Response {
    match state.pages.render(template, lang, &uri.to_string(), data) {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering {template}: {e:?}")).into_response(),
    }
}

#[derive(Serialize)]
struct ListItem {
    href: String,
    name: String,
    app: String,
    description: String,
}

async fn list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    match state.engine.registers_for(&actor).await {
        Ok(found) => {
            let registers: Vec<ListItem> = found
                .into_iter()
                .map(|r| ListItem {
                    href: format!("/work/registers/{}/{}", r.app_id, r.register_id),
                    name: r.name.get(lang).to_string(),
                    app: serde_json::from_value::<baida_blocks::Text>(r.app_name)
                        .map(|t| t.get(lang).to_string())
                        .unwrap_or_default(),
                    description: r.description.map(|d| d.get(lang).to_string()).unwrap_or_default(),
                })
                .collect();
            page(&state, "registers.html", lang, &uri, &serde_json::json!({ "registers": registers }))
        }
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}

#[derive(Serialize)]
pub(super) struct Cell {
    label: String,
    value: String,
}

pub(super) fn form_fields(opened: &Opened) -> Vec<&CompiledField> {
    opened
        .columns()
        .into_iter()
        .filter(|f| f.compute.is_none() && !matches!(f.ty, FieldType::Photo | FieldType::Group))
        .collect()
}

pub(super) fn form_views(
    state: &AppState,
    fields: &[&CompiledField],
    raw: &Map<String, Value>,
    problems: &[Problem],
    lang: Lang,
) -> Vec<form_page::FieldView> {
    let ev = evaluate(fields, &[], &Value::Object(raw.clone()), state.engine.today());
    let messages: HashMap<String, String> = problems
        .iter()
        .map(|p| (p.pointer.trim_start_matches("/values").to_string(), p.message.get(lang).to_string()))
        .collect();
    let ctx = form_page::Context { lang, state: &ev.state, errors: &messages, add_item_to: None, relations: None };
    form_page::build(fields, raw, &ctx, "", "")
}

/// The grids and communities where the actor may do `what` with the register's rows.
pub(super) fn posted(body: &[u8]) -> Result<PostedForm, ApiError> {
    PostedForm::from_urlencoded(body).map_err(|_| ApiError::BadRequest {
        code: "bad_form",
        detail: baida_blocks::Text::new("表单内容过多或无法读取", "The form is too large or cannot be read"),
    })
}
