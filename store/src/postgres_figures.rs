//! [`FiguresStore`] on PostgreSQL: one pass over the cohort, the median by
//! `percentile_cont(0.5)` (the average of the two middle values for an even count, as on SQLite).

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::Result;
use super::figures::{COUNTS, Figures, FiguresQuery, FiguresStore, GroupBy, REPLY_STEP, Row, SIGN_STEP, assemble};
use super::postgres::PgStore;

#[async_trait]
impl FiguresStore for PgStore {
    async fn figures(&self, f: &FiguresQuery) -> Result<Figures> {
        // Both reads from one snapshot, so that the rows add up to the total.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let rows = grouped(&mut tx, f, f.by).await?;
        let total = if f.by == GroupBy::None { None } else { Some(grouped(&mut tx, f, GroupBy::None).await?) };
        tx.commit().await?;
        Ok(assemble(rows, total))
    }
}

async fn grouped(conn: &mut PgConnection, f: &FiguresQuery, by: GroupBy) -> Result<Vec<Row>> {
    let key = match by {
        GroupBy::None => "NULL::text",
        GroupBy::App => "app_id",
        GroupBy::Department => "assignee",
        GroupBy::Category => "record->>'category'",
    };
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "WITH c AS (SELECT id, {key} AS grp, status, escalation, created_at, closed_at FROM cases WHERE TRUE"
    ));
    if let Some(v) = f.since {
        q.push(" AND created_at >= ").push_bind(v);
    }
    if let Some(v) = f.until {
        q.push(" AND created_at < ").push_bind(v);
    }
    if let Some(v) = &f.app_id {
        q.push(" AND app_id = ").push_bind(v);
    }
    if let Some(scope) = &f.scope {
        super::push_scope(&mut q, scope);
    }
    q.push("), s AS (SELECT e.case_id, MIN(e.seq) FILTER (WHERE e.kind = 'step.completed' AND e.data->>'step' = ");
    q.push_bind(SIGN_STEP)
        .push(") AS sign_done, MIN(e.seq) FILTER (WHERE e.kind = 'sla.overdue' AND e.data->>'step' = ");
    q.push_bind(SIGN_STEP)
        .push(") AS sign_late, MIN(e.seq) FILTER (WHERE e.kind = 'step.completed' AND e.data->>'step' = ");
    q.push_bind(REPLY_STEP)
        .push(") AS reply_done, MIN(e.seq) FILTER (WHERE e.kind = 'sla.overdue' AND e.data->>'step' = ");
    q.push_bind(REPLY_STEP).push(
        ") AS reply_late FROM case_events e JOIN c ON c.id = e.case_id \
         WHERE e.kind IN ('step.completed', 'sla.overdue') GROUP BY e.case_id) ",
    );
    q.push(format!(
        "SELECT c.grp AS key, {COUNTS}, \
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (EXTRACT(EPOCH FROM (c.closed_at - c.created_at)) * 1000)::float8) \
             FILTER (WHERE c.status = 'closed' AND c.closed_at IS NOT NULL) AS median_ms \
         FROM c LEFT JOIN s ON s.case_id = c.id GROUP BY c.grp"
    ));
    Ok(q.build_query_as().fetch_all(conn).await?)
}
