//! Who is asking, and what they may do: roles granted at org units and inherited below them,
//! the permissions each role carries, API tokens scoped to a unit and permissions, and the
//! scopes that every query is narrowed to.
//!
//! Architecture invariant: authorization is decided here, from an [`Actor`] and the org tree;
//! `runtime::http` turns a request into an [`Actor`] and asks. The tenant of a request comes
//! from its actor, never from its body.
//!
//! Reading order: [`Role`] and [`Permission`], [`Actor`], then [`manage`] (who may grant
//! what and change whose account), [`password`], [`session`], [`limit`] and [`mask`].

pub mod code;
pub mod limit;
pub mod manage;
pub mod mask;
pub mod password;
pub mod session;
pub mod steps;

use baida_core::kinds::UnitKind;
use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use baida_store::{AppScope, Case, CaseScope, OrgUnit};

/// The organisation tree by unit id.
pub type OrgTree = HashMap<String, OrgUnit>;

/// The district `unit` belongs to: its topmost ancestor.
pub fn district_of(unit: &str, tree: &OrgTree) -> String {
    let mut at = unit.to_string();
    for _ in 0..16 {
        match tree.get(&at).and_then(|u| u.parent_id.clone()) {
            Some(parent) if tree.contains_key(&parent) => at = parent,
            _ => break,
        }
    }
    at
}

/// A role, granted to a person at an org unit and holding at every unit below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员: files cases in their grid, sees and works on them.
    GridWorker,
    /// 社区管理员: the community's cases, staff and figures.
    CommunityAdmin,
    /// 街道管理员: the street's communities, units and staff.
    StreetAdmin,
    /// 区管理员: the whole district.
    DistrictAdmin,
    /// 部门办理人: signs and handles the cases dispatched to their department.
    DepartmentHandler,
    /// 应用搭建者: builds and versions apps owned by their unit.
    AppBuilder,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::GridWorker,
        Role::CommunityAdmin,
        Role::StreetAdmin,
        Role::DistrictAdmin,
        Role::DepartmentHandler,
        Role::AppBuilder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::CommunityAdmin => "community_admin",
            Role::StreetAdmin => "street_admin",
            Role::DistrictAdmin => "district_admin",
            Role::DepartmentHandler => "department_handler",
            Role::AppBuilder => "app_builder",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name(self) -> baida_blocks::Text {
        let (zh, en) = match self {
            Role::GridWorker => ("网格员", "Grid worker"),
            Role::CommunityAdmin => ("社区管理员", "Community admin"),
            Role::StreetAdmin => ("街道管理员", "Street admin"),
            Role::DistrictAdmin => ("区管理员", "District admin"),
            Role::DepartmentHandler => ("部门办理人", "Department handler"),
            Role::AppBuilder => ("应用搭建者", "App builder"),
        };
        baida_blocks::Text::new(zh, en)
    }

    /// The kinds of unit this role may be granted at.
    pub fn granted_at(self) -> &'static [UnitKind] {
        use UnitKind::*;
        match self {
            Role::GridWorker => &[Grid, Community],
            Role::CommunityAdmin => &[Community],
            Role::StreetAdmin => &[Street],
            Role::DistrictAdmin => &[District],
            Role::DepartmentHandler => &[Department],
            Role::AppBuilder => &[District, Street, Community],
        }
    }

    /// What the role may do, within the subtree of the unit it is granted at.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::GridWorker => &[CasesRead, CasesAct, CasesSubmit],
            Role::CommunityAdmin => &[
                CasesRead,
                CasesAct,
                CasesSubmit,
                CasesAdminister,
                UsersManage,
                FiguresRead,
                SecurityRead,
                TokensManage,
                LedgerManage,
                CatalogPublish,
            ],
            Role::StreetAdmin => &[
                CasesRead,
                CasesAct,
                CasesAdminister,
                UsersManage,
                OrgManage,
                FiguresRead,
                SecurityRead,
                TokensManage,
                LedgerManage,
            ],
            Role::DistrictAdmin => &Permission::ALL,
            Role::DepartmentHandler => &[CasesRead, CasesAct, FiguresRead],
            Role::AppBuilder => &[AppsBuild, CatalogPublish],
        }
    }

    /// The roles a holder of this role may grant (within their subtree). `app_builder` and
    /// `department_handler` only from the district: building apps (messages, webhooks,
    /// bookings) and handling every community's cases are powers a street or community
    /// admin does not hold, so they cannot hand them out. See [`manage`].
    pub fn may_grant(self) -> &'static [Role] {
        match self {
            Role::DistrictAdmin => &Role::ALL,
            Role::StreetAdmin => &[Role::StreetAdmin, Role::CommunityAdmin, Role::GridWorker],
            Role::CommunityAdmin => &[Role::CommunityAdmin, Role::GridWorker],
            _ => &[],
        }
    }
}

