//! Access decisions on the HTTP side: require a permission (403, recorded as a security
//! event), hide what belongs to another tenant (404, never 403), and the record as this
//! actor may see it (personal fields masked without need to know).

use std::sync::Arc;

use baida_blocks::app::Access;
use baida_blocks::{CompiledApp, FieldType, Sensitivity, Text};
use serde_json::Value;

use crate::{ApiError, AppState};
use baida_engine::auth::mask::{self, Mask, Masking};
use baida_engine::auth::{Actor, OrgTree, Permission, Role, session};
use baida_store::{Case, CaseScope};

/// The org tree (cached by the engine).
pub async fn tree(state: &AppState) -> Result<Arc<OrgTree>, ApiError> {
    Ok(state.engine.org_tree().await?)
}

/// Records a denied request as a security event and answers 403.
pub async fn denied(state: &AppState, actor: &Actor, what: &str, unit: Option<&str>) -> ApiError {
    record_denial(state, actor, what, unit).await;
    ApiError::Forbidden(Text::new("你没有这项操作的权限", "You do not have permission to do this"))
}

/// Records a denied request as a security event.
pub async fn record_denial(state: &AppState, actor: &Actor, what: &str, unit: Option<&str>) {
    let now = state.engine.clock.now();
    let unit = unit.map(str::to_string).or_else(|| actor.staff().map(|s| s.unit_id.clone()));
    let mut event = session::event("permission.denied", &actor.label(), unit.as_deref(), Some(what), "", now);
    event.client = None;
    if let Err(e) = state.store.record_security_event(&event).await {
        tracing::warn!(error = %e, "cannot record a security event");
    }
}

/// 401 for nobody, 403 for staff without `perm` at `unit` (anywhere, when `None`).
pub async fn require(
    state: &AppState,
    actor: &Actor,
    perm: Permission,
    unit: Option<&str>,
) -> Result<Arc<OrgTree>, ApiError> {
    if !matches!(actor, Actor::Staff(_) | Actor::Root) {
        return Err(ApiError::Unauthorized);
    }
    let tree = tree(state).await?;
    let ok = match unit {
        Some(u) => actor.can(perm, u, &tree),
        None => actor.has(perm),
    };
    if ok { Ok(tree) } else { Err(denied(state, actor, perm.as_str(), unit).await) }
}

/// May the actor publish `definition` as an app of `owner`? Building apps there
/// (`apps.build`), and — when the app books into the community ledger (a `ledger` step) —
/// managing the ledger there too (`ledger.manage`): an app builder must not be able to write
/// the public books. Every path that publishes (save, publish a draft, roll back) asks here.
pub async fn require_publish(state: &AppState, actor: &Actor, owner: &str, definition: &Value) -> Result<(), ApiError> {
    let tree = tree(state).await?;
    if !actor.can(Permission::AppsBuild, owner, &tree) {
        return Err(denied(state, actor, "apps.build", Some(owner)).await);
    }
    let books = definition
        .get("steps")
        .and_then(Value::as_array)
        .is_some_and(|steps| steps.iter().any(|s| s.get("block").and_then(Value::as_str) == Some("ledger")));
    if books && !actor.can(Permission::LedgerManage, owner, &tree) {
        record_denial(state, actor, "ledger.manage", Some(owner)).await;
        return Err(ApiError::Forbidden(Text::new(
            "这个应用会在社区账本中记账，发布它需要账本管理权限（ledger.manage）",
            "This app books into the community ledger: publishing it needs the ledger.manage permission",
        )));
    }
    Ok(())
}

/// The 404 a case outside the actor's reach answers with: the same as for a case that does
/// not exist.
pub fn no_such_case() -> ApiError {
    ApiError::NotFound(Text::new("没有这个案件", "No such case"))
}

