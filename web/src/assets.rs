//! Validators for the static assets (`/static/*`, the designer's pages and `/designer/assets/*`):
//! a strong `ETag` — the first 128 bits of the SHA-256 of the body — on every `200`, and `304 Not
//! Modified` with no body when the request's `If-None-Match` names it (RFC 9110 §8.8.3, §13.1.2).
//!
//! Validators rather than content-hashed URLs because the designer's ES modules import each other
//! by relative name (`from './model.js'`): a hashed URL would have to be written into every
//! import. The assets are answered with `Cache-Control: no-cache`, so a browser keeps its copy
//! and asks each time whether it changed: after a deploy the new CSS and scripts arrive with the
//! new pages, and until then the answer is a bodiless 304.
//!
//! The tag is computed on the uncompressed body (this layer sits inside the compression layer),
//! so a gzip or brotli copy carries the same tag; `Vary: Accept-Encoding`, which compression adds,
//! keeps shared caches from mixing the two.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The largest asset this layer reads into memory to tag; a bigger answer goes out untagged.
const MAX_TAGGED: usize = 4 << 20;

/// What the assets answer in `Cache-Control`: keep a copy, revalidate it each time.
pub const CACHE_CONTROL: &str = "no-cache";

/// The strong entity tag of a body: `"` + 32 hex digits of its SHA-256 + `"`.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `tag` (or is `*`). The comparison is the weak one the RFC
/// prescribes for `If-None-Match`: a `W/` prefix on either side is ignored.
pub fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    let tag = tag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

/// Middleware: tags a `200` answer (with `Cache-Control: no-cache` unless it says otherwise) and
/// turns it into a `304` when the client already has it.
pub async fn validate(request: Request, next: Next) -> Response {
    let asked = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED).await {
        Ok(bytes) => bytes,
        Err(e) => return crate::ApiError::internal(format!("reading an asset to tag it: {e}")).into_response(),
    };
    let tag = etag(&bytes);
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    parts.headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(CACHE_CONTROL));
    if none_match(&asked, &tag) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_tag_is_strong_and_follows_the_content() {
        let a = etag(b"body { color: red }");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34, "{a}");
        assert_eq!(a, etag(b"body { color: red }"));
        assert_ne!(a, etag(b"body { color: blue }"));
    }

    #[test]
    fn if_none_match_is_compared_weakly() {
        let tag = etag(b"x");
        assert!(none_match(&asking(&tag), &tag));
        assert!(none_match(&asking(&format!("W/{tag}")), &tag));
        assert!(none_match(&asking(&format!("\"other\", {tag}")), &tag));
        assert!(none_match(&asking("*"), &tag));
        assert!(!none_match(&asking("\"other\""), &tag));
        assert!(!none_match(&HeaderMap::new(), &tag));
    }
}
