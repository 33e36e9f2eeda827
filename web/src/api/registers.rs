//! Registers (台账) over the API (`engine::register`): the registers one may read, a page of a
//! register's rows (search, filters, sort), one row with its history, making, changing and
//! removing rows, importing a CSV or XLSX file, exporting CSV or XLSX. A register one may not
//! read, and a row of it, answer 404 like one that does not exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baida_blocks::Text;
use baida_core::register::{Row, RowEvent};
use baida_engine::register::export;
use baida_engine::register::import::{Format, ImportReport};
use baida_engine::register::{RegisterError, RegisterSummary, RowInput, RowMay, RowsAsked, RowsPage};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(rows, create))
        .routes(routes!(row, update, delete))
        .routes(routes!(import))
        .routes(routes!(export_csv))
        .routes(routes!(export_xlsx))
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::NotFound => ApiError::NotFound(Text::new("没有这本台账或这一行", "No such register or row")),
            RegisterError::Forbidden(why) => ApiError::Forbidden(why),
            RegisterError::Invalid(problems) => ApiError::Invalid {
                code: "invalid_rows",
                title: Text::new("台账数据有误，什么也没有写入", "The rows have problems; nothing was written"),
                problems,
            },
            RegisterError::App(e) => e.into(),
            RegisterError::Store(e) => e.into(),
        }
    }
}

/// The registers the caller may read, with the apps that define them.
#[utoipa::path(get, path = "/api/v1/registers", tag = "registers",
    responses((status = 200, description = "Registers: app_id, app_name, register_id, name, description")),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
) -> Result<Json<Vec<RegisterSummary>>, ApiError> {
    Ok(Json(state.engine.registers_for(&actor).await?))
}

/// What a page of rows asks: `q` (words every row contains), `sort` (a field; `-field` for
/// descending), `offset`, `limit` (at most 200) and `f.<field>=<value>` filters.
#[derive(Debug, Default, Deserialize)]
pub struct RowsParams {
    #[serde(flatten)]
    pub all: BTreeMap<String, String>,
}

impl RowsParams {
    pub fn asked(&self) -> Result<RowsAsked, ApiError> {
        let number = |name: &str| -> Result<i64, ApiError> {
            match self.all.get(name) {
                None => Ok(0),
                Some(v) => v.parse().map_err(|_| ApiError::BadRequest {
                    code: "bad_query",
                    detail: Text::new(format!("{name} 应是整数"), format!("{name} must be a whole number")),
                }),
            }
        };
        let sort = self.all.get("sort").filter(|s| !s.is_empty()).map(|s| match s.strip_prefix('-') {
            Some(field) => (field.to_string(), true),
            None => (s.clone(), false),
        });
        let filters = self
            .all
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("f.")?.to_string(), v.clone())))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Ok(RowsAsked {
            search: self.all.get("q").cloned(),
            filters,
            sort,
            offset: number("offset")?,
            limit: number("limit")?,
        })
    }
}

/// A page of a register's rows the caller may read, as they may see them (personal values
/// masked without need to know), with what they may do.
#[utoipa::path(get, path = "/api/v1/apps/{app}/registers/{register}/rows", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path),
        ("q" = Option<String>, Query, description = "Words every row contains"),
        ("sort" = Option<String>, Query, description = "A field to sort by; `-field` for descending"),
        ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query, description = "At most 200 (default 50)")),
    responses((status = 200, description = "rows, total, offset, limit, may"), (status = 404, description = "No such register, or not readable")),
    security(("bearer" = []), ("session" = [])))]
pub async fn rows(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register)): Path<(String, String)>,
    Query(p): Query<RowsParams>,
) -> Result<Json<RowsPage>, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    Ok(Json(state.engine.register_rows(&actor, &opened, p.asked()?).await?))
}

/// A new row or a change: values by field key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowBody {
    /// For a new row: the community or grid it belongs to.
    #[serde(default)]
    pub unit: Option<String>,
    /// Field key → value (`null` clears it). For a change, only the fields to change. (Absent
    /// is none: the register and the caller's rights are checked before the values.)
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
    /// For a change: the row's `event_count` as you read it; refused with 409 when it moved on.
    #[serde(default)]
    pub revision: Option<i64>,
}

/// Makes a row (its key must be new in its community).
#[utoipa::path(post, path = "/api/v1/apps/{app}/registers/{register}/rows", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path)),
    request_body = RowBody,
    responses((status = 201, description = "The row"), (status = 409, description = "The key is taken"),
        (status = 422, description = "The values have problems"), (status = 403, description = "May not add rows here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register)): Path<(String, String)>,
    ApiJson(body): ApiJson<RowBody>,
) -> Result<(StatusCode, Json<Row>), ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let input = RowInput { unit: body.unit, values: body.values, expected_count: None };
    Ok((StatusCode::CREATED, Json(state.engine.create_row(&actor, &opened, input).await?)))
}

