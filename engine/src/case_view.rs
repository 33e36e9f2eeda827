//! The case as one person at work sees it: its record as they may see it, its event log, its
//! standing at the current step (due, late, review level) and what they may do now. The staff
//! case page puts it into words; the rules it applies are [`crate::access`]'s (what they may
//! see), [`crate::queue`]'s (standing) and [`crate::auth::steps`]'s (who may act).

use baida_blocks::BlockConfig;
use baida_core::kinds::CaseStatus;

use crate::apps::{self, Loaded};
use crate::auth::steps::{Act, may_act};
use crate::auth::{Actor, OrgTree, Permission};
use crate::queue::Standing;
use crate::{Engine, actions};
use baida_store::{Case, Event};

/// A case, read for one actor.
pub struct CaseView {
    /// The case, its record masked as the actor may see it.
    pub case: Case,
    /// The app version the case runs on.
    pub app: Loaded,
    /// The event log, oldest first, masked like the record.
    pub events: Vec<Event>,
    pub standing: Standing,
    pub may: May,
}

/// What the actor may do to the case now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct May {
    /// Complete the current step.
    pub complete: bool,
    /// Complete it by filling in its form here (a step people do, not a plugin or a timer).
    pub fill_in: bool,
    /// Return it to the step before.
    pub send_back: bool,
    /// Suspend, resume, close, reopen, re-dispatch.
    pub administer: bool,
    /// Run its plugin step again.
    pub retry: bool,
}

impl CaseView {
    /// The current step's id (empty when the case is at none).
    pub fn step_id(&self) -> &str {
        self.case.current_step.as_deref().unwrap_or_default()
    }
}

impl Engine {
    /// The case `id` as `actor` sees it; `None` when it does not exist, its app is gone, or
    /// the actor may not read it (one answer for all three).
    pub async fn case_view(&self, actor: &Actor, id: &str, tree: &OrgTree) -> Result<Option<CaseView>, apps::Error> {
        let Some(mut case) = self.readable_case(actor, id, tree).await? else { return Ok(None) };
        let Some(app) = self.apps.load(&case.app_id, Some(&case.app_version)).await? else { return Ok(None) };
        let events = self.visible_events(actor, &case, tree).await?;
        let standing = self.standing(&case, &app, Some(&events)).await?;
        case.record = self.visible_record(actor, &case, tree).await?;
        let open = case.status == CaseStatus::Open;
        let step = case.current_step.as_deref().and_then(|s| app.compiled.app.step(s));
        let complete =
            open && may_act(actor, &app.compiled, &case, Act::Complete { level: standing.level }, tree).is_ok();
        let may = May {
            complete,
            fill_in: complete && step.is_some_and(|s| actions::is_human(&s.block)),
            send_back: open && may_act(actor, &app.compiled, &case, Act::Return, tree).is_ok(),
            administer: actor.can(Permission::CasesAdminister, Actor::case_unit(&case), tree),
            retry: open && step.is_some_and(|s| matches!(s.block, BlockConfig::Plugin(_))),
        };
        Ok(Some(CaseView { case, app, events, standing, may }))
    }
}
