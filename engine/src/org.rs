//! The organisation tree and the people in it: create, rename, move and retire org units;
//! create accounts, grant and revoke roles, reset passwords. The HTTP API, the admin pages
//! and the `baida org` / `baida user` commands all go through here, so the rules (what may
//! sit under what, which role at which kind of unit, the password rule) hold everywhere.
//!
//! Who may do these things is decided by the caller (`auth`); this module checks that what
//! is asked makes sense.

use baida_blocks::{Problem, Text};
use baida_core::kinds::UnitKind;
use chrono::{DateTime, Utc};

use crate::auth::{OrgTree, Role, is_within, password};
use baida_store::{self as store, Grant, NewUser, OrgUnit, Store, User};

/// Why an org or people operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("{}", .0.message.en())]
    Invalid(Box<Problem>),
    #[error("{}", .0.en())]
    NotFound(Text),
    #[error("{}", .0.en())]
    Conflict(Text),
    #[error(transparent)]
    Store(#[from] store::Error),
}

fn invalid(pointer: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> OrgError {
    OrgError::Invalid(Box::new(Problem::new(pointer, code, Text::new(zh, en))))
}

/// The kind a person or a command line typed, or a clear error naming the kinds there are.
pub fn parse_kind(kind: &str) -> Result<UnitKind, OrgError> {
    kind.parse().map_err(|_| {
        invalid(
            "/kind",
            "bad_kind",
            format!("没有“{kind}”这种机构类型；可用 district、street、community、grid、department"),
            format!("There is no unit kind “{kind}”; use district, street, community, grid or department"),
        )
    })
}

/// A unit id: 2–64 lower-case letters, digits and hyphens.
pub fn check_id(pointer: &str, id: &str) -> Result<(), OrgError> {
    let ok = (2..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            pointer,
            "bad_id",
            format!("编号“{id}”无效：请用 2–64 个小写字母、数字或连字符"),
            format!("The id “{id}” is not valid: use 2–64 lower-case letters, digits or hyphens"),
        ))
    }
}

fn check_names(zh: &str, en: &str) -> Result<(), OrgError> {
    if zh.trim().is_empty() || zh.chars().count() > 64 {
        return Err(invalid(
            "/name_zh",
            "bad_name",
            "请填写中文名称（最多 64 字）",
            "Give a Chinese name (at most 64 characters)",
        ));
    }
    if en.trim().is_empty() || en.chars().count() > 128 {
        return Err(invalid(
            "/name_en",
            "bad_name",
            "请填写英文名称（最多 128 字符）",
            "Give an English name (at most 128 characters)",
        ));
    }
    Ok(())
}

/// Checks that a unit of `kind` may sit under `parent`.
fn check_place(tree: &OrgTree, kind: UnitKind, parent: Option<&str>) -> Result<(), OrgError> {
    match (kind.parent(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(invalid(
            "/parent_id",
            "bad_parent",
            "区是最上一级，不能有上级",
            "A district is the top; it has no parent",
        )),
        (Some(w), None) => Err(invalid(
            "/parent_id",
            "bad_parent",
            format!("请指定上级（应为 {w}）"),
            format!("Give a parent (a {w})"),
        )),
        (Some(w), Some(p)) => match tree.get(p) {
            None => Err(OrgError::NotFound(Text::new(format!("没有上级机构“{p}”"), format!("No parent unit “{p}”")))),
            Some(u) if u.retired_at.is_some() => {
                Err(invalid("/parent_id", "retired_parent", "上级机构已撤销", "The parent unit is retired"))
            }
            Some(u) if u.kind != w => Err(invalid(
                "/parent_id",
                "bad_parent",
                format!("{kind} 的上级应为 {w}，“{p}”是 {}", u.kind),
                format!("A {kind} sits under a {w}; “{p}” is a {}", u.kind),
            )),
            Some(_) => Ok(()),
        },
    }
}

/// Creates a unit.
pub async fn create_unit(store: &dyn Store, tree: &OrgTree, unit: OrgUnit) -> Result<OrgUnit, OrgError> {
    check_id("/id", &unit.id)?;
    check_names(&unit.name_zh, &unit.name_en)?;
    check_place(tree, unit.kind, unit.parent_id.as_deref())?;
    if tree.contains_key(&unit.id) {
        return Err(OrgError::Conflict(Text::new(
            format!("编号“{}”已被使用", unit.id),
            format!("The id “{}” is taken", unit.id),
        )));
    }
    let unit = OrgUnit { retired_at: None, ..unit };
    store.put_org_unit(&unit).await?;
    Ok(unit)
}

fn existing<'a>(tree: &'a OrgTree, id: &str) -> Result<&'a OrgUnit, OrgError> {
    tree.get(id).ok_or_else(|| OrgError::NotFound(Text::new(format!("没有机构“{id}”"), format!("No org unit “{id}”"))))
}

