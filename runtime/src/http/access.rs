//! Access decisions on the HTTP side: require a permission (403, recorded as a security
//! event), hide what belongs to another tenant (404, never 403), and the record as this
//! actor may see it (personal fields masked without need to know).

use std::sync::Arc;

use baida_blocks::{CompiledApp, FieldType, Sensitivity, Text};
use serde_json::Value;

use super::{ApiError, AppState};
use crate::auth::mask::{self, Mask};
use crate::auth::{Actor, OrgTree, Permission, Role, session};
use crate::store::Case;

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

/// The 404 a case outside the actor's reach answers with: the same as for a case that does
/// not exist.
pub fn no_such_case() -> ApiError {
    ApiError::NotFound(Text::new("没有这个案件", "No such case"))
}

/// The case, if it exists and the actor may read it; otherwise 404 (or 401 for nobody).
pub async fn readable_case(state: &AppState, actor: &Actor, id: &str) -> Result<(Case, Arc<OrgTree>), ApiError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ApiError::Unauthorized);
    }
    let tree = tree(state).await?;
    let case = state.store.case(id).await?.ok_or_else(no_such_case)?;
    if !actor.can_read_case(&case, &tree) {
        return Err(no_such_case());
    }
    if let Some(loaded) = state.apps.load(&case.app_id, Some(&case.app_version)).await?
        && !may_view_app_cases(actor, &loaded.compiled, &case, &tree)
    {
        return Err(no_such_case());
    }
    Ok((case, tree))
}

/// The app's `access.view` roles, when it names some.
fn may_view_app_cases(actor: &Actor, app: &CompiledApp, case: &Case, tree: &OrgTree) -> bool {
    let view = &app.app.access.view;
    match actor {
        Actor::Staff(_) if !view.is_empty() => view.iter().filter_map(|r| Role::parse(r)).any(|r| {
            actor.holds(r, Actor::case_unit(case), tree)
                || case.assignee.as_deref().is_some_and(|a| actor.holds(r, a, tree))
        }),
        _ => true,
    }
}

/// How each personal field of the app is masked.
pub fn masks(app: &CompiledApp) -> Vec<(String, Mask)> {
    app.fields
        .iter()
        .filter(|f| matches!(f.sensitivity, Sensitivity::Personal | Sensitivity::Sensitive))
        .map(|f| {
            let how = match f.ty {
                FieldType::Phone => Mask::Phone,
                FieldType::IdNumber => Mask::IdNumber,
                FieldType::Location => Mask::Address,
                FieldType::Photo => Mask::Photo,
                _ => Mask::Name,
            };
            (f.field.key.clone(), how)
        })
        .collect()
}

/// Does the actor need to know this case's personal data? Root does; staff when they hold one
/// of the app's need-to-know roles at the case's unit or at the unit holding it.
pub fn needs_to_know(actor: &Actor, app: &CompiledApp, case: &Case, tree: &OrgTree) -> bool {
    match actor {
        Actor::Root => true,
        Actor::Resident { id, .. } => case.resident_id.as_deref() == Some(id),
        Actor::Anonymous | Actor::Reporter => false,
        Actor::Staff(_) => app.app.access.need_to_know().iter().filter_map(|r| Role::parse(r)).any(|r| {
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
    if needs_to_know(actor, &loaded.compiled, case, tree) {
        return Ok(case.record.clone());
    }
    let masks = masks(&loaded.compiled);
    Ok(match &case.record {
        Value::Object(m) => Value::Object(mask::mask_record(m, &masks)),
        other => other.clone(),
    })
}

/// Submits on behalf of `actor`: a resident's case is theirs (listed at `/my`); staff submit
/// as staff where they hold `cases.submit`.
pub async fn submit_as(
    state: &AppState,
    actor: &Actor,
    mut submission: crate::engine::Submission,
) -> Result<crate::engine::Submitted, ApiError> {
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