/// Something a request may do. Roles carry sets of these; API tokens carry a chosen subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "cases.read")]
    CasesRead,
    #[serde(rename = "cases.act")]
    CasesAct,
    #[serde(rename = "cases.submit")]
    CasesSubmit,
    /// Re-dispatch, suspend, resume, close and reopen cases.
    #[serde(rename = "cases.administer")]
    CasesAdminister,
    #[serde(rename = "apps.build")]
    AppsBuild,
    #[serde(rename = "org.manage")]
    OrgManage,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "responsibilities.manage")]
    ResponsibilitiesManage,
    #[serde(rename = "figures.read")]
    FiguresRead,
    #[serde(rename = "security.read")]
    SecurityRead,
    #[serde(rename = "tokens.manage")]
    TokensManage,
    /// Import entries into a community's ledger and apply its year-end rule.
    #[serde(rename = "ledger.manage")]
    LedgerManage,
    /// Submit the unit's apps to the district catalog and install published apps into it.
    #[serde(rename = "catalog.publish")]
    CatalogPublish,
    /// Approve or reject catalog submissions (the district).
    #[serde(rename = "catalog.review")]
    CatalogReview,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::CasesRead,
        Permission::CasesAct,
        Permission::CasesSubmit,
        Permission::CasesAdminister,
        Permission::AppsBuild,
        Permission::OrgManage,
        Permission::UsersManage,
        Permission::ResponsibilitiesManage,
        Permission::FiguresRead,
        Permission::SecurityRead,
        Permission::TokensManage,
        Permission::LedgerManage,
        Permission::CatalogPublish,
        Permission::CatalogReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::CasesRead => "cases.read",
            Permission::CasesAct => "cases.act",
            Permission::CasesSubmit => "cases.submit",
            Permission::CasesAdminister => "cases.administer",
            Permission::AppsBuild => "apps.build",
            Permission::OrgManage => "org.manage",
            Permission::UsersManage => "users.manage",
            Permission::ResponsibilitiesManage => "responsibilities.manage",
            Permission::FiguresRead => "figures.read",
            Permission::SecurityRead => "security.read",
            Permission::TokensManage => "tokens.manage",
            Permission::LedgerManage => "ledger.manage",
            Permission::CatalogPublish => "catalog.publish",
            Permission::CatalogReview => "catalog.review",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A role or a token's permissions, held at a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub unit_id: String,
    /// `None` for an API token, which holds permissions but no role.
    pub role: Option<Role>,
    pub permissions: BTreeSet<Permission>,
}

impl Holding {
    pub fn role(role: Role, unit_id: impl Into<String>) -> Holding {
        Holding { unit_id: unit_id.into(), role: Some(role), permissions: role.permissions().iter().copied().collect() }
    }
}

/// Staff behind a request: a logged-in person or an integration's API token.
#[derive(Debug, Clone, PartialEq)]
pub struct Staff {
    /// The user id, or `token:<id>`.
    pub id: String,
    pub name: String,
    /// The unit the account or token belongs to: its tenant.
    pub unit_id: String,
    pub holdings: Vec<Holding>,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// No session, no token.
    Anonymous,
    /// A resident logged in with a code sent to their phone.
    Resident {
        id: String,
        phone: String,
        /// Where they said they live, and whether staff confirmed them as an owner there.
        home: Option<baida_store::Home>,
    },
    /// Whoever holds a case's tracking link (checked by the tracking page): may fill in the
    /// steps that ask the reporter.
    Reporter,
    Staff(Staff),
    /// The operator's bootstrap token (`--admin-token`): everything, everywhere.
    Root,
}

/// Is `unit` the unit `ancestor` or below it?
pub fn is_within(tree: &OrgTree, unit: &str, ancestor: &str) -> bool {
    let mut at = Some(unit);
    for _ in 0..32 {
        let Some(id) = at else { return false };
        if id == ancestor {
            return true;
        }
        at = tree.get(id).and_then(|u| u.parent_id.as_deref());
    }
    false
}

/// `unit` and every unit below it.
pub fn subtree(tree: &OrgTree, unit: &str) -> Vec<String> {
    let mut out: Vec<String> = tree.keys().filter(|id| is_within(tree, id, unit)).cloned().collect();
    out.sort();
    out
}

