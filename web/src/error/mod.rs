//! The one place HTTP errors are made: [`ApiError`] becomes an RFC 9457
//! `application/problem+json` response with a stable `code`, a message in the request's
//! language and, for validation errors, `errors[]` with JSON pointers.
//!
//! A handler's error does not know the request's language, so `into_response` stores the
//! problem in the response's extensions and the [`localize`] middleware writes the body.
//! What each of the engine's and the store's errors answers is in [`domain`].

mod domain;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baida_blocks::{Lang, Problem, Text};
use serde_json::{Value, json};

use crate::i18n::request_lang;

/// Everything a handler can answer with instead of success.
/// The `Retry-After` of a 503 [`ApiError::Busy`].
pub(crate) const BUSY_RETRY_SECONDS: u64 = 5;

#[derive(Debug, Clone)]
pub enum ApiError {
    NotFound(Text),
    /// 422 with every problem.
    Invalid {
        code: &'static str,
        title: Text,
        problems: Vec<Problem>,
    },
    BadRequest {
        code: &'static str,
        detail: Text,
    },
    Unauthorized,
    /// 401 for a failed log-in, with the reason.
    Unauthenticated(Text),
    /// 401 `login_required`: a resident's or staff session is needed, and why.
    LoginRequired(Text),
    Forbidden(Text),
    /// 403 for a state-changing request from another origin.
    CrossOrigin(Text),
    /// 429 with `Retry-After` (seconds).
    TooManyRequests {
        retry_after: u64,
        detail: Text,
    },
    Conflict(Text),
    /// 409 with the places that collide, e.g. an upgrade whose merge has conflicts.
    Conflicts {
        code: &'static str,
        detail: Text,
        problems: Vec<Problem>,
    },
    PayloadTooLarge {
        detail: Text,
    },
    UnsupportedMediaType(Text),
    /// 405: the route exists, not with this method (the framework's `Allow` header is kept).
    MethodNotAllowed,
    /// 507: the disk is full; nothing was written, try again later.
    StorageFull,
    /// 503: every database connection stayed busy past the pool's wait, or the database stayed
    /// locked past its busy timeout; nothing was done, try again in a few seconds.
    Busy,
    /// 500: logged with its id; the client sees only the id.
    Internal(String),
}

#[derive(Debug, Clone)]
struct ProblemDoc {
    status: StatusCode,
    code: &'static str,
    title: Text,
    detail: Option<Text>,
    problems: Vec<Problem>,
    incident: Option<String>,
}

impl ApiError {
    pub fn not_found_app() -> ApiError {
        ApiError::NotFound(Text::new("没有这个应用", "No such app"))
    }

    /// What went wrong, in one sentence of `lang` (for pages that show an error next to a
    /// form): the first problem's message, else the detail, else the title.
    pub fn message(self, lang: baida_blocks::Lang) -> String {
        let doc = self.doc();
        if let Some(p) = doc.problems.first() {
            return p.message.get(lang).to_string();
        }
        doc.detail.unwrap_or(doc.title).get(lang).to_string()
    }

    /// The `Retry-After` seconds of a 429.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            ApiError::Busy => Some(BUSY_RETRY_SECONDS),
            _ => None,
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> axum::http::StatusCode {
        match self {
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            other => other.clone().doc().status,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    fn doc(self) -> ProblemDoc {
        let plain = |status, code, title: Text, detail: Option<Text>| ProblemDoc {
            status,
            code,
            title,
            detail,
            problems: Vec::new(),
            incident: None,
        };
        match self {
            ApiError::NotFound(what) => {
                plain(StatusCode::NOT_FOUND, "not_found", Text::new("找不到", "Not found"), Some(what))
            }
            ApiError::Invalid { code, title, problems } => ProblemDoc {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                title,
                detail: None,
                problems,
                incident: None,
            },
            ApiError::BadRequest { code, detail } => {
                plain(StatusCode::BAD_REQUEST, code, Text::new("请求有误", "Bad request"), Some(detail))
            }
            ApiError::Unauthorized => plain(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                Text::new("需要授权", "Authorization required"),
                Some(Text::new(
                    "请先登录（/login），或在 Authorization 头中提供有效的 Bearer 令牌",
                    "Log in first (/login), or send a valid token as Authorization: Bearer …",
                )),
            ),
            ApiError::Unauthenticated(why) => {
                plain(StatusCode::UNAUTHORIZED, "login_failed", Text::new("登录失败", "Log-in failed"), Some(why))
            }
            ApiError::LoginRequired(why) => {
                plain(StatusCode::UNAUTHORIZED, "login_required", Text::new("请先登录", "Log in first"), Some(why))
            }
            ApiError::CrossOrigin(why) => plain(
                StatusCode::FORBIDDEN,
                "cross_origin",
                Text::new("跨站请求被拒绝", "Cross-origin request refused"),
                Some(why),
            ),
            ApiError::TooManyRequests { detail, .. } => plain(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Text::new("请求过于频繁", "Too many requests"),
                Some(detail),
            ),
            ApiError::Forbidden(why) => {
                plain(StatusCode::FORBIDDEN, "forbidden", Text::new("无权操作", "Forbidden"), Some(why))
            }
            ApiError::Conflict(why) => {
                plain(StatusCode::CONFLICT, "conflict", Text::new("冲突", "Conflict"), Some(why))
            }
            ApiError::Conflicts { code, detail, problems } => ProblemDoc {
                status: StatusCode::CONFLICT,
                code,
                title: Text::new("冲突", "Conflict"),
                detail: Some(detail),
                problems,
                incident: None,
            },
            ApiError::PayloadTooLarge { detail } => {
                plain(StatusCode::PAYLOAD_TOO_LARGE, "too_large", Text::new("内容过大", "Too large"), Some(detail))
            }
            ApiError::UnsupportedMediaType(detail) => plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                Text::new("不支持的内容类型", "Unsupported media type"),
                Some(detail),
            ),
            ApiError::MethodNotAllowed => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                Text::new("不支持这种请求方法", "Method not allowed"),
                Some(Text::new(
                    "这个地址不支持这种请求方法，见 Allow 头",
                    "This address does not take this method; see the Allow header",
                )),
            ),
            ApiError::Busy => {
                tracing::warn!("every database connection stayed busy; a request was turned away (503)");
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    Text::new("服务器繁忙", "The server is busy"),
                    Some(Text::new("没有保存任何内容，请几秒后再试", "Nothing was saved; try again in a few seconds")),
                )
            }
            ApiError::StorageFull => {
                tracing::error!("storage full: a write was refused; free disk space on the data folder or database");
                plain(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    Text::new("服务器存储空间已满", "The server's storage is full"),
                    Some(Text::new(
                        "没有保存任何内容，请稍后再试；管理员已在日志中收到提示",
                        "Nothing was saved; try again later. The administrator is told in the log",
                    )),
                )
            }
            ApiError::Internal(message) => {
                let incident = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
                tracing::error!(%incident, error = %message, "internal error");
                ProblemDoc {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    title: Text::new("服务器内部错误", "Internal server error"),
                    detail: Some(Text::new(
                        format!("请联系管理员并提供编号 {incident}"),
                        format!("Please contact the administrator and quote {incident}"),
                    )),
                    problems: Vec::new(),
                    incident: Some(incident),
                }
            }
        }
    }
}

