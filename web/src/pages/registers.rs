//! The register pages staff use (`/work/registers…`): the registers one may read; a register's
//! rows as a searchable, sortable, filtered, paginated table that stays usable on a phone, with
//! a form to add a row, a file import and the exports; a row's page to change or remove it,
//! with its history. Plain forms, no JavaScript needed; every write goes through the engine,
//! which checks the register's access again.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::form::evaluate;
use baida_blocks::{CompiledField, FieldType, Lang, Problem, RowAccess};
use baida_core::kinds::UnitKind;
use baida_engine::auth::Actor;
use baida_engine::register::import::Format;
use baida_engine::register::{Opened, RegisterError, RowInput, may_at};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;

use crate::api::registers::RowsParams;
use crate::i18n::{ReqLang, word};
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::pages::posted_form::PostedForm;
use crate::pages::work::shown;
use crate::{ApiError, AppState, access};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/work/registers", get(list))
        .route("/work/registers/{app}/{register}", get(table).post(create))
        .route("/work/registers/{app}/{register}/import", post(import))
        .route("/work/registers/{app}/{register}/rows/{row}", get(row_page).post(update))
        .route("/work/registers/{app}/{register}/rows/{row}/delete", post(delete))
}

fn staff(actor: Result<Actor, ApiError>) -> Option<Actor> {
    match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => Some(a),
        _ => None,
    }
}