/// Renames a unit.
pub async fn rename_unit(store: &dyn Store, tree: &OrgTree, id: &str, zh: &str, en: &str) -> Result<OrgUnit, OrgError> {
    check_names(zh, en)?;
    let unit = OrgUnit { name_zh: zh.trim().into(), name_en: en.trim().into(), ..existing(tree, id)?.clone() };
    store.put_org_unit(&unit).await?;
    Ok(unit)
}

/// Moves a unit (and everything below it) under another parent of the right kind.
pub async fn move_unit(store: &dyn Store, tree: &OrgTree, id: &str, parent: &str) -> Result<OrgUnit, OrgError> {
    let unit = existing(tree, id)?.clone();
    if is_within(tree, parent, id) {
        return Err(invalid("/parent_id", "cycle", "不能移到自己的下级之下", "A unit cannot move under itself"));
    }
    check_place(tree, unit.kind, Some(parent))?;
    let unit = OrgUnit { parent_id: Some(parent.into()), ..unit };
    store.put_org_unit(&unit).await?;
    Ok(unit)
}

/// Retires a unit: it keeps its history but takes no new cases. Refused while a unit below
/// it is still active.
pub async fn retire_unit(store: &dyn Store, tree: &OrgTree, id: &str, at: DateTime<Utc>) -> Result<OrgUnit, OrgError> {
    let unit = existing(tree, id)?.clone();
    if let Some(child) = tree.values().find(|u| u.parent_id.as_deref() == Some(id) && u.retired_at.is_none()) {
        return Err(OrgError::Conflict(Text::new(
            format!("“{}”下还有未撤销的“{}”，请先撤销或移走", unit.name_zh, child.name_zh),
            format!("“{}” still has “{}” below it; retire or move that first", unit.name_en, child.name_en),
        )));
    }
    let unit = OrgUnit { retired_at: Some(unit.retired_at.unwrap_or(at)), ..unit };
    store.put_org_unit(&unit).await?;
    Ok(unit)
}

/// A new staff account, as asked.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub phone: Option<String>,
    pub name: String,
    pub unit_id: String,
    pub password: String,
}

/// Creates an account (the password must pass the strength rule).
pub async fn create_account(
    store: &dyn Store,
    tree: &OrgTree,
    new: NewAccount,
    at: DateTime<Utc>,
) -> Result<User, OrgError> {
    let username = new.username.trim().to_string();
    let ok_name = (2..=32).contains(&username.chars().count())
        && username.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '_' || c == '-');
    if !ok_name {
        return Err(invalid(
            "/username",
            "bad_username",
            "用户名应为 2–32 个字母、数字、点、下划线或连字符",
            "A username has 2–32 letters, digits, dots, underscores or hyphens",
        ));
    }
    let phone = new
        .phone
        .map(|p| baida_blocks::formats::normalize_phone(&p).unwrap_or_else(|| p.trim().to_string()))
        .filter(|p| !p.is_empty());
    if let Some(p) = &phone
        && !baida_blocks::formats::is_mobile_phone(p)
    {
        return Err(invalid(
            "/phone",
            "bad_phone",
            "手机号应为 11 位、以 1 开头",
            "A mobile number has 11 digits and starts with 1",
        ));
    }
    if new.name.trim().is_empty() || new.name.chars().count() > 64 {
        return Err(invalid("/name", "bad_name", "请填写姓名（最多 64 字）", "Give a name (at most 64 characters)"));
    }
    // People log in with their username or their phone number: neither may be another
    // account's other one, or the log-in would reach the wrong account.
    if baida_blocks::formats::is_mobile_phone(&username) {
        return Err(invalid(
            "/username",
            "username_is_phone",
            "用户名不能是手机号（手机号请填在“手机号”一栏，也可用它登录）",
            "A username may not be a mobile number (put it in the phone field; it logs in too)",
        ));
    }
    for login in std::iter::once(&username).chain(phone.as_ref()) {
        if store.login_taken(login, None).await? {
            return Err(OrgError::Conflict(login_taken_message(login)));
        }
    }
    existing(tree, &new.unit_id)?;
    password::check_strength(&new.password, &username, phone.as_deref())
        .map_err(|why| OrgError::Invalid(Box::new(Problem::new("/password", "weak_password", why))))?;
    let hash = password::hash_off_thread(&new.password).await;
    let user = store
        .create_user(&NewUser {
            id: uuid::Uuid::now_v7().to_string(),
            username,
            phone,
            name: new.name.trim().to_string(),
            unit_id: new.unit_id,
            password_hash: hash,
            at,
        })
        .await
        .map_err(|e| match e {
            store::Error::Conflict(m) => OrgError::Conflict(Text::new("用户名或手机号已被使用", m)),
            other => other.into(),
        })?;
    Ok(user)
}

