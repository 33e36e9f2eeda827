//! The ledger from outside the server process: the independent verifier in
//! `examples/ledger-verify` (Python, standard library only, no code shared with the server)
//! checks a running server's log, heads and proofs; the server is killed with SIGKILL while
//! entries are booked, and afterwards every entry has its leaf and every leaf its entry
//! (`baida ledger verify`); a row edited in the database is named by `baida ledger verify`.
//!
//! The SIGKILL test runs against SQLite and PostgreSQL (a fresh schema at
//! `BAIDA_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`; unreachable →
//! the test fails, it never skips).

use std::process::Command;
use std::time::{Duration, Instant};

use baida_core::ledger::merkle;

use crate::common;
use common::{Data, free_port, serve, wait_healthy};

fn verifier() -> String {
    format!("{}/../examples/ledger-verify/verify.py", env!("CARGO_MANIFEST_DIR"))
}

fn python(args: &[&str]) -> (bool, String) {
    let out = Command::new("python3").arg(verifier()).args(args).output().expect("python3 runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn ledger_verify(data: &Data) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baida"))
        .args(["ledger", "verify"])
        .args(data.args())
        .env_remove("BAIDA_DATABASE_URL")
        .env_remove("BAIDA_DATA_DIR")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn the_independent_verifier_agrees_with_the_server_on_every_root() {
    let (ok, text) = python(&["--self-test"]);
    assert!(ok, "{text}");
    let (ok, text) = python(&["--roots", "64"]);
    assert!(ok, "{text}");
    let leaves: Vec<merkle::Hash> = (0..64u32).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
    let theirs: Vec<&str> = text.lines().collect();
    assert_eq!(theirs.len(), 64);
    for (n, root) in theirs.iter().enumerate() {
        assert_eq!(*root, hex::encode(merkle::root(&leaves[..=n])), "root of {} leaves", n + 1);
    }
}

async fn import(client: &reqwest::Client, base: &str, rows: usize, tag: usize) -> reqwest::Result<u16> {
    let mut csv = String::from("date,direction,amount,counterparty,purpose\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "2026-11-0{},income,{}.{:02},业主 {tag},物业费 {tag}-{i}\n",
            1 + i % 9,
            100 + i,
            i % 100
        ));
    }
    client
        .post(format!("{base}/api/v1/communities/xinzhou/ledger/imports?account=property_fees"))
        .bearer_auth(common::TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .map(|r| r.status().as_u16())
}

/// Sets an entry's amount behind the server's back, directly in the database.
async fn edit_amount(data: &Data, offset: i64) -> String {
    let (pick, edit) = (
        format!("SELECT id FROM ledger_entries ORDER BY leaf_index LIMIT 1 OFFSET {offset}"),
        "UPDATE ledger_entries SET amount_fen = 1 WHERE id = ",
    );
    match data {
        Data::Folder(dir) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{dir}/baida.db")).await.unwrap();
            let (id,): (String,) = sqlx::query_as(&pick).fetch_one(&pool).await.unwrap();
            sqlx::query(&format!("{edit}?")).bind(&id).execute(&pool).await.unwrap();
            pool.close().await;
            id
        }
        Data::Postgres(url, _) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let (id,): (String,) = sqlx::query_as(&pick).fetch_one(&pool).await.unwrap();
            sqlx::query(&format!("{edit}$1")).bind(&id).execute(&pool).await.unwrap();
            pool.close().await;
            id
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    verified_from_outside_through_sigkill(Data::Folder(dir.path().to_str().unwrap().to_string())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    verified_from_outside_through_sigkill(common::postgres(dir.path()).await).await;
}

/// SIGKILL while entries are booked leaves each entry with its leaf or neither; the
/// independent verifier checks the server afterwards; an edited row is named.
async fn verified_from_outside_through_sigkill(data: Data) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    wait_healthy(&client, &base).await;

    // Entries are booked as fast as the server takes them; it is killed under them.
    let (base2, stop_at) = (base.clone(), Instant::now() + Duration::from_millis(800));
    let booking = client.clone();
    let booker = tokio::spawn(async move {
        let client = booking;
        let mut acknowledged = 0;
        for tag in 0.. {
            if Instant::now() > stop_at + Duration::from_secs(3) {
                break;
            }
            match import(&client, &base2, 5, tag).await {
                Ok(201) => acknowledged += 5,
                Ok(other) => panic!("unexpected {other}"),
                Err(_) => break,
            }
        }
        acknowledged
    });
    tokio::time::sleep_until(stop_at.into()).await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let acknowledged = booker.await.unwrap();
    assert!(acknowledged > 0, "the load ran");

    // Entries and leaves are both there or both not.
    let (ok, report) = ledger_verify(&data);
    assert!(ok && report.contains(": 0 problem(s)"), "{report}");

    // Back up: the independent verifier checks the log, the signed head and every entry's proof.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    wait_healthy(&client, &base).await;
    let books: serde_json::Value =
        client.get(format!("{base}/api/v1/communities/xinzhou/ledger")).send().await.unwrap().json().await.unwrap();
    let booked = books["accounts"].as_array().unwrap().iter().map(|a| a["entries"].as_i64().unwrap()).sum::<i64>();
    assert!(
        booked as usize >= acknowledged + 5,
        "every acknowledged entry is kept ({booked} for {acknowledged} + 5 demo)"
    );
    let (ok, text) = python(&[&base, "xinzhou", "--since", "3"]);
    assert!(ok, "{text}");
    assert!(text.contains("OK:"), "{text}");
    println!("{acknowledged} acknowledged entries kept through SIGKILL; {report}; verifier: {text}");
    server.kill().unwrap();
    server.wait().unwrap();

    // An amount edited in the database is named, with its entry.
    let id = edit_amount(&data, 6).await;
    let (ok, report) = ledger_verify(&data);
    assert!(!ok, "{report}");
    assert!(report.contains(&format!("FIRST: entry {id}: entry {id}")) && report.contains("amount_fen"), "{report}");
}
