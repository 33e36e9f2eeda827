//! Registers' rows and their histories ([`baida_core::register`]).
//!
//! A write reads the row it names inside the transaction that carries it (locked on
//! PostgreSQL; SQLite's write transaction holds the database), lets
//! [`RowWrite::apply`] say what the row becomes, and writes the row with the event that records
//! the change, chained to the row's history. A case's `register` step writes with its
//! transition ([`write_row`] from `workflow_sql`); staff edits and imports write all their rows
//! in one transaction, or none.
//!
//! One implementation serves both backends, over [`super::db`].

use async_trait::async_trait;
use baida_core::register::{Refusal, Row, RowEvent, RowEventKind, RowWrite};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::types::Json;

use super::db::{Dialect, Tx};
use super::sql::Sql;
use super::sql_store::SqlStore;
use super::{Error, Result, conflict_on_unique};

/// The most rows one page of a register returns.
pub const PAGE_MAX: i64 = 500;

/// Which rows of a register to read, and in which order.
#[derive(Debug, Clone, Default)]
pub struct RowQuery {
    pub app_id: String,
    pub register_id: String,
    /// Rows kept by one of these communities or belonging to one of these grids; `None`: all.
    pub units: Option<Vec<String>>,
    /// Words every row shown contains (in its key or any value), case-insensitive.
    pub search: Option<String>,
    /// Field → what its value must equal.
    pub filters: Vec<(String, Wanted)>,
    /// The field to order by (`None`: oldest row first), and whether descending.
    pub sort: Option<(String, bool)>,
    pub offset: i64,
    pub limit: i64,
}

/// What a filtered field's value must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    /// Its text (a number as written).
    Text(String),
    /// Yes or no.
    Bool(bool),
}

/// A page of rows and how many rows match in all.
#[derive(Debug, Clone, Default)]
pub struct RowPage {
    pub rows: Vec<Row>,
    pub total: i64,
}

#[async_trait]
pub trait RegisterStore: Send + Sync {
    /// Writes every row change in one transaction, or none: the first refused write's index
    /// and why ([`Error::Row`]).
    async fn write_rows(&self, writes: &[RowWrite]) -> Result<Vec<Written>>;
    async fn row(&self, id: &str) -> Result<Option<Row>>;
    /// The row with this key in a community (a removed one too).
    async fn row_by_key(&self, app_id: &str, register_id: &str, community_id: &str, key: &str) -> Result<Option<Row>>;
    /// The rows with these keys in a community (removed ones too).
    async fn rows_by_keys(
        &self,
        app_id: &str,
        register_id: &str,
        community_id: &str,
        keys: &[String],
    ) -> Result<Vec<Row>>;
    /// A page of a register's rows (removed rows are not listed).
    async fn rows(&self, q: &RowQuery) -> Result<RowPage>;
    /// A row's history, oldest first.
    async fn row_events(&self, row_id: &str) -> Result<Vec<RowEvent>>;
    /// Rows in the order they were made, after `after` (a row's `seq`), for `baida verify`.
    async fn rows_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, Row)>>;
}

const ROW_COLUMNS: &str = "seq, id, app_id, register_id, community_id, grid_id, row_key, data, event_count, head_hash, \
                           created_at, updated_at, deleted_at";

