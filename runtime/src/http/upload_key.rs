//! Binding an upload to the client that made it: the upload key.
//!
//! A photo uploaded for a submission in progress (`POST /api/v1/photos`, or a photo part of a
//! posted form that is shown again with its problems) belongs to no case yet. Its uploader is
//! named by an upload key: a random secret in an `HttpOnly`, `SameSite=Lax` cookie
//! (`baida_upload`, one day), of which only the SHA-256 is stored with the photo
//! (`PhotoUse::Upload`). The client holding the key sees its own thumbnails; no one else does.
//!
//! [`issue`] runs on every state-changing request: it reads the key or makes a new one, and sets
//! the cookie only when a photo was stored with a new key. [`Uploader`] is what a handler that
//! stores photos takes: the key and the client's address (the per-client upload limits).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::ApiError;
use super::extract::Client;
use crate::auth::session;

/// The cookie holding the upload key.
pub const COOKIE: &str = "baida_upload";

/// How long the cookie lasts: a submission in progress, not longer.
const LIFETIME_SECONDS: i64 = 24 * 3600;

/// The upload key of a request.
#[derive(Debug, Clone)]
pub struct UploadKey {
    secret: String,
    /// Made for this request (the client has no cookie yet).
    fresh: bool,
    /// A photo was stored under it.
    used: Arc<AtomicBool>,
}

impl UploadKey {
    /// The stored form of the key.
    pub fn digest(&self) -> String {
        session::digest(&self.secret)
    }

    /// Marks the key used, so that a fresh one is sent to the client.
    pub fn mark_used(&self) {
        self.used.store(true, Ordering::Relaxed);
    }
}

/// The stored form of the request's upload key, if it carries one.
pub fn digest_in(headers: &HeaderMap) -> Option<String> {
    given(headers).map(|s| session::digest(&s))
}

fn given(headers: &HeaderMap) -> Option<String> {
    axum_extra::extract::cookie::CookieJar::from_headers(headers)
        .get(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| (20..=100).contains(&v.len()))
}

/// Middleware: gives every state-changing request an [`UploadKey`]; sets the cookie on the
/// answer when a photo was stored under a new one.
pub async fn issue(mut request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let https = super::session::over_https(request.headers());
    let key = match given(request.headers()) {
        Some(secret) => UploadKey { secret, fresh: false, used: Arc::default() },
        None => UploadKey { secret: session::secret(), fresh: true, used: Arc::default() },
    };
    request.extensions_mut().insert(key.clone());
    let mut response = next.run(request).await;
    if key.fresh && key.used.load(Ordering::Relaxed) {
        let secure = if https { "; Secure" } else { "" };
        let cookie =
            format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={LIFETIME_SECONDS}{secure}", key.secret);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Who is uploading: the upload key and the client's address.
#[derive(Debug, Clone)]
pub struct Uploader {
    pub key: UploadKey,
    pub client: Client,
}

impl<S: Send + Sync> FromRequestParts<S> for Uploader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let client = Client::from_request_parts(parts, state).await?;
        // Without the middleware (never on a route that stores photos) the key binds nothing:
        // the photo is readable once attached, by the case's readers.
        let key = parts.extensions.get::<UploadKey>().cloned().unwrap_or_else(|| UploadKey {
            secret: session::secret(),
            fresh: false,
            used: Arc::default(),
        });
        Ok(Uploader { key, client })
    }
}
