//! Staff log-in and log-out: the `/login` page (a plain form, no JavaScript needed), the same
//! over JSON at `/api/v1/session`, and `GET /api/v1/me`.
//!
//! A successful log-in always starts a new session (a session id from before is dropped),
//! sets it as an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when the request came over
//! HTTPS), and is recorded as a security event, as is every failure.

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::{Lang, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, Client, session_cookie};
use crate::i18n::ReqLang;
use crate::{ApiError, AppState};
use baida_engine::auth::Actor;
use baida_engine::auth::session::{self, LoginError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/login", get(login_page).post(login_form))
        .route("/logout", post(logout))
        .routes(routes!(login_json, logout_json))
        .routes(routes!(me))
}

/// Where to send someone who must log in first: `/login?next=<this page>`.
pub fn to_login(uri: &Uri) -> Response {
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let query = serde_urlencoded_next(next);
    Redirect::to(&format!("/login?{query}")).into_response()
}

fn serde_urlencoded_next(next: &str) -> String {
    let mut out = String::from("next=");
    for b in next.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where to go after a form (`next`), if it is a path on this site; else `fallback`. The one
/// check every page uses: a single `/` followed by anything but `/` or a backslash, and no
/// backslash, whitespace or control character anywhere — browsers drop a TAB or newline and
/// read a backslash as `/`, so `/<TAB>/evil.example` or `/<backslash>evil.example` would
/// leave the site.
pub fn safe_next(next: Option<&str>, fallback: &str) -> String {
    let local = |n: &str| {
        n.starts_with('/')
            && !matches!(n.as_bytes().get(1), Some(b'/' | b'\\'))
            && n.len() <= 2048
            && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    };
    match next {
        Some(n) if local(n) => n.to_string(),
        _ => fallback.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    next: String,
    login: &'a str,
    error: Option<String>,
}

fn render_login(state: &AppState, lang: Lang, path: &str, page: &LoginPage, status: StatusCode) -> Response {
    match state.pages.render("login.html", lang, path, page) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering login.html: {e:?}")).into_response(),
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Query(q): Query<NextQuery>,
    uri: Uri,
) -> Response {
    let page = LoginPage { next: safe_next(q.next.as_deref(), "/work"), login: "", error: None };
    render_login(&state, lang, &uri.to_string(), &page, StatusCode::OK)
}

/// The log-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    pub next: Option<String>,
}

/// The `Set-Cookie` value for a new session of `lifetime`.
pub fn session_cookie_for(id: &str, lifetime: chrono::Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", session::COOKIE, lifetime.num_seconds())
}

/// Did the request come over HTTPS (directly, or through a proxy that says so)?
pub fn over_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn removal() -> String {
    format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", session::COOKIE)
}

/// Checks the limit, the password and the lock-out; on success ends any earlier session of
/// this browser and starts a new one.
async fn attempt(
    state: &AppState,
    client: Client,
    headers: &HeaderMap,
    login: &str,
    password: &str,
) -> Result<(String, baida_store::User), ApiError> {
    if let Err(wait) = state.limits.login.check(client.0) {
        let now = state.engine.clock.now();
        let event = session::event("login.rate_limited", "anonymous", None, None, &client.0.to_string(), now);
        state.engine.record_security_event(&event).await?;
        return Err(ApiError::TooManyRequests {
            retry_after: wait.as_secs() + 1,
            detail: Text::new("登录尝试过于频繁，请稍后再试", "Too many log-in attempts; try again later"),
        });
    }
    if let Some(old) = session_cookie(headers) {
        state.engine.end_session(&old).await?;
    }
    match state.engine.log_in(login, password, &client.0.to_string()).await {
        Ok(done) => Ok(done),
        Err(LoginError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Unauthenticated(e.message())),
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    client: Client,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref(), "/work");
    match attempt(&state, client, &headers, &form.login, &form.password).await {
        Ok((id, _)) => {
            let cookie = session_cookie_for(&id, session::STAFF_SESSION, over_https(&headers));
            (StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie), (header::LOCATION, next)]).into_response()
        }
        Err(ApiError::Unauthenticated(why)) => {
            let page = LoginPage { next, login: &form.login, error: Some(why.get(lang).to_string()) };
            render_login(&state, lang, &uri.to_string(), &page, StatusCode::UNAUTHORIZED)
        }
        Err(e @ ApiError::TooManyRequests { .. }) => {
            let retry = e.retry_after().unwrap_or(60);
            let why = Text::new(
                format!("登录尝试过于频繁，请 {retry} 秒后再试"),
                format!("Too many log-in attempts; try again in {retry} seconds"),
            );
            let page = LoginPage { next, login: &form.login, error: Some(why.get(lang).to_string()) };
            let mut r = render_login(&state, lang, &uri.to_string(), &page, StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = retry.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}

/// A JSON log-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Username or mobile number.
    pub login: String,
    pub password: String,
}

/// Who is logged in, and where they hold which role.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub name: String,
    pub unit_id: String,
    /// `resident`, `staff` or `admin`.
    pub kind: String,
    pub roles: Vec<RoleAt>,
    /// Every permission held somewhere.
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleAt {
    pub role: String,
    pub unit_id: String,
}

fn me_view(actor: &Actor) -> Option<MeView> {
    match actor {
        Actor::Staff(s) => {
            let mut permissions: Vec<String> =
                s.holdings.iter().flat_map(|h| h.permissions.iter().map(|p| p.as_str().to_string())).collect();
            permissions.sort();
            permissions.dedup();
            Some(MeView {
                id: s.id.clone(),
                name: s.name.clone(),
                unit_id: s.unit_id.clone(),
                kind: "staff".into(),
                roles: s
                    .holdings
                    .iter()
                    .filter_map(|h| h.role.map(|r| RoleAt { role: r.as_str().into(), unit_id: h.unit_id.clone() }))
                    .collect(),
                permissions,
            })
        }
        Actor::Resident { id, phone, .. } => Some(MeView {
            id: id.clone(),
            name: baida_engine::auth::mask::mask_value(
                &serde_json::json!(phone),
                baida_engine::auth::mask::Mask::Phone,
            )
            .as_str()
            .unwrap_or_default()
            .to_string(),
            unit_id: String::new(),
            kind: "resident".into(),
            roles: Vec::new(),
            permissions: Vec::new(),
        }),
        Actor::Root => Some(MeView {
            id: "admin".into(),
            name: "admin".into(),
            unit_id: String::new(),
            kind: "admin".into(),
            roles: Vec::new(),
            permissions: baida_engine::auth::Permission::ALL.iter().map(|p| p.as_str().to_string()).collect(),
        }),
        Actor::Anonymous | Actor::Reporter => None,
    }
}

/// Log in with a username (or phone number) and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "people", request_body = LoginBody,
    responses((status = 200, body = MeView), (status = 401, description = "Wrong username or password, or the account is locked"),
              (status = 429, description = "Too many attempts from this address; see Retry-After")))]
