//! The admin pages (`/admin`): the organisation tree, accounts and their roles, API tokens
//! and the security events of the units an admin oversees — plain HTML forms, usable without
//! JavaScript. Every form goes through the same handler as its API route (`org`, `people`,
//! `tokens`), so the checks are the API's, and answers with the page again: a success note
//! after a redirect, or the form's error in the page's language.

use baida_core::kinds::UnitKind;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::Lang;
use serde::{Deserialize, Serialize};

use crate::i18n::{ReqLang, word};
use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, OrgTree, Permission, Role};

mod forms;
use forms::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/admin", get(page))
        .route("/admin/units", post(add_unit))
        .route("/admin/units/{id}", post(change_unit))
        .route("/admin/units/{id}/retire", post(retire_unit))
        .route("/admin/users", post(add_user))
        .route("/admin/users/{id}/grants", post(grant))
        .route("/admin/users/{id}/revoke", post(revoke))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/state", post(set_state))
        .route("/admin/password", post(change_own_password))
        .route("/admin/tokens", post(add_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Serialize)]
struct UnitRow {
    id: String,
    name: String,
    kind: String,
    depth: usize,
    retired: bool,
    manage: bool,
}

#[derive(Serialize)]
struct GrantRow {
    role: String,
    role_name: String,
    unit_id: String,
}

#[derive(Serialize)]
struct UserRow {
    id: String,
    username: String,
    name: String,
    phone: String,
    unit_id: String,
    state: String,
    grants: Vec<GrantRow>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct TokenRow {
    id: String,
    name: String,
    unit_id: String,
    permissions: String,
    last_used: String,
    revoked: bool,
}

#[derive(Serialize)]
struct EventRow {
    at: String,
    kind: String,
    actor: String,
    subject: String,
    client: String,
}

#[derive(Serialize, Default)]
struct AdminPage {
    who: String,
    done: Option<String>,
    error: Option<String>,
    secret: Option<String>,
    units: Vec<UnitRow>,
    parents: Vec<Choice>,
    manageable_units: Vec<Choice>,
    roles: Vec<Choice>,
    permissions: Vec<Choice>,
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    events: Vec<EventRow>,
    can_org: bool,
    can_users: bool,
    can_tokens: bool,
    can_security: bool,
    /// A person (not a token or the admin token), who can change their own password.
    person: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn depth(tree: &OrgTree, id: &str) -> usize {
    let mut d = 0;
    let mut at = tree.get(id).and_then(|u| u.parent_id.clone());
    while let Some(p) = at {
        d += 1;
        at = tree.get(&p).and_then(|u| u.parent_id.clone());
        if d > 16 {
            break;
        }
    }
    d
}

/// The units in tree order (each parent before its children, siblings by id).
fn ordered(tree: &OrgTree, visible: impl Fn(&str) -> bool) -> Vec<String> {
    let mut children: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for u in tree.values() {
        children.entry(u.parent_id.clone()).or_default().push(u.id.clone());
    }
    for list in children.values_mut() {
        list.sort();
    }
    let mut out = Vec::new();
    let mut stack: Vec<String> = children.get(&None).cloned().unwrap_or_default().into_iter().rev().collect();
    while let Some(id) = stack.pop() {
        if visible(&id) {
            out.push(id.clone());
        }
        if let Some(kids) = children.get(&Some(id)) {
            stack.extend(kids.iter().rev().cloned());
        }
    }
    out
}

async fn build(state: &AppState, actor: &Actor, lang: Lang) -> Result<AdminPage, ApiError> {
    let tree = access::tree(state).await?;
    let tz = state.config.timezone;
    let name = |id: &str| {
        tree.get(id).map(|u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() }).unwrap_or_default()
    };
    let visible = |id: &str| crate::api::org::visible(actor, id, &tree);
    let mut page = AdminPage {
        who: match actor {
            Actor::Staff(s) => s.name.clone(),
            _ => "admin".into(),
        },
        can_org: actor.has(Permission::OrgManage),
        can_users: actor.has(Permission::UsersManage),
        can_tokens: actor.has(Permission::TokensManage),
        can_security: actor.has(Permission::SecurityRead),
        person: actor.staff().is_some_and(|s| !s.id.starts_with("token:")),
        ..AdminPage::default()
    };
    for id in ordered(&tree, visible) {
        let Some(u) = tree.get(&id) else { continue };
        let manage = actor.can(Permission::OrgManage, &id, &tree);
        if manage && u.retired_at.is_none() && u.kind != UnitKind::Grid {
            page.parents.push(Choice { value: id.clone(), label: format!("{} ({id})", name(&id)) });
        }
        if actor.can(Permission::UsersManage, &id, &tree) || actor.can(Permission::TokensManage, &id, &tree) {
            page.manageable_units.push(Choice { value: id.clone(), label: format!("{} ({id})", name(&id)) });
        }
        page.units.push(UnitRow {
            name: name(&id),
            kind: word(lang, &format!("kind_{}", u.kind)),
            depth: depth(&tree, &id),
            retired: u.retired_at.is_some(),
            manage,
            id,
        });
    }
    page.roles = Role::ALL
        .iter()
        .filter(|r| page.manageable_units.iter().any(|u| actor.may_grant(**r, &u.value, &tree)))
        .map(|r| Choice { value: r.as_str().into(), label: r.name().get(lang).into() })
        .collect();
    page.permissions = Permission::ALL
        .iter()
        .filter(|p| actor.has(**p))
        .map(|p| Choice { value: p.as_str().into(), label: p.as_str().into() })
        .collect();
    if page.can_users {
        for u in state.engine.overseen_accounts(actor, &tree).await?.into_iter().take(200) {
            let grants = state
                .engine
                .grants_of(&u.id)
                .await?
                .into_iter()
                .map(|g| GrantRow {
                    role_name: Role::parse(&g.role).map(|r| r.name().get(lang).to_string()).unwrap_or(g.role.clone()),
                    role: g.role,
                    unit_id: g.unit_id,
                })
                .collect();
            let state_word = if u.disabled_at.is_some() {
                "adm_disabled"
            } else if u.locked_until.is_some_and(|t| t > state.engine.clock.now()) {
                "adm_locked"
            } else {
                "adm_active"
            };
            page.users.push(UserRow {
                id: u.id,
                username: u.username,
                name: u.name,
                phone: u.phone.unwrap_or_default(),
                unit_id: u.unit_id,
                state: word(lang, state_word),
                grants,
            });
        }
    }
    if page.can_tokens {
        for t in state.engine.overseen_tokens(actor, &tree).await? {
            page.tokens.push(TokenRow {
                last_used: t
                    .last_used_at
                    .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "—".into()),
                revoked: t.revoked_at.is_some(),
                permissions: t.permissions.join(", "),
                id: t.id,
                name: t.name,
                unit_id: t.unit_id,
            });
        }
    }
    if page.can_security {
        for e in state.engine.overseen_security_events(actor, &tree, None, 30).await? {
            page.events.push(EventRow {
                at: e.at.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string(),
                kind: e.kind,
                actor: e.actor,
                subject: e.subject.unwrap_or_default(),
                client: e.client.unwrap_or_default(),
            });
        }
    }
    Ok(page)
}

