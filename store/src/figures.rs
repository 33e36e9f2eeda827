//! Figures (办理统计): how many cases came in over a period and how they fared, grouped by
//! app, department or category. Computed by the database with aggregates over `cases` and the
//! case's `step.completed` / `sla.overdue` events — never by loading events into Rust.
//!
//! Every figure is about one cohort: the cases created in the period (see `docs/figures.md`).
//! One implementation serves both backends, over [`super::db`]; only the median differs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Result;
use super::db::{Dialect, Tx};
use super::sql::Sql;
use super::sql_store::SqlStore;

/// The step whose completion is the signing (签收).
pub const SIGN_STEP: &str = "sign";
/// The step whose completion is the reply (答复).
pub const REPLY_STEP: &str = "handle";

/// How cases are grouped into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One row for every case.
    #[default]
    None,
    /// By `cases.app_id`.
    App,
    /// By `cases.assignee`, the unit holding the case now.
    Department,
    /// By `record.category`.
    Category,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "" | "none" => Some(GroupBy::None),
            "app" => Some(GroupBy::App),
            "department" => Some(GroupBy::Department),
            "category" => Some(GroupBy::Category),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::App => "app",
            GroupBy::Department => "department",
            GroupBy::Category => "category",
        }
    }
}

/// Which cases to count and how to group them.
#[derive(Debug, Clone, Default)]
pub struct FiguresQuery {
    pub by: GroupBy,
    /// Cases created at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Cases created before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only cases of this app.
    pub app_id: Option<String>,
    /// Only cases this scope may read; `None` for all.
    pub scope: Option<super::CaseScope>,
}

/// The figures of one group: counts as the database gives them; rates are derived from them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FiguresRow {
    /// The app id, the department's org unit id or the category code; `None` for cases with
    /// no department or no category, and for the single row of [`GroupBy::None`].
    pub key: Option<String>,
    /// Cases created in the period.
    pub received: i64,
    /// Of those, the ones closed now.
    pub closed: i64,
    /// Of those, the ones whose sign step was completed.
    pub signed: i64,
    /// Of the signed, those whose first sign completion came before any `sla.overdue` of the sign step.
    pub signed_on_time: i64,
    /// Of those received, the ones whose handle step was completed.
    pub replied: i64,
    /// Of the replied, those whose first completion came before any `sla.overdue` of the step.
    pub replied_on_time: i64,
    /// Median of `closed_at − created_at` over the closed cases, in milliseconds.
    pub median_handling_ms: Option<f64>,
    /// Of those received, open cases whose escalation is `overdue`, `urge` or `supervise`.
    pub overdue_now: i64,
}

/// The figures of a query: a row per group and the total, read from one snapshot so that
/// the rows add up to the total.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// Every group that has cases in the period: most cases first, then by key, the group
    /// without a key last. Empty when there are no cases; one row for [`GroupBy::None`].
    pub rows: Vec<FiguresRow>,
    /// All the cases of the period together (its `key` is `None`).
    pub total: FiguresRow,
}

/// Figures from the store.
#[async_trait]
pub trait FiguresStore: Send + Sync {
    /// The figures of the cases `query` selects, in one read-only transaction.
    async fn figures(&self, query: &FiguresQuery) -> Result<Figures>;
}

#[async_trait]
impl FiguresStore for SqlStore {
    async fn figures(&self, f: &FiguresQuery) -> Result<Figures> {
        // Both reads from one snapshot, so that the rows add up to the total.
        let mut tx = self.db.begin_read().await?;
        let rows = grouped(&mut tx, f, f.by).await?;
        let total = if f.by == GroupBy::None { None } else { Some(grouped(&mut tx, f, GroupBy::None).await?) };
        tx.commit().await?;
        Ok(assemble(rows, total))
    }
}

