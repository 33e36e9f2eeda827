//! Comments on spending proposals over JSON: `GET /api/v1/cases/{id}/comments` (public, as
//! the proposal page shows them) and `POST /api/v1/cases/{id}/comments` `{"text": "…"}` for a
//! logged-in resident of the community (or its staff). The proposal page's no-JavaScript form
//! (`http::proposals`) adds comments through [`add`] too, so both answer the same problems:
//! `login_required` (401), `comment_empty` and `comment_too_long` (422, pointer `/text`),
//! `comments_closed` (422), `forbidden` (403, no home registered in the community),
//! `rate_limited` (429), `not_found` (404, no such proposal).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baida_blocks::{Lang, Problem, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::ApiJson;
use crate::i18n::ReqLang;
use crate::{ApiError, AppState, access};
use baida_engine::auth::Actor;
use baida_engine::comment::{Comment, CommentError, MAX_CHARS};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, post))
}

impl From<CommentError> for ApiError {
    fn from(e: CommentError) -> ApiError {
        let invalid = |code: &'static str, pointer: &str, why: Text| ApiError::Invalid {
            code,
            title: Text::new("评论未发表", "The comment was not posted"),
            problems: vec![Problem::new(pointer, code, why)],
        };
        match e {
            CommentError::Empty => {
                invalid("comment_empty", "/text", Text::new("请写下评论内容", "Write something first"))
            }
            CommentError::TooLong(n) => invalid(
                "comment_too_long",
                "/text",
                Text::new(
                    format!("评论最多 {MAX_CHARS} 字，现在有 {n} 字"),
                    format!("A comment has at most {MAX_CHARS} characters; this one has {n}"),
                ),
            ),
            CommentError::Closed => invalid(
                "comments_closed",
                "",
                Text::new(
                    "这项提议已经过了评议阶段（正在支付或已办结），不再接受评论",
                    "This proposal is past review (being paid, or closed); it takes no more comments",
                ),
            ),
            CommentError::Forbidden(why) => ApiError::Forbidden(why),
            CommentError::UnknownCase => ApiError::NotFound(Text::new("没有这项提议", "No such proposal")),
            CommentError::App(e) => e.into(),
            CommentError::Store(e) => e.into(),
        }
    }
}

/// Adds `actor`'s comment to proposal `id`: logged in, within the rate limit, then the engine.
pub(crate) async fn add(
    state: &AppState,
    actor: &Actor,
    id: &str,
    text: &str,
    lang: Lang,
) -> Result<Comment, ApiError> {
    if matches!(actor, Actor::Anonymous | Actor::Reporter) {
        return Err(ApiError::LoginRequired(Text::new(
            "请先登录（/my/login）再发表评论",
            "Log in (/my/login) to comment",
        )));
    }
    // Bad input is refused before it counts against the limit.
    baida_engine::comment::checked_text(text)?;
    if let Err(wait) = state.limits.comment.check(actor.label()) {
        let seconds = wait.as_secs() + 1;
        return Err(ApiError::TooManyRequests {
            retry_after: seconds,
            detail: Text::new(
                format!("评论太频繁，请 {seconds} 秒后再试"),
                format!("Too many comments; try again in {seconds} seconds"),
            ),
        });
    }
    match state.engine.comment(id, text, actor, lang).await {
        Ok(c) => Ok(c),
        Err(CommentError::Forbidden(why)) => {
            access::record_denial(state, actor, &format!("case:{id}"), None).await;
            Err(ApiError::Forbidden(why))
        }
        Err(e) => Err(e.into()),
    }
}

/// A proposal's comments and whether it takes more.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comments {
    pub comments_open: bool,
    pub comments: Vec<Comment>,
}

/// The comments on a spending proposal, oldest first (public: labels, never people).
#[utoipa::path(get, path = "/api/v1/cases/{id}/comments", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = Comments), (status = 404, description = "No such proposal")))]
pub async fn list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Result<Json<Comments>, ApiError> {
    let not_found = || ApiError::NotFound(Text::new("没有这项提议", "No such proposal"));
    let p = state.engine.proposal_by_id(&id, lang).await?.ok_or_else(not_found)?;
    Ok(Json(Comments { comments_open: p.comments_open, comments: p.comments }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1–2000 characters.
    pub text: String,
}

/// Comment on a spending proposal while it is proposed, reviewed, decided or voted on.
#[utoipa::path(post, path = "/api/v1/cases/{id}/comments", tag = "cases", params(("id" = String, Path)),
    request_body = NewComment,
    responses((status = 201, body = Comment), (status = 401, description = "Not logged in"),
        (status = 403, description = "No home registered in the proposal's community"),
        (status = 404, description = "No such proposal"),
        (status = 422, description = "Empty or too long, or the proposal takes no more comments"),
        (status = 429, description = "Too many comments")),
    security(("session" = []), ("bearer" = [])))]
pub async fn post(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    Ok((StatusCode::CREATED, Json(add(&state, &actor, &id, &c.text, lang).await?)))
}