fn render(state: &AppState, lang: Lang, page: &AdminPage, status: StatusCode) -> Response {
    match state.pages.render("admin.html", lang, "/admin", page) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering admin.html: {e:?}")).into_response(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Query(q): Query<DoneQuery>,
    uri: Uri,
) -> Response {
    // Staff only; everyone else is sent to log in.
    let actor = match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => a,
        _ => return crate::api::session::to_login(&uri),
    };
    match build(&state, &actor, lang).await {
        Ok(mut page) => {
            page.done = q.done.map(|d| word(lang, &format!("adm_done_{d}")));
            render(&state, lang, &page, StatusCode::OK)
        }
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}

/// After a form: back to the page with a note, or the page again with the error.
async fn answer<T>(state: AppState, lang: Lang, actor: Actor, result: Result<T, ApiError>, done: &str) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/admin?done={done}")).into_response(),
        Err(e) => {
            let status = match &e {
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
                ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
                ApiError::Conflict(_) => StatusCode::CONFLICT,
                ApiError::Internal(_) => return crate::page_error::PageError::from(e).into_response(),
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            match build(&state, &actor, lang).await {
                Ok(mut page) => {
                    page.error = Some(e.message(lang));
                    render(&state, lang, &page, status)
                }
                Err(e) => crate::page_error::PageError::from(e).into_response(),
            }
        }
    }
}
