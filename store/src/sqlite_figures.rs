//! [`FiguresStore`] on SQLite. SQLite has no median aggregate, so the median is the average
//! of the one or two middle rows numbered by a window function; durations come from
//! `julianday` and are rounded to the millisecond, the precision times are stored with.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::Result;
use super::figures::{COUNTS, Figures, FiguresQuery, FiguresStore, GroupBy, REPLY_STEP, Row, SIGN_STEP, assemble};
use super::sqlite::SqliteStore;

#[async_trait]
impl FiguresStore for SqliteStore {
    async fn figures(&self, f: &FiguresQuery) -> Result<Figures> {
        // One deferred transaction: both reads see the same snapshot (WAL).
        let mut tx = self.pool.begin().await?;
        let rows = grouped(&mut tx, f, f.by).await?;
        let total = if f.by == GroupBy::None { None } else { Some(grouped(&mut tx, f, GroupBy::None).await?) };
        tx.commit().await?;
        Ok(assemble(rows, total))
    }
}

async fn grouped(conn: &mut SqliteConnection, f: &FiguresQuery, by: GroupBy) -> Result<Vec<Row>> {
    let key = match by {
        GroupBy::None => "NULL",
        GroupBy::App => "app_id",
        GroupBy::Department => "assignee",
        GroupBy::Category => "CAST(json_extract(record, '$.category') AS TEXT)",
    };
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "WITH c AS (SELECT id, {key} AS grp, status, escalation, created_at, closed_at FROM cases WHERE 1 = 1"
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
    q.push(
        "), ev AS (SELECT e.case_id, e.seq, e.kind, json_extract(e.data, '$.step') AS step \
           FROM case_events e JOIN c ON c.id = e.case_id WHERE e.kind IN ('step.completed', 'sla.overdue')), \
         s AS (SELECT case_id, MIN(CASE WHEN kind = 'step.completed' AND step = ",
    );
    q.push_bind(SIGN_STEP).push(" THEN seq END) AS sign_done, MIN(CASE WHEN kind = 'sla.overdue' AND step = ");
    q.push_bind(SIGN_STEP).push(" THEN seq END) AS sign_late, MIN(CASE WHEN kind = 'step.completed' AND step = ");
    q.push_bind(REPLY_STEP).push(" THEN seq END) AS reply_done, MIN(CASE WHEN kind = 'sla.overdue' AND step = ");
    q.push_bind(REPLY_STEP).push(" THEN seq END) AS reply_late FROM ev GROUP BY case_id), ");
    q.push(format!(
        "d AS (SELECT grp, CAST(ROUND((julianday(closed_at) - julianday(created_at)) * 86400000.0) AS INTEGER) AS ms \
           FROM c WHERE status = 'closed' AND closed_at IS NOT NULL), \
         r AS (SELECT grp, ms, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY ms) AS i, COUNT(*) OVER (PARTITION BY grp) AS n FROM d), \
         m AS (SELECT grp, AVG(ms) AS median_ms FROM r WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp) \
         SELECT c.grp AS key, {COUNTS}, MAX(m.median_ms) AS median_ms \
         FROM c LEFT JOIN s ON s.case_id = c.id LEFT JOIN m ON m.grp IS c.grp GROUP BY c.grp"
    ));
    Ok(q.build_query_as().fetch_all(conn).await?)
}
