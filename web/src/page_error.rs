//! What a page handler fails with, so that page handlers use `?` as API handlers do.
//!
//! A [`PageError`] becomes a response marked as a page's failure; the [`render`] middleware
//! (which has the templates and the request's language) turns it into the message page — the
//! status kept, the title and detail in zh-CN or English — instead of the problem+json an API
//! client gets. An [`ApiError`] on a page (a store failure, a refusal) shows its own title and
//! detail the same way; an internal error shows only the incident id to quote, as in the API.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::i18n::{request_lang, word};
use crate::{ApiError, AppState};

/// A page's failure.
#[derive(Debug)]
pub enum PageError {
    /// A message page: its status and the `i18n` keys of its title and detail.
    Message { status: StatusCode, title: &'static str, detail: &'static str },
    /// An error as the API knows it, shown as a message page.
    Api(ApiError),
}

impl PageError {
    /// The page for something that does not exist (or that the asker may not know exists).
    pub fn not_found() -> PageError {
        PageError::Message { status: StatusCode::NOT_FOUND, title: "not_found", detail: "not_found_detail" }
    }
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError::Api(e.into())
    }
}

/// The mark a failed page's response carries until [`render`] renders it: the message's keys,
/// or `None` for an [`ApiError`]'s own title and detail.
#[derive(Clone)]
struct AsPage(Option<(&'static str, &'static str)>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (mut response, keys) = match self {
            PageError::Message { status, title, detail } => (status.into_response(), Some((title, detail))),
            PageError::Api(e) => (e.into_response(), None),
        };
        response.extensions_mut().insert(AsPage(keys));
        response
    }
}

/// Renders a failed page's response as the message page, in the request's language.
pub async fn render(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let lang = request_lang(request.uri().query(), request.headers());
    let mut response = next.run(request).await;
    let Some(AsPage(keys)) = response.extensions_mut().remove::<AsPage>() else { return response };
    let (title, detail) = match keys {
        Some((title, detail)) => (word(lang, title), word(lang, detail)),
        None => crate::error::take_message(&mut response, lang)
            .unwrap_or_else(|| (word(lang, "not_found"), word(lang, "not_found_detail"))),
    };
    let data = json!({"title": title, "detail": detail});
    match state.pages.render("message.html", lang, "/", &data) {
        Ok(html) => {
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(axum::http::header::CONTENT_TYPE);
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            (parts, Html(html)).into_response()
        }
        Err(e) => ApiError::internal(format!("rendering message.html: {e:?}")).into_response(),
    }
}