impl Actor {
    /// A label for events and logs: the user id, `token:<id>`, `resident:<id>`, `admin` or
    /// `public`.
    pub fn label(&self) -> String {
        match self {
            Actor::Anonymous => "public".into(),
            Actor::Resident { id, .. } => format!("resident:{id}"),
            Actor::Reporter => "reporter".into(),
            Actor::Staff(s) => s.id.clone(),
            Actor::Root => "admin".into(),
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Actor::Root)
    }

    pub fn staff(&self) -> Option<&Staff> {
        match self {
            Actor::Staff(s) => Some(s),
            _ => None,
        }
    }

    /// The units and permissions granted to the actor (none for residents and root).
    pub fn holdings(&self) -> &[Holding] {
        match self {
            Actor::Staff(s) => &s.holdings,
            _ => &[],
        }
    }

    /// May the actor do `perm` at `unit`?
    pub fn can(&self, perm: Permission, unit: &str, tree: &OrgTree) -> bool {
        self.is_root()
            || self.holdings().iter().any(|h| h.permissions.contains(&perm) && is_within(tree, unit, &h.unit_id))
    }

    /// May the actor do `perm` anywhere?
    pub fn has(&self, perm: Permission) -> bool {
        self.is_root() || self.holdings().iter().any(|h| h.permissions.contains(&perm))
    }

    /// Every unit where the actor may do `perm`; `None` means everywhere (root).
    pub fn units_with(&self, perm: Permission, tree: &OrgTree) -> Option<Vec<String>> {
        if self.is_root() {
            return None;
        }
        let mut out = BTreeSet::new();
        for h in self.holdings().iter().filter(|h| h.permissions.contains(&perm)) {
            out.extend(subtree(tree, &h.unit_id));
        }
        Some(out.into_iter().collect())
    }

    /// Does the actor hold `role` at `unit` (granted there or above)?
    pub fn holds(&self, role: Role, unit: &str, tree: &OrgTree) -> bool {
        self.holdings().iter().any(|h| h.role == Some(role) && is_within(tree, unit, &h.unit_id))
    }

    /// The cases the actor may do `perm` on (read, count in figures); `None` means all. Apps
    /// whose `access.view` names roles (`views`: app id → roles) are narrowed to the units
    /// where the actor holds one of those roles.
    pub fn scope_for(&self, perm: Permission, tree: &OrgTree, views: &[(String, Vec<String>)]) -> Option<CaseScope> {
        let (units, holders) = split_units(self.units_with(perm, tree)?, tree);
        let apps = views
            .iter()
            .filter(|(_, roles)| !roles.is_empty())
            .map(|(app_id, roles)| {
                let roles: Vec<Role> = roles.iter().filter_map(|r| Role::parse(r)).collect();
                let mut within = BTreeSet::new();
                for h in self.holdings().iter().filter(|h| h.role.is_some_and(|r| roles.contains(&r))) {
                    within.extend(subtree(tree, &h.unit_id));
                }
                let (units, holders) = split_units(within.into_iter().collect(), tree);
                AppScope { app_id: app_id.clone(), units, holders }
            })
            .collect();
        Some(CaseScope { units, holders, apps })
    }

    /// May the actor read this case? (Before an app's `access.view`, which
    /// `http::access::readable_case` applies.)
    pub fn can_read_case(&self, case: &Case, tree: &OrgTree) -> bool {
        match self {
            Actor::Root => true,
            Actor::Resident { id, .. } => case.resident_id.as_deref() == Some(id),
            Actor::Anonymous | Actor::Reporter => false,
            Actor::Staff(_) => {
                self.can(Permission::CasesRead, &case.community_id, tree)
                    || case.grid_id.as_deref().is_some_and(|g| self.can(Permission::CasesRead, g, tree))
                    || case.assignee.as_deref().is_some_and(|a| {
                        tree.get(a).is_some_and(|u| u.kind == UnitKind::Department)
                            && self.can(Permission::CasesRead, a, tree)
                    })
            }
        }
    }

    /// The unit a case belongs to most precisely: its grid, else its community.
    pub fn case_unit(case: &Case) -> &str {
        case.grid_id.as_deref().unwrap_or(&case.community_id)
    }
}

/// Units split into those a case is filed in (communities, grids…) and departments, which hold
/// cases rather than file them.
fn split_units(units: Vec<String>, tree: &OrgTree) -> (Vec<String>, Vec<String>) {
    let (holders, units): (Vec<String>, Vec<String>) =
        units.into_iter().partition(|u| tree.get(u).is_some_and(|u| u.kind == UnitKind::Department));
    (units, holders)
}

#[cfg(test)]
pub(crate) mod tests;
