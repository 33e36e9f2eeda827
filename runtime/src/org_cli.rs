//! `baida org …` and `baida user …`: the organisation tree and staff accounts from a terminal,
//! against the same database the server uses.
//!
//! Nothing here decides what is allowed: every change goes through [`baida_engine::org`] (what may sit
//! under what, which role at which kind of unit, the password rule) and the store, exactly as the
//! API does. This module turns the commands into those calls, prints one line for what was done,
//! or both languages of what was refused, naming the command-line field and the fix (exit code 1,
//! nothing changed). Changes to accounts are recorded as security events by actor `cli`.
//!
//! Passwords are never flags: they come from `BAIDA_NEW_PASSWORD` or the first line of stdin.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use baida_blocks::{Problem, Text};
use chrono::{DateTime, Utc};

use crate::cli::{OrgCommand, UserCommand};
use baida_engine::auth::session::event;
use baida_engine::auth::{OrgTree, Role, subtree};
use baida_engine::org::{self, NewAccount, OrgError};
use baida_store::{OrgUnit, Store, User};

/// The environment variable a new password is read from (else the first line of stdin).
pub const PASSWORD_VAR: &str = "BAIDA_NEW_PASSWORD";

/// Who the security events of these commands name as actor, and as client.
const ACTOR: &str = "cli";

/// Runs `baida org …`.
pub async fn org(store: &dyn Store, command: OrgCommand) -> anyhow::Result<ExitCode> {
    let tree = tree(store).await?;
    let now = Utc::now();
    let done = match command {
        OrgCommand::List => {
            print!("{}", render_tree(&tree));
            return Ok(ExitCode::SUCCESS);
        }
        OrgCommand::Add { id, kind, parent, zh, en } => {
            let created = match org::parse_kind(&kind) {
                Ok(kind) => {
                    let unit = OrgUnit { id, kind, parent_id: parent, name_zh: zh, name_en: en, retired_at: None };
                    org::create_unit(store, &tree, unit).await
                }
                Err(e) => Err(e),
            };
            created.map(|u| {
                let under = u.parent_id.as_deref().map(|p| format!(" under {p}")).unwrap_or_default();
                format!("added {} {} ({} / {}){under}", u.kind, u.id, u.name_zh, u.name_en)
            })
        }
        OrgCommand::Rename { id, zh, en } => org::rename_unit(store, &tree, &id, &zh, &en)
            .await
            .map(|u| format!("renamed {} to {} / {}", u.id, u.name_zh, u.name_en)),
        OrgCommand::Move { id, parent } => org::move_unit(store, &tree, &id, &parent)
            .await
            .map(|u| format!("moved {} {} under {parent}", u.kind, u.id)),
        OrgCommand::Retire { id } => match tree.get(&id).and_then(|u| u.retired_at.map(|at| (u, at))) {
            Some((u, at)) => Ok(format!("{} was already retired on {}; nothing changed", u.id, at.format("%Y-%m-%d"))),
            None => org::retire_unit(store, &tree, &id, now)
                .await
                .map(|u| format!("retired {} {} ({} / {})", u.kind, u.id, u.name_zh, u.name_en)),
        },
    };
    finish(done)
}

