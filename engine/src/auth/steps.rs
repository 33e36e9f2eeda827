//! Who may act on a case: complete or return its current step (by the step's `who` roles, or
//! the unit holding the case), and administer it (re-dispatch, suspend, resume, close,
//! reopen).

use baida_blocks::{BlockConfig, CompiledApp, Text};
use baida_core::kinds::{CaseStatus, UnitKind};

use super::{Actor, OrgTree, Permission, Role};
use baida_store::Case;

/// What is being done, as far as permission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Complete the current step; `level` is the review level (0-based) being approved.
    Complete {
        level: usize,
    },
    Return,
    Administer,
    /// Cast a ballot in the current vote.
    Vote,
}

/// Who may vote: when `who` names `resident`, a logged-in resident whom the community's staff
/// confirmed as an owner in the case's community (the owners' register, `store::homes`);
/// staff holding a role `who` names at the case's unit; and the root token.
fn may_vote(
    actor: &Actor,
    block: Option<&BlockConfig>,
    who: &[String],
    case: &Case,
    tree: &OrgTree,
) -> Result<(), Text> {
    if !matches!(block, Some(BlockConfig::Vote(_))) || case.status != CaseStatus::Open {
        return Err(Text::new("案件当前没有进行中的投票", "The case has no vote open now"));
    }
    let unit = Actor::case_unit(case);
    let ok = match actor {
        Actor::Root => true,
        Actor::Resident { home, .. } => {
            if !who.iter().any(|w| w == "resident") {
                false
            } else if home.as_ref().is_some_and(|h| h.owner_in(&case.community_id)) {
                true
            } else {
                return Err(Text::new(
                    "只有经社区确认的本社区业主可以投票：请在“我的住址”登记，并请社区确认",
                    "Only owners confirmed by the community may vote: register your home under “My home” and ask the community to confirm it",
                ));
            }
        }
        Actor::Staff(_) => who.iter().filter_map(|w| Role::parse(w)).any(|r| actor.holds(r, unit, tree)),
        Actor::Anonymous | Actor::Reporter => false,
    };
    if ok { Ok(()) } else { Err(Text::new("你没有这次投票的投票权", "You have no vote in this vote")) }
}

/// Who may comment on a case open for comments: a resident who registered their home in the
/// case's community, staff who may read the case, and the root token.
pub fn may_comment(actor: &Actor, case: &Case, tree: &OrgTree) -> Result<(), Text> {
    let ok = match actor {
        Actor::Root => true,
        Actor::Resident { home, .. } => home.as_ref().is_some_and(|h| h.community_id == case.community_id),
        Actor::Staff(_) => actor.can_read_case(case, tree),
        Actor::Anonymous | Actor::Reporter => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Text::new(
            "只有登记了本社区住址的居民可以评论：请先在“我的住址”登记",
            "Only residents who registered a home in this community may comment: register it under “My home” first",
        ))
    }
}

fn refuse() -> Text {
    Text::new("你没有办理这个步骤的权限", "You may not act on this step")
}

/// `Ok` when the actor may do `act` on `case`, else why not.
pub fn may_act(actor: &Actor, app: &CompiledApp, case: &Case, act: Act, tree: &OrgTree) -> Result<(), Text> {
    let step = case.current_step.as_deref().and_then(|s| app.app.step(s));
    let who: Vec<String> = step
        .map(|s| match &s.block {
            BlockConfig::Form(c) => c.who.clone(),
            BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => c.who.clone(),
            BlockConfig::Review(c) => c.who.clone(),
            BlockConfig::Vote(c) => c.who.clone(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let residents_step = who.iter().any(|w| w == "reporter" || w == "public");
    if act == Act::Vote {
        return may_vote(actor, step.map(|s| &s.block), &who, case, tree);
    }
    match actor {
        Actor::Root => Ok(()),
        Actor::Anonymous => Err(refuse()),
        Actor::Reporter => {
            if matches!(act, Act::Complete { .. }) && residents_step {
                Ok(())
            } else {
                Err(refuse())
            }
        }
        Actor::Resident { id, .. } => {
            let own = case.resident_id.as_deref() == Some(id);
            if own && matches!(act, Act::Complete { .. }) && residents_step { Ok(()) } else { Err(refuse()) }
        }
        Actor::Staff(_) => {
            let unit = Actor::case_unit(case);
            if act == Act::Administer {
                return if actor.can(Permission::CasesAdminister, unit, tree) {
                    Ok(())
                } else {
                    Err(Text::new(
                        "只有管理员可以改派、挂起、办结或重新打开案件",
                        "Only admins may re-dispatch, suspend, close or reopen a case",
                    ))
                };
            }
            let roles: Vec<Role> = who.iter().filter_map(|w| Role::parse(w)).collect();
            if roles.is_empty() {
                if residents_step {
                    return Err(Text::new("这一步由居民本人填写", "This step is for the resident to fill in"));
                }
                // A step held by a unit: whoever may act there (a department's handlers, or
                // the grid and community staff when the case is held there).
                let holder = case.assignee.as_deref().unwrap_or(unit);
                let holder_is_department = tree.get(holder).is_some_and(|u| u.kind == UnitKind::Department);
                let ok = if holder_is_department {
                    actor.holds(Role::DepartmentHandler, holder, tree)
                        || (actor.staff().is_some_and(|s| s.id.starts_with("token:"))
                            && actor.can(Permission::CasesAct, holder, tree))
                } else {
                    actor.can(Permission::CasesAct, holder, tree)
                };
                return if ok { Ok(()) } else { Err(refuse()) };
            }
            // A multi-level review asks each level's role in turn.
            let levels = match step.map(|s| &s.block) {
                Some(BlockConfig::Review(c)) => c.levels as usize,
                _ => 1,
            };
            let wanted: Vec<Role> = match act {
                Act::Complete { level } if levels > 1 && roles.len() == levels => vec![roles[level.min(levels - 1)]],
                _ => roles,
            };
            let ok = actor.has(Permission::CasesAct)
                && wanted.iter().any(|r| {
                    actor.holds(*r, unit, tree) || case.assignee.as_deref().is_some_and(|a| actor.holds(*r, a, tree))
                });
            if ok {
                Ok(())
            } else {
                let names: Vec<String> = wanted.iter().map(|r| r.name().zh().to_string()).collect();
                let names_en: Vec<String> = wanted.iter().map(|r| r.name().en().to_string()).collect();
                Err(Text::new(
                    format!("这一步需要由{}办理", names.join("或")),
                    format!("This step is for: {}", names_en.join(" or ")),
                ))
            }
        }
    }
}
