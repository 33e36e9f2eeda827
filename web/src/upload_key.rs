//! Binding an upload to the client that made it: the upload key.
//!
//! A photo uploaded for a submission in progress (`POST /api/v1/photos`, or a photo part of a
//! posted form that is shown again with its problems) belongs to no case yet. Its uploader is
//! named by an upload key: a random secret in an `HttpOnly`, `SameSite=Lax` cookie
//! (`baida_upload`, one day), of which only the SHA-256 is stored with the photo
//! (`PhotoUse::Upload`). The client holding the key sees its own thumbnails; no one else does.
//!
//! A logged-in person (resident or staff) uploads as themselves instead, whatever client they
//! use (an API token keeps no cookie). Only the uploader may attach an upload to a case
//! (`Submission::uploader`), so knowing a photo's hash is not enough to make it one's own.
//!
//! [`issue`] runs on every state-changing request: it reads the key or makes a new one, and sets
//! the cookie only when a photo was stored with a new key. [`Uploader`] is what a handler that
//! stores photos takes: who uploads and the client's address (the per-client upload limits).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use axum::extract::FromRef;

use crate::extract::Client;
use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, session};

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
        cookie_digest(&self.secret)
    }

    /// Marks the key used, so that a fresh one is sent to the client.
    pub fn mark_used(&self) {
        self.used.store(true, Ordering::Relaxed);
    }
}

/// The stored form of a cookie's key (kept apart from [`person_digest`] by its prefix: no
/// cookie can name a person).
fn cookie_digest(secret: &str) -> String {
    session::digest(&format!("upload-key:{secret}"))
}

/// The stored upload identity of a logged-in person; `None` for anyone else.
pub fn person_digest(actor: &Actor) -> Option<String> {
    matches!(actor, Actor::Resident { .. } | Actor::Staff(_))
        .then(|| session::digest(&format!("upload-person:{}", actor.label())))
}

/// Every upload identity of a request: its cookie's key and its logged-in person.
pub fn digests(headers: &HeaderMap, actor: &Actor) -> Vec<String> {
    given(headers).map(|s| cookie_digest(&s)).into_iter().chain(person_digest(actor)).collect()
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
    let https = crate::api::session::over_https(request.headers());
    let key = match given(request.headers()) {
        Some(secret) => UploadKey { secret, fresh: false, used: Arc::default() },
        None => UploadKey { secret: baida_core::secret::token(), fresh: true, used: Arc::default() },
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

/// Who is uploading: the logged-in person, or the upload key; and the client's address.
#[derive(Debug, Clone)]
pub struct Uploader {
    pub key: UploadKey,
    pub person: Option<String>,
    pub client: Client,
}

impl Uploader {
    /// The stored upload identity: the person's, else the key's.
    pub fn digest(&self) -> String {
        self.person.clone().unwrap_or_else(|| self.key.digest())
    }

    /// Records that a photo was stored under [`Uploader::digest`] (the cookie is then sent,
    /// when the identity is a new key).
    pub fn stored(&self) {
        if self.person.is_none() {
            self.key.mark_used();
        }
    }
}

impl<S> FromRequestParts<S> for Uploader
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let client = Client::from_request_parts(parts, state).await?;
        let person = person_digest(&Actor::from_request_parts(parts, &AppState::from_ref(state)).await?);
        // Without the middleware (never on a route that stores photos) the key binds nothing:
        // the photo is readable once attached, by the case's readers.
        let key = parts.extensions.get::<UploadKey>().cloned().unwrap_or_else(|| UploadKey {
            secret: baida_core::secret::token(),
            fresh: false,
            used: Arc::default(),
        });
        Ok(Uploader { key, person, client })
    }
}