/// Runs `baida user …`.
pub async fn user(store: &dyn Store, command: UserCommand) -> anyhow::Result<ExitCode> {
    let tree = tree(store).await?;
    let now = Utc::now();
    let done = match command {
        UserCommand::List { unit } => return list_users(store, &tree, unit.as_deref(), now).await,
        UserCommand::Add { username, name, unit, phone } => {
            let Some(password) = read_password() else { return finish(Err(no_password())) };
            let new = NewAccount { username, phone, name, unit_id: unit, password };
            match org::create_account(store, &tree, new, now).await {
                Ok(u) => {
                    let detail = serde_json::json!({"username": u.username});
                    record(store, "user.created", &u, detail, now).await?;
                    Ok(format!("added account {} ({}) at {}", u.username, u.name, u.unit_id))
                }
                Err(e) => Err(e),
            }
        }
        UserCommand::Grant { username, role: name, unit } => {
            match (account(store, &username).await?, Role::parse(&name)) {
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(no_role(&name)),
                (Ok(u), Some(role)) => match org::grant(store, &tree, &u.id, role, &unit, ACTOR, now).await {
                    Ok(g) => {
                        let detail = serde_json::json!({"role": g.role, "unit_id": g.unit_id});
                        record(store, "role.granted", &u, detail, now).await?;
                        Ok(format!("granted {} ({}) at {} to {}", g.role, role.name().zh(), g.unit_id, u.username))
                    }
                    Err(e) => Err(e),
                },
            }
        }
        UserCommand::Revoke { username, role: name, unit } => {
            match (account(store, &username).await?, Role::parse(&name)) {
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(no_role(&name)),
                (Ok(u), Some(role)) => {
                    if store.revoke(&u.id, role.as_str(), &unit).await? {
                        let detail = serde_json::json!({"role": role.as_str(), "unit_id": unit});
                        record(store, "role.revoked", &u, detail, now).await?;
                        Ok(format!("revoked {} at {unit} from {}", role.as_str(), u.username))
                    } else {
                        Err(no_grant(&u, role, &unit))
                    }
                }
            }
        }
        UserCommand::ResetPassword { username } => match account(store, &username).await? {
            Err(e) => Err(e),
            Ok(u) => match read_password() {
                None => Err(no_password()),
                Some(password) => match org::set_password(store, &u, &password, now).await {
                    Ok(()) => {
                        record(store, "password.reset", &u, serde_json::json!({}), now).await?;
                        Ok(format!("set a new password for {}; every session of the account has ended", u.username))
                    }
                    Err(e) => Err(e),
                },
            },
        },
        UserCommand::Disable { username } => match account(store, &username).await? {
            Err(e) => Err(e),
            Ok(u) if u.disabled_at.is_some() => Ok(format!("{} was already disabled; nothing changed", u.username)),
            Ok(mut u) => {
                u.disabled_at = Some(now);
                u.updated_at = now;
                store.update_user(&u).await?;
                record(store, "user.disabled", &u, serde_json::json!({}), now).await?;
                Ok(format!("disabled {}; every session of the account has ended", u.username))
            }
        },
        UserCommand::Enable { username } => match account(store, &username).await? {
            Err(e) => Err(e),
            Ok(u) if u.disabled_at.is_none() => Ok(format!("{} was not disabled; nothing changed", u.username)),
            Ok(mut u) => {
                u.disabled_at = None;
                u.updated_at = now;
                store.update_user(&u).await?;
                record(store, "user.enabled", &u, serde_json::json!({}), now).await?;
                Ok(format!("enabled {}", u.username))
            }
        },
        UserCommand::Unlock { username } => match account(store, &username).await? {
            Err(e) => Err(e),
            Ok(u) if u.locked_until.is_none() && u.failed_logins == 0 => {
                Ok(format!("{} was not locked; nothing changed", u.username))
            }
            Ok(mut u) => {
                u.locked_until = None;
                u.failed_logins = 0;
                u.updated_at = now;
                store.update_user(&u).await?;
                record(store, "user.unlocked", &u, serde_json::json!({}), now).await?;
                Ok(format!("unlocked {}", u.username))
            }
        },
    };
    finish(done)
}

async fn tree(store: &dyn Store) -> anyhow::Result<OrgTree> {
    Ok(store.org_units().await?.into_iter().map(|u| (u.id.clone(), u)).collect())
}