fn page(state: &AppState, template: &str, lang: Lang, uri: &Uri, data: &impl Serialize) -> Response {
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
struct Column {
    key: String,
    label: String,
    sort_href: String,
    sorted: &'static str,
}

#[derive(Serialize)]
struct Cell {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct TableRow {
    href: String,
    key: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Filter {
    key: String,
    label: String,
    options: Vec<(String, String, bool)>,
}

#[derive(Serialize)]
struct Unit {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct TablePage {
    name: String,
    app: String,
    base: String,
    /// The register's API address, for the exports.
    api: String,
    q: String,
    sort: String,
    columns: Vec<Column>,
    rows: Vec<TableRow>,
    filters: Vec<Filter>,
    /// "Rows 1–50 of 120".
    count: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    may_create: bool,
    may_import: bool,
    may_export: bool,
    create_units: Vec<Unit>,
    import_units: Vec<Unit>,
    form: Vec<form_page::FieldView>,
    errors: Vec<String>,
    notice: Option<String>,
}

/// The fields a page form offers: every column but photos and repeat groups, which are
/// written by steps.
fn form_fields(opened: &Opened) -> Vec<&CompiledField> {
    opened
        .columns()
        .into_iter()
        .filter(|f| f.compute.is_none() && !matches!(f.ty, FieldType::Photo | FieldType::Group))
        .collect()
}

fn form_views(
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
    let ctx = form_page::Context { lang, state: &ev.state, errors: &messages, add_item_to: None };
    form_page::build(fields, raw, &ctx, "", "")
}

/// The grids and communities where the actor may do `what` with the register's rows.
async fn units(state: &AppState, actor: &Actor, opened: &Opened, what: RowAccess, lang: Lang) -> Vec<Unit> {
    let Ok(tree) = access::tree(state).await else { return Vec::new() };
    let mut out: Vec<Unit> = tree
        .values()
        .filter(|u| matches!(u.kind, UnitKind::Community | UnitKind::Grid))
        .filter(|u| may_at(actor, opened.register(), what, &u.id, &tree))
        .map(|u| Unit { id: u.id.clone(), name: if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() } })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// `base?params` with `changes` applied (an empty value removes the parameter).
fn href(base: &str, params: &RowsParams, changes: &[(&str, String)]) -> String {
    let mut all = params.all.clone();
    all.remove("lang");
    for (k, v) in changes {
        if v.is_empty() {
            all.remove(*k);
        } else {
            all.insert(k.to_string(), v.clone());
        }
    }
    let query: Vec<String> = all.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect();
    if query.is_empty() { base.to_string() } else { format!("{base}?{}", query.join("&")) }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_table(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    actor: &Actor,
    opened: &Opened,
    params: &RowsParams,
    raw: &Map<String, Value>,
    problems: &[Problem],
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let asked = match params.asked() {
        Ok(a) => a,
        Err(e) => return PageError::from(e).into_response(),
    };
    let page_data = match state.engine.register_rows(actor, opened, asked).await {
        Ok(p) => p,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let register = opened.register();
    let base = format!("/work/registers/{}/{}", opened.loaded.meta.app_id, register.register.id);
    let sort = params.all.get("sort").cloned().unwrap_or_default();
    let columns: Vec<&CompiledField> = opened.columns();
    let column_views = columns
        .iter()
        .map(|f| {
            let key = &f.field.key;
            let (next, sorted) = if sort == *key {
                (format!("-{key}"), "asc")
            } else if sort == format!("-{key}") {
                (String::new(), "desc")
            } else {
                (key.clone(), "")
            };
            Column {
                key: key.clone(),
                label: f.field.label_text().get(lang).to_string(),
                sort_href: href(&base, params, &[("sort", next), ("offset", String::new())]),
                sorted,
            }
        })
        .collect();
    let rows = page_data
        .rows
        .iter()
        .map(|r| TableRow {
            href: format!("{base}/rows/{}", r.id),
            key: r.key.clone(),
            cells: columns
                .iter()
                .map(|f| Cell {
                    label: f.field.label_text().get(lang).to_string(),
                    value: if f.field.key == register.register.key {
                        r.key.clone()
                    } else {
                        r.values.get(&f.field.key).map(|v| shown(f, v, lang)).unwrap_or_default()
                    },
                })
                .collect(),
        })
        .collect();
    let filters = columns
        .iter()
        .filter(|f| matches!(f.ty, FieldType::Select | FieldType::YesNo))
        .map(|f| {
            let chosen = params.all.get(&format!("f.{}", f.field.key)).cloned().unwrap_or_default();
            let options: Vec<(String, String)> = if f.ty == FieldType::YesNo {
                vec![("true".into(), word(lang, "yes")), ("false".into(), word(lang, "no"))]
            } else {
                f.choices.iter().map(|c| (c.value().to_string(), c.label().get(lang).to_string())).collect()
            };
            Filter {
                key: format!("f.{}", f.field.key),
                label: f.field.label_text().get(lang).to_string(),
                options: options.into_iter().map(|(v, l)| (v.clone(), l, v == chosen)).collect(),
            }
        })
        .collect();
    let offset = page_data.offset;
    let shown_to = offset + page_data.rows.len() as i64;
    let data = TablePage {
        name: register.register.name.get(lang).to_string(),
        app: opened.loaded.compiled.app.name.get(lang).to_string(),
        q: params.all.get("q").cloned().unwrap_or_default(),
        sort,
        columns: column_views,
        rows,
        filters,
        count: word(lang, "reg_count")
            .replace("{from}", &(if page_data.rows.is_empty() { 0 } else { offset + 1 }).to_string())
            .replace("{to}", &shown_to.to_string())
            .replace("{total}", &page_data.total.to_string()),
        prev_href: (offset > 0)
            .then(|| href(&base, params, &[("offset", (offset - page_data.limit).max(0).to_string())])),
        next_href: (shown_to < page_data.total).then(|| href(&base, params, &[("offset", shown_to.to_string())])),
        may_create: page_data.may.create,
        may_import: page_data.may.import,
        may_export: page_data.may.export,
        create_units: units(state, actor, opened, RowAccess::Create, lang).await,
        import_units: units(state, actor, opened, RowAccess::Import, lang).await,
        form: form_views(state, &form_fields(opened), raw, problems, lang),
        errors: problems.iter().map(|p| p.message.get(lang).to_string()).collect(),
        notice,
        api: format!("/api/v1/apps/{}/registers/{}", opened.loaded.meta.app_id, register.register.id),
        base,
    };
    let mut response = page(state, "register.html", lang, uri, &data);
    *response.status_mut() = status;
    response
}

async fn table(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
    Query(params): Query<RowsParams>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let notice = params.all.get("done").map(|d| match d.as_str() {
        "created" => word(lang, "reg_created"),
        "deleted" => word(lang, "reg_deleted"),
        _ => String::new(),
    });
    render_table(&state, lang, &uri, &actor, &opened, &params, &Map::new(), &[], notice, StatusCode::OK).await
}

fn posted(body: &[u8]) -> Result<PostedForm, ApiError> {
    PostedForm::from_urlencoded(body).map_err(|_| ApiError::BadRequest {
        code: "bad_form",
        detail: baida_blocks::Text::new("表单内容过多或无法读取", "The form is too large or cannot be read"),
    })
}

async fn create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let form = match posted(&body) {
        Ok(f) => f,
        Err(e) => return PageError::from(e).into_response(),
    };
    let fields = form_fields(&opened);
    let raw = form_page::answers_from_posted(&fields, &form, "");
    let input = RowInput { unit: form.first("_unit").map(str::to_string), values: raw.clone(), expected_count: None };
    match state.engine.create_row(&actor, &opened, input).await {
        Ok(_) => Redirect::to(&format!("/work/registers/{app}/{register}?done=created")).into_response(),
        Err(RegisterError::Invalid(problems)) => {
            let params = RowsParams::default();
            render_table(
                &state,
                lang,
                &uri,
                &actor,
                &opened,
                &params,
                &raw,
                &problems,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}

async fn import(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let mut unit = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if name == "file" => file = Some((file_name, bytes.to_vec())),
                    Ok(bytes) if name == "_unit" => unit = String::from_utf8_lossy(&bytes).to_string(),
                    Ok(_) => {}
                    Err(e) => {
                        return PageError::from(ApiError::BadRequest {
                            code: "bad_form",
                            detail: baida_blocks::Text::new(
                                format!("上传的文件无法读取：{e}"),
                                format!("The upload cannot be read: {e}"),
                            ),
                        })
                        .into_response();
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return PageError::from(ApiError::BadRequest {
                    code: "bad_form",
                    detail: baida_blocks::Text::new(
                        format!("上传的文件无法读取：{e}"),
                        format!("The upload cannot be read: {e}"),
                    ),
                })
                .into_response();
            }
        }
    }
    let params = RowsParams::default();
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let problem =
            Problem::new("/file", "required", baida_blocks::Text::new("请选择要导入的文件", "Choose a file to import"));
        return render_table(
            &state,
            lang,
            &uri,
            &actor,
            &opened,
            &params,
            &Map::new(),
            &[problem],
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match state.engine.import_rows(&actor, &opened, &unit, &bytes, Format::of(&file_name, &bytes)).await {
        Ok(report) => {
            let notice = word(lang, "reg_imported")
                .replace("{rows}", &report.rows.to_string())
                .replace("{created}", &report.created.to_string())
                .replace("{updated}", &report.updated.to_string())
                .replace("{unchanged}", &report.unchanged.to_string());
            render_table(&state, lang, &uri, &actor, &opened, &params, &Map::new(), &[], Some(notice), StatusCode::OK)
                .await
        }
        Err(RegisterError::Invalid(problems)) => {
            render_table(
                &state,
                lang,
                &uri,
                &actor,
                &opened,
                &params,
                &Map::new(),
                &problems,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}

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
    let history = events
        .iter()
        .rev()
        .map(|e| {
            let before = e.data.get("before").and_then(Value::as_object);
            let after = e.data.get("after").and_then(Value::as_object);
            let mut keys: Vec<&String> = before.into_iter().chain(after).flat_map(|m| m.keys()).collect();
            keys.sort();
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
                who: e.actor.clone(),
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

async fn row_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let notice = q.get("done").map(|_| word(lang, "reg_saved"));
    render_row(&state, lang, &uri, &actor, &opened, &row, None, notice).await
}

async fn update(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
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

async fn delete(
    State(state): State<AppState>,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register, row)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match state.engine.open_register(&app, &register).await {
        Ok(o) => o,
        Err(e) => return PageError::from(ApiError::from(e)).into_response(),
    };
    let revision = posted(&body).ok().and_then(|f| f.first("_revision").and_then(|r| r.parse().ok()));
    match state.engine.delete_row(&actor, &opened, &row, revision).await {
        Ok(()) => Redirect::to(&format!("/work/registers/{app}/{register}?done=deleted")).into_response(),
        Err(e) => PageError::from(ApiError::from(e)).into_response(),
    }
}
