//! Extractors that turn bad requests into clear problems: [`ApiJson`] for JSON bodies and
//! [`Admin`] for the bearer token.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::{header, request::Parts};
use baida_blocks::Text;
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};

/// A JSON body; malformed JSON, wrong types, a wrong content type and an over-long body each
/// get their own problem.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest {
                code: "malformed_json",
                detail: Text::new(
                    format!("JSON 格式错误：{}", e.body_text()),
                    format!("Malformed JSON: {}", e.body_text()),
                ),
            }),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::Invalid {
                code: "wrong_shape",
                title: Text::new("请求内容的结构不对", "The request body has the wrong shape"),
                problems: vec![baida_blocks::Problem::new("", "wrong_shape", Text::new(e.body_text(), e.body_text()))],
            }),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(Text::new(
                "请使用 Content-Type: application/json",
                "Send Content-Type: application/json",
            ))),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge {
                detail: Text::new(
                    "请求内容超过上限（可用 --max-body-bytes 调整）",
                    "The request body is over the limit (see --max-body-bytes)",
                ),
            }),
            Err(e) => Err(ApiError::BadRequest { code: "bad_body", detail: Text::new(e.body_text(), e.body_text()) }),
        }
    }
}

/// Proof that the request carries the admin token.
pub struct Admin;

impl<S> FromRequestParts<S> for Admin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let Some(expected) = state.config.admin_token.as_deref() else {
            return Err(ApiError::Unauthorized);
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) { Ok(Admin) } else { Err(ApiError::Unauthorized) }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