/// Takes the problem an error response carries, as the title and detail a page shows in
/// `lang` (the first problem's message when there are problems).
pub(crate) fn take_message(response: &mut Response, lang: baida_blocks::Lang) -> Option<(String, String)> {
    let doc = response.extensions_mut().remove::<Arc<ProblemDoc>>()?;
    let detail = match (doc.problems.first(), &doc.detail) {
        (Some(p), _) => p.message.get(lang).to_string(),
        (None, Some(d)) => d.get(lang).to_string(),
        (None, None) => String::new(),
    };
    Some((doc.title.get(lang).to_string(), detail))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            ApiError::Busy => Some(BUSY_RETRY_SECONDS),
            _ => None,
        };
        let doc = self.doc();
        let mut response = doc.status.into_response();
        if doc.status == StatusCode::UNAUTHORIZED && doc.code == "unauthorized" {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(Arc::new(doc));
        response
    }
}

fn body(doc: &ProblemDoc, lang: Lang) -> Value {
    let mut v = json!({
        "type": format!("/problems/{}", doc.code),
        "title": doc.title.get(lang),
        "status": doc.status.as_u16(),
        "code": doc.code,
    });
    if let Some(d) = &doc.detail {
        v["detail"] = d.get(lang).into();
    }
    if !doc.problems.is_empty() {
        v["detail"] = match lang {
            Lang::En => format!("{} problem(s) found", doc.problems.len()),
            Lang::ZhCn => format!("发现 {} 个问题", doc.problems.len()),
        }
        .into();
        v["errors"] = doc
            .problems
            .iter()
            .map(|p| {
                let mut e = json!({"pointer": p.pointer, "code": p.code, "message": p.message.get(lang)});
                if let Some(h) = &p.hint {
                    e["hint"] = h.get(lang).into();
                }
                if let (Some(l), Some(c)) = (p.line, p.column) {
                    e["line"] = l.into();
                    e["column"] = c.into();
                }
                e
            })
            .collect();
    }
    if let Some(id) = &doc.incident {
        v["incident"] = id.clone().into();
    }
    v
}

/// Writes problem bodies in the request's language; turns the framework's own bare 4xx
/// answers (unknown route, wrong method, body over the limit, an unreadable query or form, a
/// body of the wrong type) into problems too.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = request_lang(request.uri().query(), request.headers());
    let mut response = next.run(request).await;
    let doc = match response.extensions_mut().remove::<Arc<ProblemDoc>>() {
        Some(doc) => doc,
        None => {
            let status = response.status();
            let bare =
                response.headers().get(header::CONTENT_TYPE).is_none_or(|ct| ct.as_bytes().starts_with(b"text/plain"));
            if !(status.is_client_error() && bare) {
                return response;
            }
            let err = match status {
                StatusCode::NOT_FOUND => ApiError::NotFound(Text::new("没有这个地址", "No such address")),
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
                    detail: Text::new("请求内容超过上限", "The request body is over the limit"),
                },
                StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
                // The framework's own refusals of a query, path or form it cannot read.
                StatusCode::BAD_REQUEST => ApiError::BadRequest {
                    code: "bad_request",
                    detail: Text::new("请求的参数无法读取，请检查后再试", "The request's parameters cannot be read"),
                },
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(Text::new(
                    "不支持这种请求内容类型",
                    "This operation does not take a body of this type",
                )),
                StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid {
                    code: "invalid",
                    title: Text::new("请求内容有误", "The request is not valid"),
                    problems: Vec::new(),
                },
                _ => return response,
            };
            let mut fresh = err.into_response();
            let doc =
                fresh.extensions_mut().remove::<Arc<ProblemDoc>>().expect("an error response carries its problem");
            let mut parts = response.into_parts().0;
            parts.status = doc.status;
            parts.headers.remove(header::CONTENT_LENGTH);
            response = Response::from_parts(parts, axum::body::Body::empty());
            doc
        }
    };
    let body = body(&doc, lang).to_string();
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    parts.headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_that_gives_no_connection_in_time_answers_busy_with_a_retry() {
        let e = ApiError::from(baida_store::Error::pool_timed_out());
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after(), Some(BUSY_RETRY_SECONDS));
    }
}
