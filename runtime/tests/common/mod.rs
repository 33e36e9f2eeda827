//! Shared by the process-level tests: start `baida serve --demo` as a child process on a free
#![allow(dead_code)] // each test crate that includes this uses a part of it
//! loopback port, wait for it, and run `baida verify` on its database.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where a server keeps its data: a SQLite folder, or a PostgreSQL URL (a fresh schema).
#[derive(Clone)]
pub enum Data {
    Folder(String),
    Postgres(String),
}

impl Data {
    fn args(&self) -> Vec<String> {
        match self {
            Data::Folder(dir) => vec!["--data-dir".into(), dir.clone()],
            Data::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }
}

/// Starts `baida serve --demo` on `port` with admin token `t`.
pub fn serve(data: &Data, port: u16) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_baida"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--admin-token", "t"])
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
