//! `/my/profile`: a logged-in resident's shared profile (一次录入，多方共享) — their consent
//! (nothing, up to personal data, or sensitive data too), what their own profile and their
//! household's hold, and every read of it: by an app's form they opened, or by a grid worker
//! filling a form for them. Withdrawing consent forgets what they entered.

use axum::extract::{Form, State};
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::i18n::ReqLang;
use crate::{ApiError, AppState};
use baida_engine::auth::Actor;
use baida_engine::profile::{LEVELS, Overview};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/my/profile", get(page).post(set_consent))
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
    /// Staff filling in a form for the resident may read the profile.
    assisted: bool,
    levels: Vec<(&'static str, String, bool)>,
    values: Vec<Row>,
    /// The declared home (`3号楼 1201`), whose household profile this resident shares.
    home: Option<String>,
    /// The community confirmed the resident at that home: only then is the household shared.
    home_confirmed: bool,
    household: Vec<Row>,
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
    let overview = match state.engine.profile_overview(&id).await {
        Ok(x) => x,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Overview { level, assisted, values, home, household, reads } = overview;
    // Apps by their names, not their ids.
    let mut names = std::collections::HashMap::new();
    for app in values.iter().chain(&household).map(|v| &v.app_id).chain(reads.iter().map(|r| &r.app_id)) {
        if !names.contains_key(app) {
            let name = match state.apps.load(app, None).await {
                Ok(Some(l)) => l.compiled.app.name.get(lang).to_string(),
                _ => app.clone(),
            };
            names.insert(app.clone(), name);
        }
    }
    let app_name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    let shown = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let data = Page {
        levels: LEVELS
            .iter()
            .map(|l| (*l, crate::i18n::word(lang, &format!("profile_level_{l}")), *l == level))
            .collect(),
        level,
        assisted,
        values: values
            .into_iter()
            .map(|v| Row {
                field: label(&state, &v.dict_key, lang),
                value: shown(&v.value),
                app: app_name(&v.app_id),
                at: when(v.updated_at),
            })
            .collect(),
        home_confirmed: home.as_ref().is_some_and(|h| h.confirmed_at.is_some()),
        home: home.map(|h| format!("{} {}", h.building, h.room)),
        household: household
            .into_iter()
            .map(|v| {
                let who =
                    if v.entered_by.as_deref() == Some(id.as_str()) { "profile_by_you" } else { "profile_by_family" };
                Row {
                    field: label(&state, &v.dict_key, lang),
                    value: shown(&v.value),
                    app: format!("{} · {}", app_name(&v.app_id), crate::i18n::word(lang, who)),
                    at: when(v.updated_at),
                }
            })
            .collect(),
        reads: reads
            .into_iter()
            .map(|r| {
                // Who read: a form the resident opened, or a worker filling one for them.
                let by = match r.reader.strip_prefix("staff:") {
                    Some(name) => crate::i18n::word(lang, "profile_read_by_staff").replace("{name}", name),
                    None => crate::i18n::word(lang, "profile_read_by_you"),
                };
                Row { field: label(&state, &r.dict_key, lang), value: by, app: app_name(&r.app_id), at: when(r.at) }
            })
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
    /// The checkbox "let community staff read it when filling in for me" (`on` when ticked).
    #[serde(default)]
    assisted: Option<String>,
}

/// Sets the consent; `none` forgets the stored values (and lets no one fill in from them).
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
    let done = state.engine.set_consent(&id, &f.level, f.assisted.is_some());
    match done.await {
        Ok(_) => Redirect::to("/my/profile").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
