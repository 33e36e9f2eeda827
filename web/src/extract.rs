//! Extractors that turn bad requests into clear problems: [`ApiJson`] for JSON bodies and
//! [`Actor`] for who is asking (admin token, API token or session cookie), [`StaffActor`] for
//! staff-only routes and [`Client`] for the client's address.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::{header, request::Parts};
use baida_blocks::Text;
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, session};

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

/// The client's address: the TCP peer, or behind a trusted proxy the address it forwarded
/// (decided once per request by [`crate::proxy::resolve`]).
#[derive(Debug, Clone, Copy)]
pub struct Client(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(client) = parts.extensions.get::<Client>() {
            return Ok(*client);
        }
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(Client(ip))
    }
}

/// Who is asking: the admin token (root), an API token, a session cookie, or nobody. A bearer
/// token that is wrong or revoked is refused outright (401) rather than treated as anonymous.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        let authorization = parts.headers.get(header::AUTHORIZATION);
        let actor = match authorization {
            // Anything but a well-formed `Bearer <token>` is refused, never compared.
            Some(value) => {
                let given = value.to_str().ok().and_then(bearer_token).ok_or(ApiError::Unauthorized)?;
                if state.config.admin_token.as_deref().is_some_and(|expected| same_secret(given, expected)) {
                    Actor::Root
                } else if given.starts_with(session::TOKEN_PREFIX) {
                    let tree = state.engine.org_tree().await.map_err(ApiError::internal)?;
                    state
                        .engine
                        .actor_for_token(&tree, given)
                        .await
                        .map_err(ApiError::internal)?
                        .ok_or(ApiError::Unauthorized)?
                } else {
                    return Err(ApiError::Unauthorized);
                }
            }
            None => match session_cookie(&parts.headers) {
                Some(id) => {
                    state.engine.actor_for_session(&id).await.map_err(ApiError::internal)?.unwrap_or(Actor::Anonymous)
                }
                None => Actor::Anonymous,
            },
        };
        parts.extensions.insert(actor.clone());
        Ok(actor)
    }
}

/// The session id in the request's cookie, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    axum_extra::extract::cookie::CookieJar::from_headers(headers)
        .get(session::COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// Staff behind the request, or 401: the extractor for staff-only routes.
pub struct StaffActor(pub Actor);

impl<S> FromRequestParts<S> for StaffActor
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, &AppState::from_ref(state)).await?;
        match actor {
            Actor::Staff(_) | Actor::Root => Ok(StaffActor(actor)),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// The token of a well-formed `Authorization: Bearer <token>` (RFC 6750: the scheme in any
/// case, one space, a non-empty token68), else `None`.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token68 = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.bytes().all(token68)).then_some(token)
}

/// Compares two secrets in time that depends on neither (their SHA-256 digests are compared
/// byte by byte without stopping early). An empty expected secret matches nothing.
fn same_secret(given: &str, expected: &str) -> bool {
    if expected.is_empty() {
        return false;
    }
    baida_core::hash::same_digest(&session::digest(given), &session::digest(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_bearer_token_is_compared() {
        assert_eq!(bearer_token("Bearer abc.DEF-1_2~3+4/5="), Some("abc.DEF-1_2~3+4/5="));
        assert_eq!(bearer_token("bearer baida_x"), Some("baida_x"));
        for bad in ["", "Basic x", "Bearer", "Bearer ", "Bearer  x", "Bearer x y", "Bearerx", "Token x", "Bearer \tx"] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_empty_expected_secret_matches_nothing() {
        assert!(!same_secret("", ""));
        assert!(!same_secret("x", ""));
        assert!(same_secret("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"));
        assert!(!same_secret("0123456789abcdef0123456789abcdeF", "0123456789abcdef0123456789abcdef"));
    }
}
