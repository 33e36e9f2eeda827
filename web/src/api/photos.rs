//! Photos over HTTP: upload (checked by content, limited per client, bound to its uploader)
//! and download (fixed type, `nosniff`), served only to those who may see the photo.
//!
//! Who may see a photo is decided once, by [`audience`], from its uses (`store::photo_uses`):
//! public when shown on a public page (ledger evidence, a catalog screenshot, a proposal's
//! public answers); otherwise to a reader of a case whose record — as that reader sees it,
//! masked — holds it, and to the client that uploaded it (its upload key,
//! [`crate::upload_key`]). Everyone else gets 404, so a photo's existence is never revealed.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baida_blocks::{FieldType, Text};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::upload_key::{self, Uploader};
use crate::{ApiError, AppState};
use baida_engine::auth::Actor;
use baida_engine::photo;
use baida_store::Photo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload)).route("/photos/{sha256}", get(download))
}

/// A stored photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    /// Put this in the answers of a photo field.
    pub sha256: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
    pub url: String,
}

impl From<Photo> for PhotoView {
    fn from(p: Photo) -> Self {
        PhotoView {
            url: format!("/photos/{}", p.sha256),
            sha256: p.sha256,
            content_type: p.content_type,
            width: p.width,
            height: p.height,
            bytes: p.bytes,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The app the photo is for; with `field`, decides whether the EXIF location is kept.
    pub app: Option<String>,
    /// The photo field the photo is for.
    pub field: Option<String>,
}

/// Checks, cleans and stores one photo for `uploader`; returns its metadata. Past the client's
/// upload limits (count or bytes), 429 before the photo is looked at.
pub async fn store_photo(
    state: &AppState,
    uploader: &Uploader,
    data: Bytes,
    keep_location: bool,
) -> Result<Photo, ApiError> {
    let too_many = |wait: std::time::Duration| ApiError::TooManyRequests {
        retry_after: wait.as_secs().max(1),
        detail: Text::new("上传照片过于频繁，请稍后再试", "Too many photos uploaded from here; try again later"),
    };
    let client = uploader.client.0;
    state.limits.photo_upload.check(client).map_err(too_many)?;
    let kib = u32::try_from(data.len().div_ceil(1024)).unwrap_or(u32::MAX);
    state.limits.photo_kib.check_n(client, kib, std::time::Duration::from_secs(3600)).map_err(too_many)?;
    let cfg = &state.config;
    let checked = photo::check(data, cfg.max_photo_bytes, cfg.max_photo_pixels, keep_location)?;
    let meta = state.engine.keep_photo(&state.blobs, checked, &uploader.digest()).await?;
    uploader.stored();
    Ok(meta)
}

/// Whether `field` of `app` keeps photo locations.
async fn keeps_location(state: &AppState, q: &UploadQuery) -> Result<bool, ApiError> {
    let (Some(app), Some(field)) = (&q.app, &q.field) else { return Ok(false) };
    let Some(loaded) = state.apps.load(app, None).await? else { return Ok(false) };
    Ok(loaded
        .compiled
        .fields
        .iter()
        .any(|f| &f.field.key == field && f.ty == FieldType::Photo && f.field.keep_location))
}

/// Upload a photo: as `multipart/form-data` (the first file part) or as the raw body.
/// Checked by content, not by name or declared type: JPEG, PNG or WebP only; the EXIF
/// location is removed unless the app's field keeps it.
#[utoipa::path(post, path = "/api/v1/photos", tag = "photos", params(UploadQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = PhotoView, description = "Stored; readable by this client (the `baida_upload` cookie) until a submission attaches it, then by the case's readers"), (status = 413, description = "Too large, or too many pixels declared"), (status = 415, description = "Not a JPEG, PNG or WebP image"), (status = 429, description = "Too many photos or bytes from this client; see Retry-After")))]
pub async fn upload(
    State(state): State<AppState>,
    uploader: Uploader,
    Query(q): Query<UploadQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let data = if multipart {
        let mut form = Multipart::from_request(request, &state).await.map_err(|e| ApiError::BadRequest {
            code: "bad_multipart",
            detail: Text::new(e.body_text(), e.body_text()),
        })?;
        let mut found = None;
        while let Some(field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
            if field.file_name().is_some() {
                found = Some(field.bytes().await.map_err(|e| multipart_error(&e))?);
                break;
            }
        }
        found.ok_or_else(|| ApiError::BadRequest {
            code: "no_file",
            detail: Text::new("请求中没有文件", "The request holds no file"),
        })?
    } else {
        axum::body::Bytes::from_request(request, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge {
                    detail: Text::new("请求内容超过上限", "The request body is over the limit"),
                }
            } else {
                ApiError::BadRequest { code: "bad_body", detail: Text::new(e.body_text(), e.body_text()) }
            }
        })?
    };
    let keep = keeps_location(&state, &q).await?;
    let photo = store_photo(&state, &uploader, data, keep).await?;
    let view = PhotoView::from(photo);
    Ok((StatusCode::CREATED, [(header::LOCATION, view.url.clone())], Json(view)).into_response())
}

/// Maps a multipart read error, keeping "too large" a 413.
pub fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge {
            detail: Text::new("请求内容超过上限", "The request body is over the limit")
        }
    } else {
        ApiError::BadRequest { code: "bad_multipart", detail: Text::new(e.body_text(), e.body_text()) }
    }
}

pub use baida_engine::photos::Audience;

/// The one decision of who may see a photo ([`baida_engine::Engine::photo_audience`]): `None`
/// when this requester may not (404).
pub async fn audience(
    state: &AppState,
    actor: &Actor,
    upload_keys: &[String],
    sha256: &str,
) -> Result<Option<Audience>, ApiError> {
    Ok(state.engine.photo_audience(actor, upload_keys, sha256).await?)
}

/// How long a browser may keep a photo only its requester may see.
const PRIVATE_MAX_AGE: &str = "private, max-age=3600";

/// A stored photo, with the type recorded at upload and `nosniff`, to those [`audience`]
/// allows; 404 to everyone else, as for a photo that does not exist.
pub async fn download(
    State(state): State<AppState>,
    actor: Actor,
    headers: axum::http::HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(Text::new("没有这张照片", "No such photo"));
    let keys = upload_key::digests(&headers, &actor);
    let audience = audience(&state, &actor, &keys, &sha256).await?.ok_or_else(not_found)?;
    let meta = state.engine.photo(&sha256).await?.ok_or_else(not_found)?;
    let bytes = state.blobs.get(&meta.sha256).await.ok_or_else(not_found)?;
    let cache = match audience {
        Audience::Public => "public, max-age=31536000, immutable",
        Audience::Private => PRIVATE_MAX_AGE,
    };
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CONTENT_DISPOSITION, "inline".into()),
            (header::CACHE_CONTROL, cache.into()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".into()),
        ],
        bytes,
    )
        .into_response())
}
