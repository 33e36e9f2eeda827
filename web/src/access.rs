//! Access decisions as HTTP answers: require a permission (403, recorded as a security
//! event), hide what belongs to another tenant (404, never 403). The decisions themselves —
//! which cases an actor may see, the record as they may see it — are the engine's
//! ([`baida_engine::access`]); this module puts them into status codes.

use std::sync::Arc;

use baida_blocks::Text;
use serde_json::Value;

use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, OrgTree, Permission};
use baida_store::Case;

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
    state.engine.record_denial(actor, what, unit).await
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

/// The case, if it exists and the actor may read it; otherwise 404 (or 401 for nobody).
pub async fn readable_case(state: &AppState, actor: &Actor, id: &str) -> Result<(Case, Arc<OrgTree>), ApiError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ApiError::Unauthorized);
    }
    let tree = tree(state).await?;
    let case = state.engine.readable_case(actor, id, &tree).await?.ok_or_else(no_such_case)?;
    Ok((case, tree))
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
