//! `/my/profile`: a logged-in resident's shared profile (一次录入，多方共享) — their consent
//! (nothing, up to personal data, or sensitive data too), what the profile holds, and every
//! read of it by an app's form. Withdrawing consent forgets the stored values.

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::auth::Actor;
use crate::i18n::ReqLang;
use crate::profile::LEVELS;

pub fn router() -> Router<AppState> {
    Router::new().route("/my/profile", get(page).post(set_consent))
}

#[derive(Serialize)]
struct Row {
    field: String,
    value: String,
    app: String,
    at: String,
}

#[derive(Serialize)]
struct Page {
    level: String,
    levels: Vec<(&'static str, String, bool)>,
    values: Vec<Row>,
    reads: Vec<Row>,
}

fn label(state: &AppState, key: &str, lang: baida_blocks::Lang) -> String {
    state
        .apps
        .dictionary()
        .field(key)
        .and_then(|f| f.field.label.as_ref())
        .map_or(key.to_string(), |l| l.get(lang).to_string())
}

/// The profile page.
pub async fn page(State(state): State<AppState>, ReqLang(lang): ReqLang, actor: Actor, uri: Uri) -> Response {
    let Actor::Resident { id, .. } = actor else {
        return Redirect::to("/my/login?next=/my/profile").into_response();
    };
    let store = state.store.as_ref();
    let (level, values, reads) =
        match (store.consent(&id).await, store.profile(&id).await, store.profile_reads(&id, 50).await) {
            (Ok(l), Ok(v), Ok(r)) => (l.unwrap_or_else(|| "none".into()), v, r),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return ApiError::from(e).into_response(),
        };
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    let data = Page {
        levels: LEVELS
            .iter()
            .map(|l| (*l, crate::i18n::word(lang, &format!("profile_level_{l}")), *l == level))
            .collect(),
        level,
        values: values
            .into_iter()
            .map(|v| Row {
                field: label(&state, &v.dict_key, lang),
                value: v.value.as_str().map_or_else(|| v.value.to_string(), str::to_string),
                app: v.app_id,
                at: when(v.updated_at),
            })
            .collect(),
        reads: reads
            .into_iter()
            .map(|r| Row { field: label(&state, &r.dict_key, lang), value: r.reader, app: r.app_id, at: when(r.at) })
            .collect(),
    };
    match state.pages.render("my_profile.html", lang, &uri.to_string(), &data) {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering my_profile.html: {e:?}")).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    level: String,
}

/// Sets the consent; `none` forgets the stored values.
pub async fn set_consent(State(state): State<AppState>, actor: Actor, Form(f): Form<ConsentForm>) -> Response {
    let Actor::Resident { id, .. } = actor else {
        return Redirect::to("/my/login?next=/my/profile").into_response();
    };
    if !LEVELS.contains(&f.level.as_str()) {
        return ApiError::Invalid {
            code: "bad_consent",
            title: baida_blocks::Text::new("授权级别有误", "Not a consent level"),
            problems: vec![baida_blocks::Problem::new(
                "/level",
                "bad_consent",
                baida_blocks::Text::new("只能是 none、personal 或 sensitive", "One of none, personal or sensitive"),
            )],
        }
        .into_response();
    }
    let store = state.store.as_ref();
    let now = state.engine.clock.now();
    let done = async {
        store.set_consent(&id, &f.level, now).await?;
        if f.level == "none" {
            store.forget_profile(&id).await?;
        }
        Ok::<_, crate::store::Error>(())
    };
    match done.await {
        Ok(()) => Redirect::to("/my/profile").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
