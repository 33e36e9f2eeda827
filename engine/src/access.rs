//! Who may see what, decided once for the API, the pages and the live streams: the cases an
//! actor may read (their units, narrowed by an app's `access.view` roles), one case at a time,
//! and a case's record as the actor may see it (personal fields masked without need to know).
//! Refusals are recorded in the security log ([`Engine::record_denial`]).
//!
//! An app's access rules are always its **latest** published version's, whatever version a
//! request or a case names, so an old version never reopens what the builder has since closed.

use baida_blocks::app::Access;
use baida_blocks::{CompiledApp, CompiledField, FieldType, Sensitivity};
use serde_json::Value;

use crate::Engine;
use crate::apps;
use crate::auth::mask::{self, Mask, Masking};
use crate::auth::{Actor, OrgTree, Permission, Role, session};
use baida_store::{Case, CaseFilter, CaseScope, Delivery, Event, OutboxItem};

impl Engine {
    /// Records a refused request in the security log (a failure to record is logged, not
    /// raised: the refusal stands either way).
    pub async fn record_denial(&self, actor: &Actor, what: &str, unit: Option<&str>) {
        let now = self.clock.now();
        let unit = unit.map(str::to_string).or_else(|| actor.staff().map(|s| s.unit_id.clone()));
        let mut event = session::event("permission.denied", &actor.label(), unit.as_deref(), Some(what), "", now);
        event.client = None;
        if let Err(e) = self.store.record_security_event(&event).await {
            tracing::warn!(error = %e, "cannot record a security event");
        }
    }

    /// The one decision of which cases an actor may see for `perm` (reading them, counting
    /// them in figures): their units, narrowed for apps whose latest version names the roles
    /// that may read their cases (`access.view`). `None` is everything (the admin token).
    pub async fn case_scope(&self, actor: &Actor, perm: Permission) -> Result<Option<CaseScope>, apps::Error> {
        let tree = self.org_tree().await?;
        let views = self.apps.views().await?;
        Ok(actor.scope_for(perm, &tree, &views))
    }

    /// May the actor see this case, as [`Engine::case_scope`] decides for lists, one case at
    /// a time?
    pub async fn may_see(&self, actor: &Actor, case: &Case, tree: &OrgTree) -> Result<bool, apps::Error> {
        if !actor.can_read_case(case, tree) {
            return Ok(false);
        }
        Ok(match self.access_rules(&case.app_id).await? {
            Some(rules) => may_view_app_cases(actor, &rules, case, tree),
            None => true,
        })
    }

    /// The case, if it exists and the actor may read it (`None` hides both alike).
    pub async fn readable_case(&self, actor: &Actor, id: &str, tree: &OrgTree) -> Result<Option<Case>, apps::Error> {
        let Some(case) = self.store.case(id).await? else { return Ok(None) };
        Ok(self.may_see(actor, &case, tree).await?.then_some(case))
    }

    /// Who may submit to an app and read its cases: its latest published version's rules;
    /// `None` for an app with no version.
    pub async fn access_rules(&self, app_id: &str) -> Result<Option<Access>, apps::Error> {
        Ok(self.apps.load(app_id, None).await?.map(|l| l.compiled.app.access.clone()))
    }

    /// The cases matching `filter` that the actor may read (the filter's scope is set from
    /// [`Engine::case_scope`]), each record as they may see it.
    pub async fn readable_cases(
        &self,
        actor: &Actor,
        mut filter: CaseFilter,
        tree: &OrgTree,
    ) -> Result<Vec<Case>, apps::Error> {
        filter.scope = self.case_scope(actor, Permission::CasesRead).await?;
        let mut cases = self.store.cases(&filter).await?;
        for case in &mut cases {
            case.record = self.visible_record(actor, case, tree).await?;
        }
        Ok(cases)
    }

    /// A case's event log, oldest first, as the actor may see it: the record and the answers
    /// events carry are masked like the record itself.
    pub async fn visible_events(&self, actor: &Actor, case: &Case, tree: &OrgTree) -> Result<Vec<Event>, apps::Error> {
        let mut events = self.store.events(&case.id).await?;
        if let Some(loaded) = self.apps.load(&case.app_id, Some(&case.app_version)).await?
            && let Some(rules) = self.access_rules(&case.app_id).await?
            && !needs_to_know(actor, &rules, case, tree)
        {
            let masks = masks(&loaded.compiled);
            for e in &mut events {
                for key in ["record", "answers"] {
                    if let Some(Value::Object(m)) = e.data.get(key) {
                        e.data[key] = Value::Object(mask::mask_record(m, &masks));
                    }
                }
            }
        }
        Ok(events)
    }

