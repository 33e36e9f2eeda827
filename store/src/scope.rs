//! Which cases a person may see, as a value the queries over `cases` take: the units where
//! they read cases, narrowed per app by its `access.view` (decided in `http::access::case_scope`
//! from the actor and the org tree), and the SQL that applies it.

use super::sql::Sql;

/// Which cases a person may see: those filed in one of `units` (communities or grids), and
/// those held by one of `holders` (departments); and of the apps in `apps` (those whose
/// `access.view` names roles), only the cases within that app's narrower scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseScope {
    pub units: Vec<String>,
    pub holders: Vec<String>,
    pub apps: Vec<AppScope>,
}

/// Where a person may see the cases of one app whose `access.view` names roles: the units
/// where they hold one of those roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppScope {
    pub app_id: String,
    pub units: Vec<String>,
    pub holders: Vec<String>,
}

/// Narrows a query over `cases` to what `scope` may see: cases filed in one of its units
/// (community or grid) or held by one of its holders; for an app with its own view scope, only
/// the cases within it.
pub(crate) fn push_scope(q: Sql, scope: &CaseScope) -> Sql {
    let mut q = push_units(q.push(" AND "), &scope.units, &scope.holders);
    if scope.apps.is_empty() {
        return q;
    }
    let apps: Vec<String> = scope.apps.iter().map(|a| a.app_id.clone()).collect();
    q = q.push(" AND (app_id NOT IN ?").bind_list(&apps);
    for a in &scope.apps {
        q = push_units(q.push(" OR (app_id = ? AND ").bind(&a.app_id), &a.units, &a.holders).push(")");
    }
    q.push(")")
}

/// `(community_id IN units OR grid_id IN units OR assignee IN holders)`.
fn push_units(q: Sql, units: &[String], holders: &[String]) -> Sql {
    q.push("(community_id IN ? OR grid_id IN ? OR assignee IN ?)").bind_list(units).bind_list(units).bind_list(holders)
}