pub async fn login_json(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let (id, user) = attempt(&state, client, &headers, &body.login, &body.password).await?;
    let actor = state.engine.staff_actor(user).await?;
    let cookie = session_cookie_for(&id, session::STAFF_SESSION, over_https(&headers));
    Ok(([(header::SET_COOKIE, cookie)], Json(me_view(&actor))).into_response())
}

/// Log out: the session ends on the server, and the cookie is removed.
#[utoipa::path(delete, path = "/api/v1/session", tag = "people", responses((status = 204, description = "Logged out")))]
pub async fn logout_json(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    end_session(&state, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, removal())]).into_response())
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    end_session(&state, &headers).await?;
    Ok((StatusCode::SEE_OTHER, [(header::SET_COOKIE, removal()), (header::LOCATION, "/login".to_string())])
        .into_response())
}

async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(id) = session_cookie(headers) {
        state.engine.end_session(&id).await?;
    }
    Ok(())
}

/// Who is asking.
#[utoipa::path(get, path = "/api/v1/me", tag = "people", responses((status = 200, body = MeView), (status = 401, description = "Not logged in")),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(actor: Actor) -> Result<Json<MeView>, ApiError> {
    me_view(&actor).map(Json).ok_or(ApiError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_on_this_site_or_the_fallback() {
        for ok in ["/", "/work", "/my/cases/1?x=%2F%2Fa", "/a//b", "/%09/x"] {
            assert_eq!(safe_next(Some(ok), "/f"), ok);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ /evil.example",
            "/x\\y",
            "https://evil.example",
            "evil",
            "",
            "/\u{0}",
            "/\u{85}/x",
        ] {
            assert_eq!(safe_next(Some(bad), "/f"), "/f", "{bad:?}");
        }
        assert_eq!(safe_next(None, "/my"), "/my");
    }
}
