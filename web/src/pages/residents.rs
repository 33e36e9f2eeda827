//! Residents: log-in with a one-time code sent by SMS (`/my/login`; the rules are
//! [`baida_engine::auth::code`]'s), and their own cases (`/my`). Requests for codes and tries
//! are limited per client address here, and per phone number by the engine. In `--demo` the
//! code is also printed to the log, as there is no SMS gateway.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::{Lang, Text};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::api::session::{over_https, safe_next, session_cookie_for};
use crate::extract::{Client, session_cookie};
use crate::i18n::ReqLang;
use crate::{ApiError, AppState};
use baida_engine::auth::Actor;
use baida_engine::auth::code::{CodeSent, CodeTried};
use baida_engine::auth::mask::{Mask, mask_value};
use baida_engine::auth::session::{RESIDENT_SESSION, event};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/my", get(my_cases))
        .route("/my/login", get(login_page).post(send_code))
        .route("/my/login/verify", post(verify))
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    next: String,
    phone: String,
    masked_phone: String,
    /// The code was sent: show the second form.
    sent: bool,
    error: Option<String>,
}

fn render(state: &AppState, lang: Lang, path: &str, page: &LoginPage, status: StatusCode) -> Response {
    match state.pages.render("resident_login.html", lang, path, page) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering resident_login.html: {e:?}")).into_response(),
    }
}

fn masked(phone: &str) -> String {
    mask_value(&serde_json::json!(phone), Mask::Phone).as_str().unwrap_or_default().to_string()
}

