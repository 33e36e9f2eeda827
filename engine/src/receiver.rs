//! Receivers: the unit a `dispatch` step sends a case to, or whose inbox a `notify` step
//! writes to. A receiver is written as
//!
//! - an org unit: `dept:fire-safety`, `unit:xinzhou`, or the bare id;
//! - a role: `role:grid_worker` — the nearest unit at or above the case's own (its grid, else its
//!   community) of a kind the role is granted at (a grid worker's grid, or the community for a
//!   case filed at the community; a community admin's community; a street admin's street);
//! - the responsibility list: `list:responsibility` (the department for the record's
//!   `category`, else for `*`).
//!
//! At publish, every unit and role a step names must exist and be able to take a case
//! ([`check`]); at run time a receiver that no longer resolves (a unit retired since, moved out
//! of the district) leaves the case waiting for dispatch by hand, with an alert to its
//! community — never stranded at a unit nobody sees.

use baida_blocks::app::App;
use baida_blocks::step::{BlockConfig, Channel};
use baida_blocks::{Problem, Text};
use baida_core::kinds::UnitKind;

use crate::auth::{OrgTree, Role, district_of, is_within};

/// A receiver as written in a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receiver<'a> {
    Unit(&'a str),
    Role(Role),
    Responsibility,
}

/// Why a receiver cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl<'a> Receiver<'a> {
    /// Reads a receiver; a `role:` naming no role is an error.
    pub fn parse(to: &'a str) -> Result<Receiver<'a>, UnknownRole> {
        if to == "list:responsibility" {
            return Ok(Receiver::Responsibility);
        }
        if let Some(role) = to.strip_prefix("role:") {
            return Role::parse(role).map(Receiver::Role).ok_or_else(|| UnknownRole(role.to_string()));
        }
        Ok(Receiver::Unit(to.strip_prefix("dept:").or_else(|| to.strip_prefix("unit:")).unwrap_or(to)))
    }
}

/// The unit at or above `from` where `role` is granted: the first of a kind the role is
/// granted at, walking up the tree.
pub fn unit_for_role(role: Role, from: &str, tree: &OrgTree) -> Option<String> {
    let mut at = tree.get(from);
    for _ in 0..16 {
        let unit = at?;
        if role.granted_at().contains(&unit.kind) {
            return Some(unit.id.clone());
        }
        at = unit.parent_id.as_deref().and_then(|p| tree.get(p));
    }
    None
}

/// May `unit` take a case of `community`? Only an active unit of the case's own district.
pub fn takes_cases_of(unit: &str, community: &str, tree: &OrgTree) -> bool {
    tree.get(unit).is_some_and(|u| u.retired_at.is_none()) && is_within(tree, unit, &district_of(community, tree))
}

/// The units a case of `community` may be dispatched to by hand, in the order to offer them:
/// the community and its grids, then the departments of its district — active ones only.
pub fn units_taking_cases_of<'t>(community: &str, tree: &'t OrgTree) -> Vec<&'t baida_store::OrgUnit> {
    let mut local: Vec<_> = tree
        .values()
        .filter(|u| u.retired_at.is_none())
        .filter(|u| u.id == community || (u.kind == UnitKind::Grid && u.parent_id.as_deref() == Some(community)))
        .collect();
    local.sort_by(|a, b| (a.kind != UnitKind::Community, &a.id).cmp(&(b.kind != UnitKind::Community, &b.id)));
    let district = district_of(community, tree);
    let mut departments: Vec<_> = tree
        .values()
        .filter(|u| u.kind == UnitKind::Department && u.retired_at.is_none() && is_within(tree, &u.id, &district))
        .collect();
    departments.sort_by(|a, b| a.id.cmp(&b.id));
    local.extend(departments);
    local
}

/// The problems with the receivers of `app`'s steps against the org tree it is published in:
/// a unit that does not exist or is retired, a role that does not exist, a role granted only
/// at departments (name the department instead). Record fields (`record.x`) are checked by the
/// definition's own validation.
pub fn check(app: &App, tree: &OrgTree) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, step) in app.steps.iter().enumerate() {
        let named: Vec<(String, &str)> = match &step.block {
            BlockConfig::Dispatch(c) => c
                .rules
                .iter()
                .enumerate()
                .map(|(j, r)| (format!("/steps/{i}/config/rules/{j}/to"), r.to.as_str()))
                .chain(c.otherwise.as_deref().map(|o| (format!("/steps/{i}/config/otherwise"), o)))
                .collect(),
            // A unit's inbox; an SMS, an e-mail or a webhook goes to an address.
            BlockConfig::Notify(c) if c.channel == Channel::Inbox && !c.to.starts_with("record.") => {
                vec![(format!("/steps/{i}/config/to"), c.to.as_str())]
            }
            _ => continue,
        };
        for (pointer, to) in named {
            if let Some(p) = problem(&pointer, to, tree) {
                problems.push(p);
            }
        }
    }
    problems
}