/// A row, its history and what the caller may do with it.
#[derive(Debug, serde::Serialize)]
pub struct RowView {
    pub row: Row,
    pub events: Vec<RowEvent>,
    pub may: RowMay,
}

/// One row with its history (who changed what, when, from where).
#[utoipa::path(get, path = "/api/v1/apps/{app}/registers/{register}/rows/{row}", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path), ("row" = String, Path)),
    responses((status = 200, description = "row, events, may"), (status = 404, description = "No such row, or not readable")),
    security(("bearer" = []), ("session" = [])))]
pub async fn row(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register, row)): Path<(String, String, String)>,
) -> Result<Json<RowView>, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let (row, events, may) = state.engine.register_row(&actor, &opened, &row).await?;
    Ok(Json(RowView { row, events, may }))
}

/// Changes the values named (the key stays).
#[utoipa::path(patch, path = "/api/v1/apps/{app}/registers/{register}/rows/{row}", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path), ("row" = String, Path)),
    request_body = RowBody,
    responses((status = 200, description = "The row"), (status = 409, description = "Changed by someone else"),
        (status = 422, description = "The values have problems"), (status = 404, description = "No such row")),
    security(("bearer" = []), ("session" = [])))]
pub async fn update(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register, row)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<RowBody>,
) -> Result<Json<Row>, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let input = RowInput { unit: None, values: body.values, expected_count: body.revision };
    Ok(Json(state.engine.update_row(&actor, &opened, &row, input).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct RevisionParam {
    pub revision: Option<i64>,
}

/// Removes a row from the register; its history stays, and cases that link it keep their copy.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/registers/{register}/rows/{row}", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path), ("row" = String, Path),
        ("revision" = Option<i64>, Query, description = "The row's event_count as you read it")),
    responses((status = 204, description = "Removed"), (status = 409, description = "Changed by someone else"),
        (status = 404, description = "No such row")),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register, row)): Path<(String, String, String)>,
    Query(p): Query<RevisionParam>,
) -> Result<StatusCode, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    state.engine.delete_row(&actor, &opened, &row, p.revision).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportParams {
    /// The community or grid the rows belong to.
    pub unit: Option<String>,
}

/// Imports a CSV (UTF-8 or GBK) or XLSX file sent as the body: its first line names the
/// columns (labels or keys). Every line is checked first; any problem is answered with its
/// line and column and nothing is written. Rows are made or changed by their key.
#[utoipa::path(post, path = "/api/v1/apps/{app}/registers/{register}/import", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path),
        ("unit" = String, Query, description = "The community or grid the rows belong to")),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, description = "rows, created, updated, unchanged"),
        (status = 422, description = "Problems by line and column; nothing was written")),
    security(("bearer" = []), ("session" = [])))]
pub async fn import(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register)): Path<(String, String)>,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let unit = p.unit.ok_or_else(|| ApiError::BadRequest {
        code: "bad_query",
        detail: Text::new(
            "缺少 unit：这些行属于哪个社区或网格",
            "unit is missing: which community or grid the rows belong to",
        ),
    })?;
    let xlsx_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("spreadsheetml"));
    let format = if xlsx_type { Format::Xlsx } else { Format::of("", &body) };
    Ok(Json(state.engine.import_rows(&actor, &opened, &unit, &body, format).await?))
}

/// The rows the caller may read and export, as CSV (UTF-8 with a BOM).
#[utoipa::path(get, path = "/api/v1/apps/{app}/registers/{register}/export.csv", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path)),
    responses((status = 200, content_type = "text/csv"), (status = 403, description = "May not export")),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_csv(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let rows = state.engine.export_rows(&actor, &opened).await?;
    Ok(download(export::csv(&opened, &rows), "text/csv; charset=utf-8", &format!("{register}.csv")))
}

/// The rows the caller may read and export, as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/apps/{app}/registers/{register}/export.xlsx", tag = "registers",
    params(("app" = String, Path), ("register" = String, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "May not export")),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, register)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let opened = state.engine.open_register(&app, &register).await?;
    let rows = state.engine.export_rows(&actor, &opened).await?;
    let bytes = export::xlsx(&opened, &rows).map_err(ApiError::internal)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{register}.xlsx"),
    ))
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