/// The one decision of which cases an actor may see for `perm` (reading them, counting them
/// in figures): their units, narrowed for apps whose latest version names the roles that may
/// read their cases (`access.view`). Every query over cases for a person goes through it;
/// `None` is everything (the admin token).
pub async fn case_scope(state: &AppState, actor: &Actor, perm: Permission) -> Result<Option<CaseScope>, ApiError> {
    let tree = tree(state).await?;
    let views = state.apps.views().await?;
    Ok(actor.scope_for(perm, &tree, &views))
}

/// May the actor see this case, as [`case_scope`] decides for lists, one case at a time?
pub async fn may_see(state: &AppState, actor: &Actor, case: &Case, tree: &OrgTree) -> Result<bool, ApiError> {
    if !actor.can_read_case(case, tree) {
        return Ok(false);
    }
    Ok(match access_rules(state, &case.app_id).await? {
        Some(rules) => may_view_app_cases(actor, &rules, case, tree),
        None => true,
    })
}

/// The case, if it exists and the actor may read it; otherwise 404 (or 401 for nobody).
pub async fn readable_case(state: &AppState, actor: &Actor, id: &str) -> Result<(Case, Arc<OrgTree>), ApiError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ApiError::Unauthorized);
    }
    let tree = tree(state).await?;
    let case = state.store.case(id).await?.ok_or_else(no_such_case)?;
    if !may_see(state, actor, &case, &tree).await? {
        return Err(no_such_case());
    }
    Ok((case, tree))
}

/// Who may submit to an app and read its cases: always its **latest** published version's
/// rules, whatever version a request or a case names, so an old version never reopens what
/// the builder has since closed. `None` for an app with no version.
pub async fn access_rules(state: &AppState, app_id: &str) -> Result<Option<Access>, ApiError> {
    Ok(state.apps.load(app_id, None).await?.map(|l| l.compiled.app.access.clone()))
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

fn field_masks(fields: &[&baida_blocks::CompiledField]) -> Vec<(String, Masking)> {
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

/// The case's record as the actor may see it.
pub async fn visible_record(state: &AppState, actor: &Actor, case: &Case, tree: &OrgTree) -> Result<Value, ApiError> {
    let Some(loaded) = state.apps.load(&case.app_id, Some(&case.app_version)).await? else {
        return Ok(case.record.clone());
    };
    let rules = access_rules(state, &case.app_id).await?.unwrap_or_else(|| loaded.compiled.app.access.clone());
    if needs_to_know(actor, &rules, case, tree) {
        return Ok(case.record.clone());
    }
    let masks = masks(&loaded.compiled);
    Ok(match &case.record {
        Value::Object(m) => Value::Object(mask::mask_record(m, &masks)),
        other => other.clone(),
    })
}

/// People who are not logged in may submit only so often per client address
/// (`public_submissions_per_minute`); 429 with `Retry-After` past it.
pub fn limit_public_submission(
    state: &AppState,
    actor: &Actor,
    client: crate::extract::Client,
) -> Result<(), ApiError> {
    let (Actor::Anonymous | Actor::Reporter, Some(limit)) = (actor, &state.limits.public_submit) else { return Ok(()) };
    limit.check(client.0).map_err(|wait| ApiError::TooManyRequests {
        retry_after: wait.as_secs().max(1),
        detail: Text::new(
            "提交过于频繁，请稍后再试；登录后提交不受此限制",
            "Too many submissions from here; try again later, or log in",
        ),
    })
}

/// Submits on behalf of `actor`: a resident's case is theirs (listed at `/my`); staff submit
/// as staff where they hold `cases.submit`.
pub async fn submit_as(
    state: &AppState,
    actor: &Actor,
    mut submission: baida_engine::Submission,
) -> Result<baida_engine::Submitted, ApiError> {
    match actor {
        Actor::Resident { id, .. } => submission.resident_id = Some(id.clone()),
        Actor::Staff(_) | Actor::Root => {
            let tree = tree(state).await?;
            submission.staff = actor.can(Permission::CasesSubmit, &submission.community_id, &tree);
        }
        Actor::Anonymous | Actor::Reporter => {}
    }
    submission.actor = actor.label();
    Ok(state.engine.submit(submission).await?)
}
