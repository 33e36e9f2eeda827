//! # baida-designer
//!
//! The web designer where grid workers build apps: static ES modules and the axum routes
//! that serve them. It depends on `baida-blocks` (the palette and its config schemas) and
//! never on the runtime's storage; the runtime mounts [`router`].
//!
//! This release serves the block palette as JSON (`/designer/blocks.json`) and a page that
//! says where to go meanwhile; the drag-and-drop editor is the next piece of work.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

/// The designer's routes, mounted by the runtime.
pub fn router() -> Router {
    Router::new().route("/designer", get(page)).route("/designer/blocks.json", get(blocks))
}

async fn page() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

async fn blocks() -> impl IntoResponse {
    let body = serde_json::to_string(&baida_blocks::block::all()).unwrap_or_else(|_| "[]".into());
    ([(header::CONTENT_TYPE, "application/json")], body)
}