/// The figures of the cohort `f` selects, a row per group of `by`.
async fn grouped(tx: &mut Tx<'_>, f: &FiguresQuery, by: GroupBy) -> Result<Vec<Row>> {
    let dialect = tx.dialect();
    let key = match by {
        GroupBy::None => "CAST(NULL AS TEXT)".to_string(),
        GroupBy::App => "app_id".to_string(),
        GroupBy::Department => "assignee".to_string(),
        GroupBy::Category => dialect.json_text("record", "'category'"),
    };
    let mut q = Sql::new(format!(
        "WITH c AS (SELECT id, {key} AS grp, status, escalation, created_at, closed_at FROM cases WHERE 1 = 1"
    ));
    if let Some(v) = f.since {
        q = q.push(" AND created_at >= ?").bind(v);
    }
    if let Some(v) = f.until {
        q = q.push(" AND created_at < ?").bind(v);
    }
    if let Some(v) = &f.app_id {
        q = q.push(" AND app_id = ?").bind(v);
    }
    if let Some(scope) = &f.scope {
        q = super::push_scope(q, scope);
    }
    let step = dialect.json_text("e.data", "'step'");
    let first =
        |kind: &str, name: &str| format!("MIN(CASE WHEN e.kind = '{kind}' AND {step} = ? THEN e.seq END) AS {name}");
    q = q
        .push(&format!(
            "), s AS (SELECT e.case_id, {}, {}, {}, {} FROM case_events e JOIN c ON c.id = e.case_id \
             WHERE e.kind IN ('step.completed', 'sla.overdue') GROUP BY e.case_id) ",
            first("step.completed", "sign_done"),
            first("sla.overdue", "sign_late"),
            first("step.completed", "reply_done"),
            first("sla.overdue", "reply_late"),
        ))
        .bind(SIGN_STEP)
        .bind(SIGN_STEP)
        .bind(REPLY_STEP)
        .bind(REPLY_STEP);
    q = q.push(&match dialect {
        // SQLite has no median aggregate: the average of the one or two middle rows, numbered
        // by a window function; durations from `julianday`, rounded to the millisecond, the
        // precision times are stored with.
        Dialect::Sqlite => format!(
            ", d AS (SELECT grp, CAST(ROUND((julianday(closed_at) - julianday(created_at)) * 86400000.0) AS INTEGER) AS ms \
               FROM c WHERE status = 'closed' AND closed_at IS NOT NULL), \
             r AS (SELECT grp, ms, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY ms) AS i, \
               COUNT(*) OVER (PARTITION BY grp) AS n FROM d), \
             m AS (SELECT grp, AVG(ms) AS median_ms FROM r WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp) \
             SELECT c.grp AS key, {COUNTS}, MAX(m.median_ms) AS median_ms \
             FROM c LEFT JOIN s ON s.case_id = c.id LEFT JOIN m ON m.grp IS c.grp GROUP BY c.grp"
        ),
        // The average of the two middle values for an even count, as on SQLite.
        Dialect::Postgres => format!(
            "SELECT c.grp AS key, {COUNTS}, \
               percentile_cont(0.5) WITHIN GROUP (ORDER BY (EXTRACT(EPOCH FROM (c.closed_at - c.created_at)) * 1000)::float8) \
                 FILTER (WHERE c.status = 'closed' AND c.closed_at IS NOT NULL) AS median_ms \
             FROM c LEFT JOIN s ON s.case_id = c.id GROUP BY c.grp"
        ),
    });
    Ok(tx.all(q).await?)
}

/// Sorts the grouped rows and takes the total from the ungrouped query, or from the one row
/// when the rows were not grouped (`total` is `None`).
fn assemble(rows: Vec<Row>, total: Option<Vec<Row>>) -> Figures {
    let mut rows: Vec<FiguresRow> = rows.into_iter().map(Into::into).collect();
    sort_rows(&mut rows);
    let total = match total {
        Some(total) => total.into_iter().next().map(Into::into),
        None => rows.first().cloned(),
    };
    Figures { rows, total: total.unwrap_or_default() }
}

/// The order of rows, the same on both backends (collations differ, so Rust sorts).
fn sort_rows(rows: &mut [FiguresRow]) {
    rows.sort_by(|a, b| {
        b.received.cmp(&a.received).then(a.key.is_none().cmp(&b.key.is_none())).then_with(|| a.key.cmp(&b.key))
    });
}

/// Row shape shared by both backends.
#[derive(sqlx::FromRow)]
struct Row {
    pub key: Option<String>,
    pub received: i64,
    pub closed: i64,
    pub signed: i64,
    pub signed_on_time: i64,
    pub replied: i64,
    pub replied_on_time: i64,
    pub median_ms: Option<f64>,
    pub overdue_now: i64,
}

impl From<Row> for FiguresRow {
    fn from(r: Row) -> Self {
        FiguresRow {
            key: r.key,
            received: r.received,
            closed: r.closed,
            signed: r.signed,
            signed_on_time: r.signed_on_time,
            replied: r.replied,
            replied_on_time: r.replied_on_time,
            median_handling_ms: r.median_ms,
            overdue_now: r.overdue_now,
        }
    }
}

/// The counts every backend selects from `c` (the cohort) joined with `s` (per-case first
/// completion and first overdue of the sign and handle steps, as event `seq`s).
const COUNTS: &str = "COUNT(*) AS received, \
     SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) AS closed, \
     COUNT(s.sign_done) AS signed, \
     SUM(CASE WHEN s.sign_done IS NOT NULL AND (s.sign_late IS NULL OR s.sign_done < s.sign_late) THEN 1 ELSE 0 END) AS signed_on_time, \
     COUNT(s.reply_done) AS replied, \
     SUM(CASE WHEN s.reply_done IS NOT NULL AND (s.reply_late IS NULL OR s.reply_done < s.reply_late) THEN 1 ELSE 0 END) AS replied_on_time, \
     SUM(CASE WHEN c.status = 'open' AND c.escalation IN ('overdue', 'urge', 'supervise') THEN 1 ELSE 0 END) AS overdue_now";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sort_by_size_then_key_with_the_keyless_last() {
        let row =
            |key: Option<&str>, received| FiguresRow { key: key.map(str::to_string), received, ..Default::default() };
        let mut rows = vec![row(None, 2), row(Some("b"), 1), row(Some("a"), 1), row(Some("z"), 2), row(None, 1)];
        sort_rows(&mut rows);
        let keys: Vec<_> = rows.iter().map(|r| (r.key.as_deref(), r.received)).collect();
        assert_eq!(keys, [(Some("z"), 2), (None, 2), (Some("a"), 1), (Some("b"), 1), (None, 1)]);
    }

    #[test]
    fn group_by_round_trips() {
        for by in [GroupBy::None, GroupBy::App, GroupBy::Department, GroupBy::Category] {
            assert_eq!(GroupBy::parse(by.as_str()), Some(by));
        }
        assert_eq!(GroupBy::parse(""), Some(GroupBy::None));
        assert_eq!(GroupBy::parse("street"), None);
    }
}
