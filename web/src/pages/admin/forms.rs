//! The admin pages' forms: each is read, handed to the API's own handler (`org`, `people`,
//! `tokens`) so the checks are the API's, and answered with the admin page ([`super::answer`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{answer, build, render};
use crate::extract::{ApiJson, Client, StaffActor};
use crate::i18n::ReqLang;
use crate::i18n::word;
use crate::{ApiError, AppState, api::org, api::people, api::tokens};
use axum::http::StatusCode;
use baida_engine::auth::Role;

fn some(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

#[derive(Debug, Deserialize)]
pub struct UnitForm {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub parent_id: String,
    pub name_zh: String,
    pub name_en: String,
}

pub async fn add_unit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    Form(f): Form<UnitForm>,
) -> Response {
    let body = org::NewUnitBody {
        id: f.id,
        kind: f.kind,
        parent_id: some(f.parent_id),
        name_zh: f.name_zh,
        name_en: f.name_en,
    };
    let result = org::create(State(state.clone()), StaffActor(actor.clone()), ApiJson(body)).await;
    answer(state, lang, actor, result, "unit").await
}

#[derive(Debug, Deserialize)]
pub struct ChangeUnitForm {
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub parent_id: String,
}

pub async fn change_unit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
    Form(f): Form<ChangeUnitForm>,
) -> Response {
    let body = org::ChangeUnitBody { name_zh: some(f.name_zh), name_en: some(f.name_en), parent_id: some(f.parent_id) };
    let result = org::change(State(state.clone()), StaffActor(actor.clone()), Path(id), ApiJson(body)).await;
    answer(state, lang, actor, result, "unit").await
}

pub async fn retire_unit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Response {
    let result = org::retire(State(state.clone()), StaffActor(actor.clone()), Path(id)).await;
    answer(state, lang, actor, result, "retired").await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub unit_id: String,
    pub password: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Form(f): Form<UserForm>,
) -> Response {
    let body = people::NewUserBody {
        username: f.username,
        phone: some(f.phone),
        name: f.name,
        unit_id: f.unit_id,
        password: f.password,
    };
    let result = people::create(State(state.clone()), StaffActor(actor.clone()), client, ApiJson(body)).await;
    answer(state, lang, actor, result, "user").await
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    pub role: String,
    pub unit_id: String,
}

pub async fn grant(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> Response {
    let Some(role) = Role::parse(&f.role) else {
        let e = ApiError::NotFound(baida_blocks::Text::new("没有这个角色", "No such role"));
        return answer::<()>(state, lang, actor, Err(e), "grant").await;
    };
    let body = people::GrantBody { role, unit_id: f.unit_id };
    let result = people::grant(State(state.clone()), StaffActor(actor.clone()), client, Path(id), ApiJson(body)).await;
    answer(state, lang, actor, result, "grant").await
}

pub async fn revoke(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> Response {
    let result =
        people::revoke(State(state.clone()), StaffActor(actor.clone()), client, Path((id, f.role, f.unit_id))).await;
    answer(state, lang, actor, result, "revoke").await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let body = people::PasswordBody { password: f.password };
    let result =
        people::reset_password(State(state.clone()), StaffActor(actor.clone()), client, Path(id), ApiJson(body)).await;
    answer(state, lang, actor, result, "password").await
}

#[derive(Debug, Deserialize)]
pub struct OwnPasswordForm {
    pub current: String,
    pub new: String,
}

/// Changing one's own password ends every session, this one too: on to the log-in page.
pub async fn change_own_password(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Form(f): Form<OwnPasswordForm>,
) -> Response {
    let body = people::OwnPasswordBody { current: f.current, new: f.new };
    match people::change_own_password(State(state.clone()), StaffActor(actor.clone()), client, ApiJson(body)).await {
        Ok(_) => Redirect::to("/login?next=/admin").into_response(),
        Err(e) => answer::<()>(state, lang, actor, Err(e), "password").await,
    }
}

#[derive(Debug, Deserialize)]
pub struct StateForm {
    /// `disable`, `enable` or `unlock`.
    pub action: String,
}

pub async fn set_state(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    Form(f): Form<StateForm>,
) -> Response {
    let body = people::ChangeUserBody {
        name: None,
        phone: None,
        disabled: match f.action.as_str() {
            "disable" => Some(true),
            "enable" => Some(false),
            _ => None,
        },
        unlock: (f.action == "unlock").then_some(true),
    };
    let result = people::change(State(state.clone()), StaffActor(actor.clone()), client, Path(id), ApiJson(body))
        .await
        .map(|Json(u)| u);
    answer(state, lang, actor, result, "user_state").await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub name: String,
    pub unit_id: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A new token's secret is shown in the answer itself, once (there is no redirect to lose it).
pub async fn add_token(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Form(f): Form<TokenForm>,
) -> Response {
    let body = tokens::NewTokenBody { name: f.name, unit_id: f.unit_id, permissions: f.permissions };
    match tokens::create(State(state.clone()), StaffActor(actor.clone()), client, ApiJson(body)).await {
        Ok((_, Json(created))) => match build(&state, &actor, lang).await {
            Ok(mut page) => {
                page.secret = Some(created.secret);
                page.done = Some(word(lang, "adm_done_token"));
                render(&state, lang, &page, StatusCode::CREATED)
            }
            Err(e) => crate::page_error::PageError::from(e).into_response(),
        },
        Err(e) => answer::<()>(state, lang, actor, Err(e), "token").await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
) -> Response {
    let result = tokens::revoke(State(state.clone()), StaffActor(actor.clone()), client, Path(id)).await;
    answer(state, lang, actor, result, "token_revoked").await
}