pub async fn login_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Query(q): Query<LoginQuery>,
    uri: Uri,
) -> Response {
    let page = LoginPage {
        next: safe_next(q.next.as_deref(), "/my"),
        masked_phone: String::new(),
        sent: false,
        phone: String::new(),
        error: None,
    };
    render(&state, lang, &uri.to_string(), &page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    pub phone: String,
    pub next: Option<String>,
}

fn too_many(lang: Lang, seconds: u64) -> (String, u64) {
    let why = Text::new(
        format!("获取验证码过于频繁，请 {seconds} 秒后再试"),
        format!("Too many codes asked for; try again in {seconds} seconds"),
    );
    (why.get(lang).to_string(), seconds)
}

/// Sends a code: checks the number and the limits, stores the code's hash and queues the SMS.
pub async fn send_code(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    client: Client,
    uri: Uri,
    Form(form): Form<PhoneForm>,
) -> Response {
    // Full-width digits, spaces, dashes and a +86 are read as the 11 digits; a number that is
    // not a mobile number is shown back as typed.
    let normalized = baida_blocks::formats::normalize_phone(&form.phone);
    let phone = normalized.clone().unwrap_or_else(|| form.phone.trim().to_string());
    let next = safe_next(form.next.as_deref(), "/my");
    let page = |error: Option<String>, sent: bool| LoginPage {
        next: next.clone(),
        phone: phone.clone(),
        masked_phone: masked(&phone),
        sent,
        error,
    };
    if normalized.is_none() {
        let why = Text::new("请输入 11 位手机号", "Enter an 11-digit mobile number").get(lang).to_string();
        return render(&state, lang, &uri.to_string(), &page(Some(why), false), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = |(why, seconds): (String, u64)| {
        let mut r = render(&state, lang, &uri.to_string(), &page(Some(why), false), StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = seconds.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    };
    if let Err(wait) = state.limits.code.check(client.0) {
        return limited(too_many(lang, wait.as_secs() + 1));
    }
    let code = match state.engine.send_login_code(&phone, &client.0.to_string()).await {
        Ok(CodeSent::Sent { code }) => code,
        Ok(CodeSent::TooMany { retry_after }) => return limited(too_many(lang, retry_after)),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if state.config.demo {
        tracing::info!(phone = %masked(&phone), %code, "demo: a resident's log-in code (sent by SMS when a gateway is configured)");
    }
    // The code form comes back as the answer, so the number never appears in a URL (and so
    // never in an access log).
    render(&state, lang, &uri.to_string(), &page(None, true), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    pub phone: String,
    pub code: String,
    pub next: Option<String>,
}

/// Checks a code; on success the resident is logged in (a new session) and sent on.
pub async fn verify(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    client: Client,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<CodeForm>,
) -> Response {
    let normalized = baida_blocks::formats::normalize_phone(&form.phone);
    let phone = normalized.clone().unwrap_or_else(|| form.phone.trim().to_string());
    let next = safe_next(form.next.as_deref(), "/my");
    let wrong = |state: &AppState| {
        let why = Text::new("验证码不正确或已过期，请重新获取", "The code is wrong or has expired; ask for a new one")
            .get(lang)
            .to_string();
        let page = LoginPage {
            next: next.clone(),
            phone: phone.clone(),
            masked_phone: masked(&phone),
            sent: true,
            error: Some(why),
        };
        render(state, lang, &uri.to_string(), &page, StatusCode::UNAUTHORIZED)
    };
    // Per address first; a number that is not a mobile number is never a key of the
    // per-phone limit (which would otherwise grow with whatever strings are sent).
    let limited = match state.limits.verify.check(client.0) {
        Err(wait) => Some(wait),
        Ok(()) if normalized.is_none() => return wrong(&state),
        Ok(()) => state.limits.verify_phone.check(phone.clone()).err(),
    };
    if let Some(wait) = limited {
        let seconds = wait.as_secs() + 1;
        let now = state.engine.clock.now();
        let e = event("resident.login_rate_limited", "anonymous", None, None, &client.0.to_string(), now);
        if let Err(e) = state.engine.record_security_event(&e).await {
            tracing::warn!(error = %e, "cannot record a security event");
        }
        let why = Text::new(
            format!("尝试过于频繁，请 {seconds} 秒后再试"),
            format!("Too many tries; try again in {seconds} seconds"),
        );
        let page = LoginPage {
            next: next.clone(),
            phone: phone.clone(),
            masked_phone: masked(&phone),
            sent: true,
            error: Some(why.get(lang).to_string()),
        };
        let mut r = render(&state, lang, &uri.to_string(), &page, StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = seconds.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let old = session_cookie(&headers);
    match state.engine.log_in_with_code(&phone, &form.code, &client.0.to_string(), old.as_deref()).await {
        Ok(CodeTried::LoggedIn { session }) => {
            let cookie = session_cookie_for(&session, RESIDENT_SESSION, over_https(&headers));
            (StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie), (header::LOCATION, next)]).into_response()
        }
        Ok(CodeTried::Wrong) => wrong(&state),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Serialize)]
struct MyCase {
    id: String,
    number: String,
    app: String,
    status: String,
    created_at: String,
}

#[derive(Serialize)]
struct MyPage {
    phone: String,
    cases: Vec<MyCase>,
}

/// The logged-in resident's own cases, newest first.
pub async fn my_cases(State(state): State<AppState>, ReqLang(lang): ReqLang, actor: Actor, uri: Uri) -> Response {
    let Actor::Resident { id, phone, .. } = actor else {
        return Redirect::to("/my/login?next=/my").into_response();
    };
    let cases = match state.engine.resident_cases(&id, 200).await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let app = match state.apps.load(&c.app_id, Some(&c.app_version)).await {
            Ok(Some(l)) => l.compiled.app.name.get(lang).to_string(),
            _ => c.app_id.clone(),
        };
        let status = crate::i18n::word(lang, &format!("status_{}", c.status));
        out.push(MyCase {
            created_at: c.created_at.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string(),
            id: c.id,
            number: c.number,
            app,
            status,
        });
    }
    let page = MyPage { phone: masked(&phone), cases: out };
    match state.pages.render("my.html", lang, &uri.to_string(), &page) {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering my.html: {e:?}")).into_response(),
    }
}
