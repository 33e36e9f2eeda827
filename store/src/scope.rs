//! Which cases a person may see, as a value the queries over `cases` take: the units where
//! they read cases, narrowed per app by its `access.view` (decided in `http::access::case_scope`
//! from the actor and the org tree), and the SQL that applies it.

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
pub(crate) fn push_scope<'a, DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<'a, DB>, scope: &CaseScope)
where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push(" AND ");
    push_units(q, &scope.units, &scope.holders);
    if scope.apps.is_empty() {
        return;
    }
    q.push(" AND (app_id NOT IN (");
    let mut list = q.separated(", ");
    for a in &scope.apps {
        list.push_bind(a.app_id.clone());
    }
    list.push_unseparated(")");
    for a in &scope.apps {
        q.push(" OR (app_id = ").push_bind(a.app_id.clone()).push(" AND ");
        push_units(q, &a.units, &a.holders);
        q.push(")");
    }
    q.push(")");
}

/// `(community_id IN units OR grid_id IN units OR assignee IN holders)`.
fn push_units<'a, DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<'a, DB>, units: &[String], holders: &[String])
where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    // An empty list would be `IN ()`, not valid SQL: an impossible id stands in for nothing.
    let or_nothing = |v: &[String]| if v.is_empty() { vec![String::new()] } else { v.to_vec() };
    let units = or_nothing(units);
    for (i, (column, values)) in
        [("community_id", &units), ("grid_id", &units), ("assignee", &or_nothing(holders))].into_iter().enumerate()
    {
        q.push(if i == 0 { "(" } else { " OR " }).push(column).push(" IN (");
        let mut list = q.separated(", ");
        for v in values.iter() {
            list.push_bind(v.clone());
        }
        list.push_unseparated(")");
    }
    q.push(")");
}