/// The conflict when `login` is already some account's username or phone number.
pub fn login_taken_message(login: &str) -> Text {
    Text::new(
        format!("“{login}”已是另一个账号的用户名或手机号，不能再用"),
        format!("“{login}” is already another account's username or phone number"),
    )
}

/// Grants `role` at `unit` (a unit of a kind the role is granted at).
pub async fn grant(
    store: &dyn Store,
    tree: &OrgTree,
    user_id: &str,
    role: Role,
    unit: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Grant, OrgError> {
    let u = existing(tree, unit)?;
    if !role.granted_at().contains(&u.kind) {
        let kinds = |sep: &str| role.granted_at().iter().map(|k| k.as_str()).collect::<Vec<_>>().join(sep);
        return Err(invalid(
            "/unit_id",
            "bad_grant",
            format!("{}只能授予在 {} 上，“{unit}”是 {}", role.name().zh(), kinds("、"), u.kind),
            format!("{} is granted at a {}; “{unit}” is a {}", role.name().en(), kinds(" or "), u.kind),
        ));
    }
    if store.user(user_id).await?.is_none() {
        return Err(OrgError::NotFound(Text::new("没有这个账号", "No such account")));
    }
    let g = Grant {
        user_id: user_id.into(),
        role: role.as_str().into(),
        unit_id: unit.into(),
        granted_at: at,
        granted_by: by.into(),
    };
    store.grant(&g).await?;
    Ok(g)
}

/// Sets a new password (strength rule applies); every session of the account ends.
pub async fn set_password(store: &dyn Store, user: &User, new: &str, at: DateTime<Utc>) -> Result<(), OrgError> {
    password::check_strength(new, &user.username, user.phone.as_deref())
        .map_err(|why| OrgError::Invalid(Box::new(Problem::new("/password", "weak_password", why))))?;
    let hash = password::hash_off_thread(new).await;
    store.set_password(&user.id, &hash, at).await?;
    Ok(())
}

/// The tree's changes as the API and the admin pages ask for them; the cached tree is dropped
/// after each, so the next request sees it.
impl crate::Engine {
    /// Creates a unit ([`create_unit`]).
    pub async fn create_unit(&self, tree: &OrgTree, unit: OrgUnit) -> Result<OrgUnit, OrgError> {
        let unit = create_unit(self.store.as_ref(), tree, unit).await?;
        self.org_tree_changed().await;
        Ok(unit)
    }

    /// Renames a unit (`names`: Chinese, English) and moves it under `parent`, either or both;
    /// everything is checked before anything is written, so a refused change changes nothing.
    pub async fn change_unit(
        &self,
        tree: &OrgTree,
        id: &str,
        names: Option<(&str, &str)>,
        parent: Option<&str>,
    ) -> Result<OrgUnit, OrgError> {
        let mut out = existing(tree, id)?.clone();
        if let Some((zh, en)) = names {
            check_names(zh, en)?;
        }
        if let Some(parent) = parent {
            out = move_unit(self.store.as_ref(), tree, id, parent).await?;
        }
        if let Some((zh, en)) = names {
            let mut moved = tree.clone();
            moved.insert(id.to_string(), out.clone());
            out = rename_unit(self.store.as_ref(), &moved, id, zh, en).await?;
        }
        self.org_tree_changed().await;
        Ok(out)
    }

    /// Retires a unit ([`retire_unit`]).
    pub async fn retire_unit(&self, tree: &OrgTree, id: &str) -> Result<OrgUnit, OrgError> {
        let unit = retire_unit(self.store.as_ref(), tree, id, self.clock.now()).await?;
        self.org_tree_changed().await;
        Ok(unit)
    }
}
