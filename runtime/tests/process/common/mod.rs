//! Shared by the process-level tests: start `baida serve --demo` as a child process on a free
#![allow(dead_code)] // each test crate that includes this uses a part of it
//! loopback port, wait for it, and run `baida verify` on its database.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where a server keeps its data: a SQLite folder, or a PostgreSQL URL (a fresh schema) and
/// a folder for the rest (the ledger's signing key, photos).
#[derive(Clone)]
pub enum Data {
    Folder(String),
    Postgres(String, String),
}

impl Data {
    pub fn args(&self) -> Vec<String> {
        match self {
            Data::Folder(dir) => vec!["--data-dir".into(), dir.clone()],
            Data::Postgres(url, dir) => vec!["--database-url".into(), url.clone(), "--data-dir".into(), dir.clone()],
        }
    }
}

/// A fresh schema at `BAIDA_TEST_DATABASE_URL` (default
/// `postgres://postgres@127.0.0.1:5432/test`) with `dir` for files. PostgreSQL unreachable:
/// the test fails, it never skips.
pub async fn postgres(dir: &std::path::Path) -> Data {
    let base =
        std::env::var("BAIDA_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {base} is not reachable ({e}); the PostgreSQL process tests cannot run")
    });
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.unwrap();
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Data::Postgres(format!("{base}{sep}options=-c%20search_path%3D{schema}"), dir.to_str().unwrap().to_string())
}

/// The admin token of the servers these tests start.
pub const TOKEN: &str = "process-test-admin-token-0123456789";

/// Starts `baida serve --demo` on `port` with admin token [`TOKEN`].
pub fn serve(data: &Data, port: u16) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_baida"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--admin-token", TOKEN])
        // One client address submits as fast as it can: no per-client limit.
        .args(["--public-submissions-per-minute", "0"])
        .args(data.args())
        .env_remove("BAIDA_DATABASE_URL")
        .env_remove("BAIDA_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("baida starts")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up at {base}");
}

/// Runs `baida verify`; panics unless every chain verifies. Returns its report.
pub fn verify(data: &Data) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_baida"))
        .arg("verify")
        .args(data.args())
        .env_remove("BAIDA_DATABASE_URL")
        .env_remove("BAIDA_DATA_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && text.contains(": 0 broken"), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}