/// Prints what was done, or what was refused (both languages) and exits 1.
fn finish(done: Result<String, OrgError>) -> anyhow::Result<ExitCode> {
    match done {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(OrgError::Store(e)) => Err(e.into()),
        Err(e) => {
            eprint!("{}", explain(&e));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A refusal for the terminal: the command-line field it is about, then the message in zh-CN
/// and in English (each says how to fix it).
pub fn explain(e: &OrgError) -> String {
    let (field, text, hint): (Option<String>, &Text, Option<&Text>) = match e {
        OrgError::Invalid(p) => (Some(field_of(&p.pointer)), &p.message, p.hint.as_ref()),
        OrgError::NotFound(t) | OrgError::Conflict(t) => (None, t, None),
        OrgError::Store(e) => return format!("错误：{e}\nerror: {e}\n"),
    };
    let (zh_at, en_at) = field.map(|f| (format!("{f}："), format!("{f}: "))).unwrap_or_default();
    let mut out = format!("错误：{zh_at}{}\nerror: {en_at}{}\n", text.zh(), text.en());
    if let Some(h) = hint {
        out.push_str(&format!("提示：{}\nhint: {}\n", h.zh(), h.en()));
    }
    out
}

/// The command-line name of the field a [`Problem`] points at.
fn field_of(pointer: &str) -> String {
    match pointer {
        "/id" => "ID".into(),
        "/kind" => "--kind".into(),
        "/parent_id" => "--parent".into(),
        "/name_zh" => "--zh".into(),
        "/name_en" => "--en".into(),
        "/username" => "USERNAME".into(),
        "/name" => "--name".into(),
        "/phone" => "--phone".into(),
        "/unit_id" => "UNIT".into(),
        "/role" => "ROLE".into(),
        "/password" => format!("password ({PASSWORD_VAR} or stdin)"),
        other => other.into(),
    }
}

/// The account whose username (or phone number) is `login`.
async fn account(store: &dyn Store, login: &str) -> anyhow::Result<Result<User, OrgError>> {
    Ok(match store.credentials(login.trim()).await? {
        Some(c) => Ok(c.user),
        None => Err(OrgError::NotFound(Text::new(
            format!("没有用户名或手机号为“{login}”的账号；用 `baida user list` 查看"),
            format!("No account with the username or phone “{login}”; see `baida user list`"),
        ))),
    })
}

/// Why `role` is not a role: the roles there are.
fn no_role(role: &str) -> OrgError {
    let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    OrgError::Invalid(Box::new(Problem::new(
        "/role",
        "bad_role",
        Text::new(
            format!("没有“{role}”这个角色；可用 {}", all.join("、")),
            format!("There is no role “{role}”; use {}", all.join(", ")),
        ),
    )))
}

fn no_grant(user: &User, role: Role, unit: &str) -> OrgError {
    OrgError::NotFound(Text::new(
        format!("{} 在“{unit}”没有 {} 角色；用 `baida user list` 查看其角色", user.username, role.as_str()),
        format!("{} does not hold {} at “{unit}”; see `baida user list` for their roles", user.username, role.as_str()),
    ))
}

async fn record(
    store: &dyn Store,
    kind: &str,
    user: &User,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut e = event(kind, ACTOR, Some(&user.unit_id), Some(&user.id), ACTOR, now);
    e.detail = detail;
    store.record_security_event(&e).await?;
    Ok(())
}

/// A new password from `BAIDA_NEW_PASSWORD`, else the first line of stdin (without its line
/// ending); `None` when neither gives one. Typed at a terminal it is echoed, so piping it in or
/// the variable is better.
fn read_password() -> Option<String> {
    if let Ok(p) = std::env::var(PASSWORD_VAR)
        && !p.is_empty()
    {
        return Some(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("新密码 / new password (shown as typed; {PASSWORD_VAR} or a pipe avoids that): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if read.is_ok() && !password.is_empty() { Some(password) } else { None }
}

fn no_password() -> OrgError {
    OrgError::Invalid(Box::new(Problem::new(
        "/password",
        "no_password",
        Text::new(
            format!("没有给出密码：设置环境变量 {PASSWORD_VAR}，或在标准输入的第一行给出"),
            format!("No password given: set {PASSWORD_VAR}, or give it as the first line of standard input"),
        ),
    )))
}

/// The tree, one unit a line, children indented two spaces under their parent, by id.
pub fn render_tree(tree: &OrgTree) -> String {
    if tree.is_empty() {
        return "no org units yet; add the district with `baida org add ID --kind district --zh NAME --en NAME`\n"
            .into();
    }
    let mut out = String::new();
    let mut seen = HashSet::new();
    // Roots: no parent, or a parent that is not in the tree.
    let mut roots: Vec<&OrgUnit> =
        tree.values().filter(|u| u.parent_id.as_deref().is_none_or(|p| !tree.contains_key(p))).collect();
    roots.sort_by(|a, b| a.id.cmp(&b.id));
    for root in roots {
        render_unit(tree, root, 0, &mut seen, &mut out);
    }
    // Whatever a cycle kept out of reach of a root is still shown, at the top.
    let mut rest: Vec<&OrgUnit> = tree.values().filter(|u| !seen.contains(u.id.as_str())).collect();
    rest.sort_by(|a, b| a.id.cmp(&b.id));
    for unit in rest {
        render_unit(tree, unit, 0, &mut seen, &mut out);
    }
    out
}

fn render_unit<'a>(tree: &'a OrgTree, unit: &'a OrgUnit, depth: usize, seen: &mut HashSet<&'a str>, out: &mut String) {
    if !seen.insert(unit.id.as_str()) {
        return;
    }
    let retired = if unit.retired_at.is_some() { "  (retired)" } else { "" };
    out.push_str(&format!(
        "{}{}  {}  {}  {}{retired}\n",
        "  ".repeat(depth),
        unit.id,
        unit.kind,
        unit.name_zh,
        unit.name_en
    ));
    let mut children: Vec<&OrgUnit> =
        tree.values().filter(|u| u.parent_id.as_deref() == Some(unit.id.as_str())).collect();
    children.sort_by(|a, b| a.id.cmp(&b.id));
    for child in children {
        render_unit(tree, child, depth + 1, seen, out);
    }
}

/// `baida user list [--unit UNIT]`: one account a line with its state and roles.
async fn list_users(
    store: &dyn Store,
    tree: &OrgTree,
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let units = match unit {
        Some(u) if !tree.contains_key(u) => {
            return finish(Err(OrgError::NotFound(Text::new(
                format!("没有机构“{u}”；用 `baida org list` 查看"),
                format!("No org unit “{u}”; see `baida org list`"),
            ))));
        }
        Some(u) => subtree(tree, u),
        None => tree.keys().cloned().collect(),
    };
    let users = store.users_in(&units).await?;
    if users.is_empty() {
        println!("no accounts");
        return Ok(ExitCode::SUCCESS);
    }
    for u in users {
        let grants = store.grants(&u.id).await?;
        let roles = if grants.is_empty() {
            "(none)".to_string()
        } else {
            grants.iter().map(|g| format!("{}@{}", g.role, g.unit_id)).collect::<Vec<_>>().join(", ")
        };
        let mut state = String::new();
        if u.disabled_at.is_some() {
            state.push_str("  (disabled)");
        }
        if u.locked_until.is_some_and(|t| t > now) {
            state.push_str("  (locked)");
        }
        let phone = u.phone.as_deref().unwrap_or("-");
        println!("{}  {}  unit {}  phone {phone}  roles: {roles}{state}", u.username, u.name, u.unit_id);
    }
    Ok(ExitCode::SUCCESS)
}
