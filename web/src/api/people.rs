//! Staff accounts over HTTP: list, create, read, change (name, phone, disabled), grant and
//! revoke roles, reset a password (admins), change one's own password. Every change that
//! matters to security is recorded as a security event. Admins see the accounts whose home
//! unit they manage (anything else answers 404), and change only those that reach no further
//! than they do ([`Actor::may_manage`]: 403 otherwise, and for their own account).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use baida_blocks::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access;
use crate::extract::{ApiJson, Client, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, OrgTree, Permission, Role};
use baida_engine::org::NewAccount;
use baida_engine::people::{AccountChange, OwnPassword, Requester};
use baida_store::{Grant, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, change))
        .routes(routes!(grant))
        .routes(routes!(revoke))
        .routes(routes!(reset_password))
        .routes(routes!(change_own_password))
}

/// An account with its roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub grants: Vec<Grant>,
}

fn no_such_user() -> ApiError {
    ApiError::NotFound(Text::new("没有这个账号", "No such account"))
}

/// The account, if its home unit is one the actor manages; else 404.
async fn visible(state: &AppState, actor: &Actor, id: &str) -> Result<(User, std::sync::Arc<OrgTree>), ApiError> {
    let tree = access::tree(state).await?;
    let user = state.engine.account(id).await?.ok_or_else(no_such_user)?;
    if actor.can(Permission::UsersManage, &user.unit_id, &tree) { Ok((user, tree)) } else { Err(no_such_user()) }
}

/// The account, if the actor may change it ([`Actor::may_manage`]): 404 when it is not even
/// visible to them, 403 (recorded) when it is their own or reaches further than they do.
async fn managed(state: &AppState, actor: &Actor, id: &str) -> Result<(User, std::sync::Arc<OrgTree>), ApiError> {
    let (user, tree) = visible(state, actor, id).await?;
    if actor.is_account(&user.id) {
        return Err(ApiError::Forbidden(Text::new(
            "不能在这里更改自己的账号：自己的密码请在“修改我的密码”中修改，角色和状态请由其他管理员更改",
            "You cannot change your own account here: change your password with your current one; roles and state are changed by another admin",
        )));
    }
    let grants = state.engine.grants_of(&user.id).await?;
    if !actor.may_manage(&user, &grants, &tree) {
        return Err(access::denied(state, actor, &format!("manage user {}", user.id), Some(&user.unit_id)).await);
    }
    Ok((user, tree))
}

/// Accounts of the units the caller manages.
#[utoipa::path(get, path = "/api/v1/users", tag = "people", responses((status = 200, body = [Object])), security(("bearer" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, StaffActor(actor): StaffActor) -> Result<Json<Vec<User>>, ApiError> {
    let tree = access::require(&state, &actor, Permission::UsersManage, None).await?;
    Ok(Json(state.engine.overseen_accounts(&actor, &tree).await?))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub phone: Option<String>,
    pub name: String,
    /// The unit the account belongs to (must be one the caller manages).
    pub unit_id: String,
    /// At least 10 characters of three kinds (lower, upper, digits, other).
    pub password: String,
}

/// Create an account (needs `users.manage` at its unit). Roles are granted separately.
#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = NewUserBody,
    responses((status = 201, body = Object), (status = 403, description = "No users.manage there"), (status = 409, description = "Username or phone taken"), (status = 422, description = "A field is not valid, or the password is weak")),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    ApiJson(body): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let tree = access::tree(&state).await?;
    if !tree.contains_key(&body.unit_id) || !crate::api::org::visible(&actor, &body.unit_id, &tree) {
        return Err(ApiError::NotFound(Text::new(
            format!("没有机构“{}”", body.unit_id),
            format!("No org unit “{}”", body.unit_id),
        )));
    }
    if !actor.can(Permission::UsersManage, &body.unit_id, &tree) {
        return Err(access::denied(&state, &actor, "users.manage", Some(&body.unit_id)).await);
    }
    let account = NewAccount {
        username: body.username,
        phone: body.phone,
        name: body.name,
        unit_id: body.unit_id,
        password: body.password,
    };
    let user = state.engine.create_account(&tree, account, &Requester::new(&actor, client.0)).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// An account and its roles.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, description = "No such account")), security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let own = actor.staff().is_some_and(|s| s.id == id);
    let user = if own {
        state.engine.account(&id).await?.ok_or_else(no_such_user)?
    } else {
        visible(&state, &actor, &id).await?.0
    };
    let grants = state.engine.grants_of(&user.id).await?;
    Ok(Json(UserView { user, grants }))
}

/// Changes to an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeUserBody {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Disable (true: every session ends at once) or enable the account.
    pub disabled: Option<bool>,
    /// Unlock an account locked after failed log-ins.
    pub unlock: Option<bool>,
}

/// Change an account's name, phone or state.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", params(("id" = String, Path)), request_body = ChangeUserBody,
    responses((status = 200, body = Object), (status = 403, description = "The account is the caller's own, or holds a role the caller could not grant"), (status = 404, description = "No such account"), (status = 409, description = "The phone number is another account's log-in")), security(("bearer" = []), ("session" = [])))]