#[derive(sqlx::FromRow)]
struct RowRecord {
    seq: i64,
    id: String,
    app_id: String,
    register_id: String,
    community_id: String,
    grid_id: Option<String>,
    row_key: String,
    data: Json<Value>,
    event_count: i64,
    head_hash: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<RowRecord> for Row {
    fn from(r: RowRecord) -> Row {
        Row {
            id: r.id,
            app_id: r.app_id,
            register_id: r.register_id,
            community_id: r.community_id,
            grid_id: r.grid_id,
            key: r.row_key,
            values: match r.data.0 {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            event_count: r.event_count,
            head_hash: r.head_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRecord {
    row_id: String,
    seq: i64,
    kind: String,
    actor: String,
    at: DateTime<Utc>,
    data: Json<Value>,
    prev_hash: String,
    hash: String,
}

/// A row as a write left it, and what happened to it (`None`: the write changed nothing).
#[derive(Debug, Clone)]
pub struct Written {
    pub row: Row,
    pub kind: Option<RowEventKind>,
}

/// Writes one row change inside `tx`: the row as it becomes, and its event.
pub(crate) async fn write_row(tx: &mut Tx<'_>, w: &RowWrite) -> Result<Written> {
    let lock = tx.dialect().for_update();
    let now: Option<Row> = tx
        .optional::<RowRecord>(
            Sql::new(format!(
                "SELECT {ROW_COLUMNS} FROM register_rows \
                 WHERE app_id = ? AND register_id = ? AND community_id = ? AND row_key = ?{lock}"
            ))
            .bind(&w.app_id)
            .bind(&w.register_id)
            .bind(&w.community_id)
            .bind(&w.key),
        )
        .await?
        .map(Into::into);
    let Some((kind, after)) = w.apply(now.as_ref()).map_err(|refusal| Error::Row { index: 0, refusal })? else {
        return Ok(Written { row: now.expect("only an existing row is left unchanged"), kind: None });
    };
    let search = Row::search_text(&w.key, &after);
    let deleted_at = (kind == RowEventKind::Deleted).then_some(w.at);
    let row = match now {
        Some(row) => {
            let before = (row.deleted_at.is_none()).then_some(&row.values);
            let event = w.event(&row.id, Some((row.event_count, &row.head_hash)), kind, before, &after);
            let changed = tx
                .execute(
                    Sql::new(
                        "UPDATE register_rows SET data = ?, search = ?, event_count = ?, head_hash = ?, updated_at = ?, \
                         deleted_at = ?, grid_id = COALESCE(?, grid_id) WHERE id = ? AND event_count = ?",
                    )
                    .bind(Json(&Value::Object(after.clone())))
                    .bind(search)
                    .bind(event.seq)
                    .bind(&event.hash)
                    .bind(w.at)
                    .bind(deleted_at)
                    .bind(&w.grid_id)
                    .bind(&row.id)
                    .bind(row.event_count),
                )
                .await?;
            if changed != 1 {
                return Err(Error::Conflict(format!("row {} of register {} changed meanwhile", w.key, w.register_id)));
            }
            insert_event(tx, &event).await?;
            Row {
                values: after,
                event_count: event.seq,
                head_hash: event.hash,
                updated_at: w.at,
                deleted_at,
                grid_id: w.grid_id.clone().or(row.grid_id),
                ..row
            }
        }
        None => {
            let event = w.event(&w.new_id, None, kind, None, &after);
            tx.execute(
                Sql::new(
                    "INSERT INTO register_rows (id, app_id, register_id, community_id, grid_id, row_key, data, search, \
                     event_count, head_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&w.new_id)
                .bind(&w.app_id)
                .bind(&w.register_id)
                .bind(&w.community_id)
                .bind(&w.grid_id)
                .bind(&w.key)
                .bind(Json(&Value::Object(after.clone())))
                .bind(search)
                .bind(event.seq)
                .bind(&event.hash)
                .bind(w.at)
                .bind(w.at),
            )
            .await
            // Another transaction made the row first: the caller recomputes and finds it.
            .map_err(|e| {
                conflict_on_unique(e, || format!("row {} of register {} was just made", w.key, w.register_id))
            })?;
            insert_event(tx, &event).await?;
            Row {
                id: w.new_id.clone(),
                app_id: w.app_id.clone(),
                register_id: w.register_id.clone(),
                community_id: w.community_id.clone(),
                grid_id: w.grid_id.clone(),
                key: w.key.clone(),
                values: after,
                event_count: event.seq,
                head_hash: event.hash,
                created_at: w.at,
                updated_at: w.at,
                deleted_at: None,
            }
        }
    };
    Ok(Written { row, kind: Some(kind) })
}

async fn insert_event(tx: &mut Tx<'_>, e: &RowEvent) -> Result<()> {
    tx.execute(
        Sql::new(
            "INSERT INTO register_events (row_id, seq, kind, actor, at, data, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.row_id)
        .bind(e.seq)
        .bind(e.kind.as_str())
        .bind(&e.actor)
        .bind(e.at)
        .bind(Json(&e.data))
        .bind(&e.prev_hash)
        .bind(&e.hash),
    )
    .await?;
    Ok(())
}

/// `LIKE` pattern for a word: `%word%`, with `%`, `_` and `\` taken literally.
fn like(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[async_trait]
impl RegisterStore for SqlStore {
    async fn write_rows(&self, writes: &[RowWrite]) -> Result<Vec<Written>> {
        let mut tx = self.db.begin().await?;
        let mut out = Vec::with_capacity(writes.len());
        for (index, w) in writes.iter().enumerate() {
            match write_row(&mut tx, w).await {
                Ok(row) => out.push(row),
                Err(Error::Row { refusal, .. }) => return Err(Error::Row { index, refusal }),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn row(&self, id: &str) -> Result<Option<Row>> {
        let row: Option<RowRecord> = self
            .db
            .optional(Sql::new(format!("SELECT {ROW_COLUMNS} FROM register_rows WHERE id = ?")).bind(id))
            .await?;
        Ok(row.map(Into::into))
    }

    async fn row_by_key(&self, app_id: &str, register_id: &str, community_id: &str, key: &str) -> Result<Option<Row>> {
        let row: Option<RowRecord> = self
            .db
            .optional(
                Sql::new(format!(
                    "SELECT {ROW_COLUMNS} FROM register_rows \
                     WHERE app_id = ? AND register_id = ? AND community_id = ? AND row_key = ?"
                ))
                .bind(app_id)
                .bind(register_id)
                .bind(community_id)
                .bind(key),
            )
            .await?;
        Ok(row.map(Into::into))
    }

    async fn rows_by_keys(
        &self,
        app_id: &str,
        register_id: &str,
        community_id: &str,
        keys: &[String],
    ) -> Result<Vec<Row>> {
        let mut out = Vec::with_capacity(keys.len());
        // In slices, so that no statement carries an unbounded list.
        for chunk in keys.chunks(1000) {
            let rows: Vec<RowRecord> = self
                .db
                .all(
                    Sql::new(format!(
                        "SELECT {ROW_COLUMNS} FROM register_rows \
                         WHERE app_id = ? AND register_id = ? AND community_id = ? AND row_key IN ?"
                    ))
                    .bind(app_id)
                    .bind(register_id)
                    .bind(community_id)
                    .bind_list(chunk),
                )
                .await?;
            out.extend(rows.into_iter().map(Row::from));
        }
        Ok(out)
    }

    async fn rows(&self, q: &RowQuery) -> Result<RowPage> {
        let dialect = self.db.dialect();
        let mut clause = String::from("app_id = ? AND register_id = ? AND deleted_at IS NULL");
        if q.units.is_some() {
            clause.push_str(" AND (community_id IN ? OR grid_id IN ?)");
        }
        let words: Vec<String> = q.search.iter().flat_map(|s| s.split_whitespace()).take(8).map(like).collect();
        for _ in &words {
            clause.push_str(" AND search LIKE ? ESCAPE '\\'");
        }
        for (_, wanted) in &q.filters {
            let value = match wanted {
                Wanted::Text(_) => dialect.json_text("data", "?"),
                Wanted::Bool(_) => dialect.json_bool("data", "?"),
            };
            clause.push_str(&format!(" AND {value} = ?"));
        }
        let bind_all = |sql: Sql| {
            let mut sql = sql.bind(q.app_id.clone()).bind(q.register_id.clone());
            if let Some(units) = &q.units {
                sql = sql.bind_list(units).bind_list(units);
            }
            for w in &words {
                sql = sql.bind(w.clone());
            }
            for (field, wanted) in &q.filters {
                sql = sql.bind(field.clone());
                if let (Dialect::Postgres, Wanted::Bool(_)) = (dialect, wanted) {
                    // The key appears twice in PostgreSQL's expression.
                    sql = sql.bind(field.clone());
                }
                sql = match wanted {
                    Wanted::Text(t) => sql.bind(t.clone()),
                    Wanted::Bool(b) => sql.bind(if *b { "true" } else { "false" }),
                };
            }
            sql
        };
        let (total,): (i64,) =
            self.db.one(bind_all(Sql::new(format!("SELECT COUNT(*) FROM register_rows WHERE {clause}")))).await?;
        let order = match &q.sort {
            Some((_, desc)) => {
                let dir = if *desc { "DESC" } else { "ASC" };
                format!("{} {dir}, seq {dir}", dialect.json_value("data", "?"))
            }
            None => "seq".to_string(),
        };
        let mut sql = bind_all(Sql::new(format!(
            "SELECT {ROW_COLUMNS} FROM register_rows WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"
        )));
        if let Some((field, _)) = &q.sort {
            sql = sql.bind(field.clone());
        }
        let rows: Vec<RowRecord> = self.db.all(sql.bind(q.limit.clamp(1, PAGE_MAX)).bind(q.offset.max(0))).await?;
        Ok(RowPage { rows: rows.into_iter().map(Into::into).collect(), total })
    }

    async fn row_events(&self, row_id: &str) -> Result<Vec<RowEvent>> {
        let rows: Vec<EventRecord> = self
            .db
            .all(
                Sql::new(
                    "SELECT row_id, seq, kind, actor, at, data, prev_hash, hash FROM register_events \
                     WHERE row_id = ? ORDER BY seq",
                )
                .bind(row_id),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let kind = RowEventKind::parse(&r.kind)
                    .ok_or_else(|| Error::Conflict(format!("row event {} {} has an unknown kind", r.row_id, r.seq)))?;
                Ok(RowEvent {
                    row_id: r.row_id,
                    seq: r.seq,
                    kind,
                    actor: r.actor,
                    at: r.at,
                    data: r.data.0,
                    prev_hash: r.prev_hash,
                    hash: r.hash,
                })
            })
            .collect()
    }

    async fn rows_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, Row)>> {
        let rows: Vec<RowRecord> = self
            .db
            .all(
                Sql::new(format!("SELECT {ROW_COLUMNS} FROM register_rows WHERE seq > ? ORDER BY seq LIMIT ?"))
                    .bind(after)
                    .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.seq, Row::from(r))).collect())
    }
}

/// Why a register write was refused, for callers that match on it.
pub fn refusal(e: &Error) -> Option<(usize, &Refusal)> {
    match e {
        Error::Row { index, refusal } => Some((*index, refusal)),
        _ => None,
    }
}
