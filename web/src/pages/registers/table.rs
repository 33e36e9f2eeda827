//! A register's rows as a table (search, filters, sorting, pages; a card per row on a phone), the
//! form that adds a row, and the import of a spreadsheet.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use baida_blocks::{CompiledField, FieldType, Lang, Problem, RowAccess};
use baida_core::kinds::UnitKind;
use baida_engine::auth::Actor;
use baida_engine::register::import::Format;
use baida_engine::register::{Opened, RegisterError, RowInput};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::registers::RowsParams;
use crate::i18n::{ReqLang, word};
use crate::page_error::PageError;
use crate::pages::form_page;
use crate::pages::work::shown;
use crate::{ApiError, AppState, access};

use super::{Cell, form_fields, form_views, open, page, posted, staff};

#[derive(Serialize)]
struct Column {
    key: String,
    label: String,
    sort_href: String,
    sorted: &'static str,
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
    /// Which form the problems are about, to show it open: `add` or `import`.
    open: &'static str,
    notice: Option<String>,
}

/// The fields a page form offers: every column but photos and repeat groups, which are
/// written by steps.
async fn units(state: &AppState, actor: &Actor, opened: &Opened, what: RowAccess, lang: Lang) -> Vec<Unit> {
    let Ok(tree) = access::tree(state).await else { return Vec::new() };
    let mut out: Vec<Unit> = tree
        .values()
        .filter(|u| matches!(u.kind, UnitKind::Community | UnitKind::Grid))
        .filter(|u| opened.may(actor, what, &u.id, &tree))
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
        open: match problems.first() {
            Some(p) if p.pointer.starts_with("/values") || p.pointer == "/unit" => "add",
            Some(_) => "import",
            None => "",
        },
        notice,
        api: format!("/api/v1/apps/{}/registers/{}", opened.loaded.meta.app_id, register.register.id),
        base,
    };
    let mut response = page(state, "register.html", lang, uri, &data);
    *response.status_mut() = status;
    response
}

pub(super) async fn table(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
    Query(params): Query<RowsParams>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match open(&state, &app, &register).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let notice = params.all.get("done").map(|d| match d.as_str() {
        "created" => word(lang, "reg_created"),
        "deleted" => word(lang, "reg_deleted"),
        _ => String::new(),
    });
    render_table(&state, lang, &uri, &actor, &opened, &params, &Map::new(), &[], notice, StatusCode::OK).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
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

/// The page for an upload that cannot be read.
fn unreadable(e: impl std::fmt::Display) -> Response {
    PageError::from(ApiError::BadRequest {
        code: "bad_form",
        detail: baida_blocks::Text::new(format!("上传的文件无法读取：{e}"), format!("The upload cannot be read: {e}")),
    })
    .into_response()
}

pub(super) async fn import(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    uri: Uri,
    Path((app, register)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let opened = match open(&state, &app, &register).await {
        Ok(o) => o,
        Err(page) => return page,
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
                    Err(e) => return unreadable(e),
                }
            }
            Ok(None) => break,
            Err(e) => return unreadable(e),
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
