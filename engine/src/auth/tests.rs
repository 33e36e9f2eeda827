//! The role, permission and scope rules of [`super`], on a district as the demo has it.

use super::*;

/// A district as the demo has it, in part: a street with a community and its grid, a
/// second street, and a department.
const UNITS: &[(&str, UnitKind, Option<&str>, &str, &str)] = &[
    ("futian", UnitKind::District, None, "福田区", "Futian District"),
    ("shatou", UnitKind::Street, Some("futian"), "沙头街道", "Shatou Street"),
    ("xiangmihu", UnitKind::Street, Some("futian"), "香蜜湖街道", "Xiangmihu Street"),
    ("xinzhou", UnitKind::Community, Some("shatou"), "新洲社区", "Xinzhou Community"),
    ("tianan", UnitKind::Community, Some("shatou"), "天安社区", "Tian'an Community"),
    ("xiangnan", UnitKind::Community, Some("xiangmihu"), "香南社区", "Xiangnan Community"),
    ("xinzhou-grid-1", UnitKind::Grid, Some("xinzhou"), "新洲第一网格", "Xinzhou Grid 1"),
    ("xinzhou-grid-2", UnitKind::Grid, Some("xinzhou"), "新洲第二网格", "Xinzhou Grid 2"),
    ("urban-management", UnitKind::Department, Some("futian"), "城市管理和综合执法局", "Urban Management Bureau"),
    ("housing", UnitKind::Department, Some("futian"), "住房和建设局", "Housing and Construction Bureau"),
];

pub(crate) fn tree() -> OrgTree {
    UNITS
        .iter()
        .map(|(id, kind, parent, zh, en)| {
            (
                id.to_string(),
                OrgUnit {
                    id: id.to_string(),
                    kind: *kind,
                    parent_id: parent.map(str::to_string),
                    name_zh: zh.to_string(),
                    name_en: en.to_string(),
                    retired_at: None,
                },
            )
        })
        .collect()
}

pub(crate) fn staff(role: Role, unit: &str) -> Actor {
    Actor::Staff(Staff {
        id: "u".into(),
        name: "n".into(),
        unit_id: unit.into(),
        holdings: vec![Holding::role(role, unit)],
    })
}

#[test]
fn roles_hold_below_where_they_are_granted_and_nowhere_else() {
    let t = tree();
    let street = staff(Role::StreetAdmin, "shatou");
    assert!(street.can(Permission::CasesRead, "xinzhou-grid-2", &t));
    assert!(street.can(Permission::CasesRead, "tianan", &t));
    assert!(!street.can(Permission::CasesRead, "xiangnan", &t), "another street");
    assert!(!street.can(Permission::CasesRead, "futian", &t), "above the grant");
    let grid = staff(Role::GridWorker, "xinzhou-grid-1");
    assert!(!grid.can(Permission::CasesRead, "xinzhou-grid-2", &t), "sibling grid");
    assert!(!grid.can(Permission::UsersManage, "xinzhou-grid-1", &t), "not the role's permission");
}

#[test]
fn a_department_reads_the_cases_it_holds() {
    let t = tree();
    let scope = staff(Role::DepartmentHandler, "housing").scope_for(Permission::CasesRead, &t, &[]).unwrap();
    assert_eq!(scope.holders, vec!["housing".to_string()]);
    assert!(scope.units.is_empty());
    assert_eq!(Actor::Root.scope_for(Permission::CasesRead, &t, &[]), None);
}

#[test]
fn an_app_that_names_its_readers_narrows_the_scope_to_where_they_hold_the_role() {
    let t = tree();
    let views = [("ledger".to_string(), vec!["community_admin".to_string()]), ("open".to_string(), vec![])];
    let grid = staff(Role::GridWorker, "xinzhou-grid-1").scope_for(Permission::CasesRead, &t, &views).unwrap();
    assert_eq!(grid.apps.len(), 1, "an app without view roles is not narrowed");
    assert!(grid.apps[0].units.is_empty() && grid.apps[0].holders.is_empty(), "{grid:?}");
    let admin = staff(Role::CommunityAdmin, "xinzhou").scope_for(Permission::CasesRead, &t, &views).unwrap();
    assert!(admin.apps[0].units.contains(&"xinzhou-grid-1".to_string()), "{admin:?}");
}

#[test]
fn admins_grant_only_lesser_roles_within_their_subtree() {
    let t = tree();
    let community = staff(Role::CommunityAdmin, "xinzhou");
    assert!(community.may_grant(Role::GridWorker, "xinzhou-grid-1", &t));
    assert!(!community.may_grant(Role::StreetAdmin, "shatou", &t));
    assert!(!community.may_grant(Role::GridWorker, "tianan", &t));
    assert!(!staff(Role::GridWorker, "xinzhou-grid-1").may_grant(Role::GridWorker, "xinzhou-grid-1", &t));
}
