//! Photos over HTTP: upload (checked by content) and download (fixed type, `nosniff`).

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baida_blocks::{FieldType, Text};
use chrono::{DateTime, Utc};
use img_parts::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, AppState};
use crate::photo;
use crate::store::Photo;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/photos", post(upload)).route("/photos/{sha256}", get(download))
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

/// Checks, cleans and stores one photo; returns its metadata.
pub async fn store_photo(state: &AppState, data: Bytes, keep_location: bool) -> Result<Photo, ApiError> {
    let cfg = &state.config;
    let checked = photo::check(data, cfg.max_photo_bytes, cfg.max_photo_pixels, keep_location)?;
    let meta = Photo {
        sha256: checked.sha256.clone(),
        content_type: checked.content_type.to_string(),
        width: checked.width as i64,
        height: checked.height as i64,
        bytes: checked.bytes.len() as i64,
        created_at: state.engine.clock.now(),
    };
    state.blobs.put(&checked.sha256, checked.bytes).await?;
    state.store.put_photo(&meta).await?;
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
    responses((status = 201, body = PhotoView), (status = 413, description = "Too large, or too many pixels declared"), (status = 415, description = "Not a JPEG, PNG or WebP image")))]
pub async fn upload(
    State(state): State<AppState>,
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
    let photo = store_photo(&state, data, keep).await?;
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

/// A stored photo, with the type recorded at upload and `nosniff`.
pub async fn download(State(state): State<AppState>, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(Text::new("没有这张照片", "No such photo"));
    let meta = state.store.photo(&sha256).await?.ok_or_else(not_found)?;
    let bytes = state.blobs.get(&meta.sha256).await.ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CONTENT_DISPOSITION, "inline".into()),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable".into()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".into()),
        ],
        bytes,
    )
        .into_response())
}
