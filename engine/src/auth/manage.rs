//! Who may grant which role, and who may change whose account.
//!
//! One rule for both: an account may be changed (password reset, disabled or enabled,
//! unlocked, renamed, its phone changed, roles granted or revoked) only by someone who
//! manages its home unit *and* could have granted every role it holds, where it holds it.
//! So nobody takes over an account that reaches further than they do — above them (a
//! district admin whose home unit is a community), beside them (a grant in another
//! community) or with a power they do not have (an app builder, under a community admin) —
//! and nobody changes their own account's roles or state through these routes.
//!
//! Who may grant what ([`Role::may_grant`]): a district admin every role in the district; a
//! street admin street, community admins and grid workers in the street; a community admin
//! community admins and grid workers in the community. `app_builder` and
//! `department_handler` come only from the district.

use super::{Actor, OrgTree, Permission, Role, is_within};
use baida_store::{Grant, User};

impl Actor {
    /// May the actor grant (or revoke) `role` at `unit`? Only through a role whose list
    /// ([`Role::may_grant`]) names it, held at `unit` or above, together with `users.manage`.
    pub fn may_grant(&self, role: Role, unit: &str, tree: &OrgTree) -> bool {
        self.is_root()
            || self.holdings().iter().any(|h| {
                h.role.is_some_and(|r| r.may_grant().contains(&role))
                    && h.permissions.contains(&Permission::UsersManage)
                    && is_within(tree, unit, &h.unit_id)
            })
    }

    /// Is `account` the actor's own?
    pub fn is_account(&self, account: &str) -> bool {
        self.staff().is_some_and(|s| s.id == account)
    }

    /// May the actor change `account`, which holds `grants`? Its home unit must be one the
    /// actor manages, every one of its grants one the actor could make, and it must not be the
    /// actor's own account (one's own password is changed with the current one, elsewhere).
    pub fn may_manage(&self, account: &User, grants: &[Grant], tree: &OrgTree) -> bool {
        if self.is_root() {
            return true;
        }
        !self.is_account(&account.id)
            && self.can(Permission::UsersManage, &account.unit_id, tree)
            && grants.iter().all(|g| Role::parse(&g.role).is_some_and(|r| self.may_grant(r, &g.unit_id, tree)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{staff, tree};
    use super::*;

    fn account(id: &str, unit: &str) -> User {
        let at = chrono::Utc::now();
        User {
            id: id.into(),
            username: id.into(),
            phone: None,
            name: id.into(),
            unit_id: unit.into(),
            failed_logins: 0,
            locked_until: None,
            disabled_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn grant(role: Role, unit: &str) -> Grant {
        Grant {
            user_id: "x".into(),
            role: role.as_str().into(),
            unit_id: unit.into(),
            granted_at: chrono::Utc::now(),
            granted_by: "t".into(),
        }
    }

    #[test]
    fn an_account_reaching_further_than_the_manager_is_not_theirs_to_change() {
        let t = tree();
        let community = staff(Role::CommunityAdmin, "xinzhou");
        let home_here = account("d", "xinzhou");
        assert!(community.may_manage(&home_here, &[], &t), "no roles: theirs");
        assert!(community.may_manage(&home_here, &[grant(Role::GridWorker, "xinzhou-grid-1")], &t));
        for above in [
            grant(Role::DistrictAdmin, "futian"),
            grant(Role::StreetAdmin, "shatou"),
            grant(Role::GridWorker, "tianan-grid-1"),
            grant(Role::AppBuilder, "xinzhou"),
            grant(Role::DepartmentHandler, "housing"),
        ] {
            let grants = [grant(Role::GridWorker, "xinzhou-grid-1"), above.clone()];
            assert!(!community.may_manage(&home_here, &grants, &t), "{} at {}", above.role, above.unit_id);
        }
        assert!(!community.may_manage(&account("t", "tianan"), &[], &t), "another community's account");
        let street = staff(Role::StreetAdmin, "shatou");
        assert!(street.may_manage(&home_here, &[grant(Role::CommunityAdmin, "xinzhou")], &t));
        assert!(!street.may_manage(&home_here, &[grant(Role::AppBuilder, "xinzhou")], &t));
        assert!(staff(Role::DistrictAdmin, "futian").may_manage(&home_here, &[grant(Role::AppBuilder, "xinzhou")], &t));
        assert!(Actor::Root.may_manage(&home_here, &[grant(Role::DistrictAdmin, "futian")], &t));
    }

    #[test]
    fn nobody_changes_their_own_account_here() {
        let t = tree();
        let me = staff(Role::DistrictAdmin, "futian");
        let mine = account("u", "futian");
        assert!(!me.may_manage(&mine, &[grant(Role::DistrictAdmin, "futian")], &t));
    }

    #[test]
    fn app_builders_and_department_handlers_come_only_from_the_district() {
        let t = tree();
        for admin in [staff(Role::CommunityAdmin, "xinzhou"), staff(Role::StreetAdmin, "shatou")] {
            assert!(!admin.may_grant(Role::AppBuilder, "xinzhou", &t));
            assert!(!admin.may_grant(Role::DepartmentHandler, "housing", &t));
            assert!(admin.may_grant(Role::GridWorker, "xinzhou-grid-1", &t));
        }
        assert!(staff(Role::DistrictAdmin, "futian").may_grant(Role::AppBuilder, "xinzhou", &t));
        assert!(!staff(Role::AppBuilder, "xinzhou").may_grant(Role::AppBuilder, "xinzhou", &t));
    }
}
