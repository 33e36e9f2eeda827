//! The SQLite and PostgreSQL migrations build the same database: the same tables, the same
//! columns in each, the same indexes on the same tables. Column types differ by design (TEXT
//! for times and JSON on SQLite; TIMESTAMPTZ and JSONB on PostgreSQL) and are not compared;
//! PostgreSQL's change-feed triggers have no SQLite counterpart (SQLite's feed reads rowids).

use std::collections::BTreeMap;

use baida_tests::{Backend, spawn};
use sqlx::Row;

/// table → (sorted column names, sorted index names).
type Shape = BTreeMap<String, (Vec<String>, Vec<String>)>;

async fn sqlite_shape(url: &str) -> Shape {
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut shape = Shape::new();
    for t in tables {
        let mut columns: Vec<String> = sqlx::query(&format!("PRAGMA table_info(\"{t}\")"))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
        columns.sort();
        let mut indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_autoindex_%'",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .unwrap();
        indexes.sort();
        shape.insert(t, (columns, indexes));
    }
    shape
}

async fn postgres_shape(url: &str) -> Shape {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut shape = Shape::new();
    for t in tables {
        let mut columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .unwrap();
        columns.sort();
        // Indexes made by CREATE INDEX (a primary key's or a UNIQUE constraint's own index is
        // named by PostgreSQL, not by the migration, and SQLite names them sqlite_autoindex_*).
        let mut indexes: Vec<String> = sqlx::query_scalar(
            "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename = $1 \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = \
             (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .unwrap();
        indexes.sort();
        shape.insert(t, (columns, indexes));
    }
    shape
}

/// Tables one backend has by design: the case-number counter is a row on SQLite and a
/// `SEQUENCE` on PostgreSQL.
const SQLITE_ONLY: &[&str] = &["counters"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_build_the_same_tables_columns_and_indexes() {
    let lite = spawn(Backend::Sqlite).await;
    let pg = spawn(Backend::Postgres).await;
    let a = sqlite_shape(&lite.database_url).await;
    let b = postgres_shape(&pg.database_url).await;
    assert!(a.len() > 30, "the SQLite schema was read: {a:?}");
    let only = |x: &Shape, y: &Shape| x.keys().filter(|k| !y.contains_key(*k)).cloned().collect::<Vec<_>>();
    assert_eq!(
        (only(&a, &b), only(&b, &a)),
        (SQLITE_ONLY.iter().map(|t| t.to_string()).collect(), vec![]),
        "tables only on SQLite / only on PostgreSQL"
    );
    let mut drift = Vec::new();
    for (table, (cols_a, idx_a)) in a.iter().filter(|(t, _)| !SQLITE_ONLY.contains(&t.as_str())) {
        let (cols_b, idx_b) = &b[table];
        if cols_a != cols_b {
            drift.push(format!("{table} columns: SQLite {cols_a:?} / PostgreSQL {cols_b:?}"));
        }
        if idx_a != idx_b {
            drift.push(format!("{table} indexes: SQLite {idx_a:?} / PostgreSQL {idx_b:?}"));
        }
    }
    assert!(drift.is_empty(), "the two migration sets drifted:\n{}", drift.join("\n"));
}