fn problem(pointer: &str, to: &str, tree: &OrgTree) -> Option<Problem> {
    match Receiver::parse(to) {
        Ok(Receiver::Responsibility) => None,
        Err(UnknownRole(role)) => Some(
            Problem::new(
                pointer,
                "unknown_role",
                Text::new(format!("没有角色“{role}”"), format!("There is no role “{role}”")),
            )
            .with_hint(Text::new(
                "可用角色：grid_worker、community_admin、street_admin、district_admin、app_builder",
                "Roles: grid_worker, community_admin, street_admin, district_admin, app_builder",
            )),
        ),
        Ok(Receiver::Role(role)) if role.granted_at() == [UnitKind::Department] => Some(
            Problem::new(
                pointer,
                "department_role",
                Text::new(
                    format!("“role:{}”不能派单：部门不在案件所在社区之上，请写明部门（dept:部门编号）", role.as_str()),
                    format!(
                        "“role:{}” cannot receive: departments are not above a case's community; name the department (dept:<id>)",
                        role.as_str()
                    ),
                ),
            )
            .with_hint(Text::new("例如 dept:urban-management", "For example dept:urban-management")),
        ),
        Ok(Receiver::Role(_)) => None,
        Ok(Receiver::Unit(unit)) => match tree.get(unit) {
            Some(u) if u.retired_at.is_none() => None,
            Some(_) => Some(Problem::new(
                pointer,
                "retired_receiver",
                Text::new(format!("接收单位“{unit}”已撤销"), format!("The receiving unit “{unit}” is retired")),
            )),
            None => Some(
                Problem::new(
                    pointer,
                    "unknown_receiver",
                    Text::new(format!("没有组织机构“{unit}”"), format!("There is no org unit “{unit}”")),
                )
                .with_hint(Text::new(
                    "写部门（dept:编号）、机构编号、角色（role:grid_worker）或 list:responsibility",
                    "Write a department (dept:<id>), a unit id, a role (role:grid_worker) or list:responsibility",
                )),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::tree;

    #[test]
    fn receivers_read_as_written() {
        assert_eq!(Receiver::parse("dept:housing"), Ok(Receiver::Unit("housing")));
        assert_eq!(Receiver::parse("unit:xinzhou"), Ok(Receiver::Unit("xinzhou")));
        assert_eq!(Receiver::parse("xinzhou"), Ok(Receiver::Unit("xinzhou")));
        assert_eq!(Receiver::parse("role:grid_worker"), Ok(Receiver::Role(Role::GridWorker)));
        assert_eq!(Receiver::parse("list:responsibility"), Ok(Receiver::Responsibility));
        assert_eq!(Receiver::parse("role:wizard"), Err(UnknownRole("wizard".into())));
    }

    #[test]
    fn a_role_is_the_nearest_unit_above_where_it_is_granted() {
        let t = tree();
        assert_eq!(unit_for_role(Role::GridWorker, "xinzhou-grid-1", &t).as_deref(), Some("xinzhou-grid-1"));
        assert_eq!(unit_for_role(Role::CommunityAdmin, "xinzhou-grid-1", &t).as_deref(), Some("xinzhou"));
        assert_eq!(unit_for_role(Role::StreetAdmin, "xinzhou-grid-1", &t).as_deref(), Some("shatou"));
        assert_eq!(unit_for_role(Role::DepartmentHandler, "xinzhou-grid-1", &t), None);
        assert_eq!(unit_for_role(Role::GridWorker, "atlantis", &t), None);
    }

    #[test]
    fn a_case_is_dispatched_by_hand_within_its_community_or_to_a_department() {
        let t = tree();
        let ids: Vec<&str> = units_taking_cases_of("xinzhou", &t).iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["xinzhou", "xinzhou-grid-1", "xinzhou-grid-2", "housing", "urban-management"]);
    }
}
