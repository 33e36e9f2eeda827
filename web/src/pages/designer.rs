//! The designer's pages, modules and palette JSON (`/designer…`), from `baida-designer`, which
//! gives the bytes and knows no HTTP.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

/// The designer's routes (stateless).
pub fn router() -> Router {
    Router::new()
        .route("/designer", get(|| async { Html(baida_designer::LIST_PAGE) }))
        .route("/designer/apps/{app}", get(|| async { Html(baida_designer::EDITOR_PAGE) }))
        .route("/designer/assets/{file}", get(asset))
        .route("/designer/blocks.json", get(|| async { json(&baida_designer::blocks()) }))
        .route("/designer/field-types.json", get(|| async { json(&baida_designer::field_types()) }))
        .route("/designer/app-parts.json", get(|| async { json(&baida_designer::app_parts()) }))
}

async fn asset(Path(file): Path<String>) -> Response {
    match baida_designer::asset(&file) {
        Some((content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn json(v: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}