pub async fn change(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangeUserBody>,
) -> Result<Json<User>, ApiError> {
    let (user, _) = managed(&state, &actor, &id).await?;
    let change = AccountChange {
        name: body.name,
        phone: body.phone,
        disabled: body.disabled,
        unlock: body.unlock == Some(true),
    };
    let user = state.engine.change_account(user, change, &Requester::new(&actor, client.0)).await?;
    Ok(Json(user))
}

/// A role to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub role: Role,
    /// Where the role holds (and below).
    pub unit_id: String,
}

/// Grant a role at a unit. The caller must manage the account, and may grant only roles
/// below their own, within their units.
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "people", params(("id" = String, Path)), request_body = GrantBody,
    responses((status = 201, body = Object), (status = 403, description = "The caller may not grant this role there, or the account is theirs or holds a role they could not grant"), (status = 404, description = "No such account or unit"), (status = 422, description = "The role is not granted at this kind of unit")),
    security(("bearer" = []), ("session" = [])))]
pub async fn grant(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<(StatusCode, Json<Grant>), ApiError> {
    let (user, tree) = managed(&state, &actor, &id).await?;
    if !tree.contains_key(&body.unit_id) || !crate::api::org::visible(&actor, &body.unit_id, &tree) {
        return Err(ApiError::NotFound(Text::new(
            format!("没有机构“{}”", body.unit_id),
            format!("No org unit “{}”", body.unit_id),
        )));
    }
    if !actor.may_grant(body.role, &body.unit_id, &tree) {
        return Err(access::denied(&state, &actor, &format!("grant {}", body.role.as_str()), Some(&body.unit_id)).await);
    }
    let g = state.engine.grant_role(&tree, &user, body.role, &body.unit_id, &Requester::new(&actor, client.0)).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// Revoke a role; it stops working on the holder's very next request.
#[utoipa::path(delete, path = "/api/v1/users/{id}/grants/{role}/{unit}", tag = "people", params(("id" = String, Path), ("role" = String, Path), ("unit" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 403, description = "The account is the caller's own, or holds a role the caller could not grant"), (status = 404, description = "No such account or grant")), security(("bearer" = []), ("session" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    Path((id, role, unit)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (user, tree) = managed(&state, &actor, &id).await?;
    let no_grant = || ApiError::NotFound(Text::new("没有这项授权", "No such grant"));
    let role = Role::parse(&role).ok_or_else(no_grant)?;
    if !actor.may_grant(role, &unit, &tree) {
        return Err(access::denied(&state, &actor, &format!("revoke {}", role.as_str()), Some(&unit)).await);
    }
    if !state.engine.revoke_role(&user, role, &unit, &Requester::new(&actor, client.0)).await? {
        return Err(no_grant());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub password: String,
}

/// Reset an account's password (admins). Every session of the account ends.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "people", params(("id" = String, Path)), request_body = PasswordBody,
    responses((status = 204, description = "Reset"), (status = 403, description = "The account is the caller's own, or holds a role the caller could not grant"), (status = 404, description = "No such account"), (status = 422, description = "The password is weak")), security(("bearer" = []), ("session" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    let (user, _) = managed(&state, &actor, &id).await?;
    state.engine.reset_password(&user, &body.password, &Requester::new(&actor, client.0)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changing one's own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPasswordBody {
    pub current: String,
    pub new: String,
}

/// Change your own password (the current one is asked again). Every session of the account
/// ends, this one too: log in again with the new password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "people", request_body = OwnPasswordBody,
    responses((status = 204, description = "Changed; log in again"), (status = 401, description = "The current password is wrong"), (status = 422, description = "The new password is weak"),
              (status = 429, description = "Too many tries for this account (5 at once, then one a minute); see Retry-After")), security(("session" = [])))]
pub async fn change_own_password(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: Client,
    ApiJson(body): ApiJson<OwnPasswordBody>,
) -> Result<StatusCode, ApiError> {
    let Some(staff) = actor.staff().filter(|s| !s.id.starts_with("token:")) else {
        return Err(ApiError::Forbidden(Text::new(
            "只有登录的工作人员可以修改自己的密码",
            "Only a logged-in person can change their own password",
        )));
    };
    if let Err(wait) = state.limits.password.check(staff.id.clone()) {
        return Err(ApiError::TooManyRequests {
            retry_after: wait.as_secs() + 1,
            detail: Text::new("修改密码尝试过于频繁，请稍后再试", "Too many password changes tried; try again later"),
        });
    }
    match state
        .engine
        .change_own_password(&staff.id, &body.current, &body.new, &Requester::new(&actor, client.0))
        .await?
    {
        OwnPassword::Changed => {}
        OwnPassword::NoAccount => return Err(ApiError::Unauthorized),
        OwnPassword::WrongCurrent => {
            return Err(ApiError::Unauthenticated(Text::new("当前密码不正确", "The current password is wrong")));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