    /// A case's outgoing messages with their delivery attempts, as the actor may see them: a
    /// recipient's number or address is as personal as the record it came from.
    pub async fn visible_outbox(
        &self,
        actor: &Actor,
        case: &Case,
        tree: &OrgTree,
    ) -> Result<Vec<(OutboxItem, Vec<Delivery>)>, apps::Error> {
        let mut items = self.store.outbox_of_case(&case.id).await?;
        let rules = self.access_rules(&case.app_id).await?.unwrap_or_default();
        if !needs_to_know(actor, &rules, case, tree) {
            for (message, _) in &mut items {
                let how = match message.channel.as_str() {
                    "sms" => Some(Mask::Phone),
                    "email" => Some(Mask::Name),
                    _ => None,
                };
                if let Some(how) = how {
                    let masked = mask::mask_value(&Value::String(message.recipient.clone()), how);
                    message.recipient = masked.as_str().unwrap_or_default().to_string();
                }
            }
        }
        Ok(items)
    }

    /// The case's record as the actor may see it.
    pub async fn visible_record(&self, actor: &Actor, case: &Case, tree: &OrgTree) -> Result<Value, apps::Error> {
        let Some(loaded) = self.apps.load(&case.app_id, Some(&case.app_version)).await? else {
            return Ok(case.record.clone());
        };
        let rules = self.access_rules(&case.app_id).await?.unwrap_or_else(|| loaded.compiled.app.access.clone());
        if needs_to_know(actor, &rules, case, tree) {
            return Ok(case.record.clone());
        }
        let masks = masks(&loaded.compiled);
        Ok(match &case.record {
            Value::Object(m) => Value::Object(mask::mask_record(m, &masks)),
            other => other.clone(),
        })
    }
}

/// The app's `access.view` roles, when it names some.
fn may_view_app_cases(actor: &Actor, rules: &Access, case: &Case, tree: &OrgTree) -> bool {
    let view = &rules.view;
    match actor {
        Actor::Staff(_) if !view.is_empty() => view.iter().filter_map(|r| Role::parse(r)).any(|r| {
            actor.holds(r, Actor::case_unit(case), tree)
                || case.assignee.as_deref().is_some_and(|a| actor.holds(r, a, tree))
        }),
        _ => true,
    }
}

/// How each personal field of the app is masked, inside repeat groups too (a household's
/// members' names and phones are as personal as the resident's own).
pub fn masks(app: &CompiledApp) -> Vec<(String, Masking)> {
    field_masks(&app.fields.iter().collect::<Vec<_>>())
}

/// How each personal field of a list of fields is masked.
pub(crate) fn field_masks(fields: &[&CompiledField]) -> Vec<(String, Masking)> {
    fields
        .iter()
        .filter_map(|f| {
            let how = match f.ty {
                FieldType::Group => {
                    let inner = field_masks(&f.items.iter().collect::<Vec<_>>());
                    return (!inner.is_empty()).then(|| (f.field.key.clone(), Masking::Items(inner)));
                }
                _ if !matches!(f.sensitivity, Sensitivity::Personal | Sensitivity::Sensitive) => return None,
                FieldType::Phone => Mask::Phone,
                FieldType::IdNumber => Mask::IdNumber,
                FieldType::Location => Mask::Address,
                FieldType::Photo => Mask::Photo,
                _ => Mask::Name,
            };
            Some((f.field.key.clone(), Masking::Value(how)))
        })
        .collect()
}

/// Does the actor need to know this case's personal data? Root does; staff when they hold one
/// of the app's need-to-know roles at the case's unit or at the unit holding it.
pub fn needs_to_know(actor: &Actor, rules: &Access, case: &Case, tree: &OrgTree) -> bool {
    match actor {
        Actor::Root => true,
        Actor::Resident { id, .. } => case.resident_id.as_deref() == Some(id),
        Actor::Anonymous | Actor::Reporter => false,
        Actor::Staff(_) => rules.need_to_know().iter().filter_map(|r| Role::parse(r)).any(|r| {
            actor.holds(r, Actor::case_unit(case), tree)
                || case.assignee.as_deref().is_some_and(|a| actor.holds(r, a, tree))
        }),
    }
}

/// Does the actor need to know the personal data of something kept at `unit` (a register
/// row)? Root does; staff when they hold one of the app's need-to-know roles there or above.
pub fn needs_to_know_at(actor: &Actor, rules: &Access, unit: &str, tree: &OrgTree) -> bool {
    match actor {
        Actor::Root => true,
        Actor::Staff(_) => {
            rules.need_to_know().iter().filter_map(|r| Role::parse(r)).any(|r| actor.holds(r, unit, tree))
        }
        _ => false,
    }
}
