//! Crash safety of the scheduler and the outbox: the server is killed with SIGKILL while a
//! backlog of overdue SLA timers is being fired, their inbox messages delivered, and
//! departments sign cases under it. After a restart that finishes the backlog:
//!
//! - every action that got a 200 is there;
//! - no timer fired twice (each rung of each clock left at most one event) and every fired
//!   timer left exactly its event and its messages;
//! - no in-app message was delivered twice (the inbox is the exactly-once channel: the message
//!   is written in the same transaction as its successful attempt) and none was lost;
//! - every event chain verifies (`baida verify`).
//!
//! Runs against SQLite and PostgreSQL (a fresh schema at `BAIDA_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; unreachable → the test fails).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::types::Json;

use crate::common;
use common::{Data, free_port, serve, verify, wait_healthy};

/// Cases submitted before the outage; each has 4 timers on its sign step.
const CASES: usize = 400;

/// A direct connection to the server's database, for what the API does not show.
enum Db {
    Lite(SqlitePool),
    Pg(PgPool),
}

impl Db {
    async fn open(data: &Data) -> Db {
        match data {
            Data::Folder(dir) => {
                let options = SqliteConnectOptions::new().filename(format!("{dir}/baida.db"));
                Db::Lite(SqlitePool::connect_with(options).await.expect("open the SQLite database"))
            }
            Data::Postgres(url, _) => Db::Pg(PgPoolOptions::new().max_connections(2).connect(url).await.unwrap()),
        }
    }

    async fn close(self) {
        match self {
            Db::Lite(p) => p.close().await,
            Db::Pg(p) => p.close().await,
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        match self {
            Db::Lite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Moves every pending timer `by` into the past: they came due while the server was down.
    async fn backdate_timers(&self, by: chrono::Duration) -> usize {
        let sql = "SELECT id, due_at FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL";
        let timers: Vec<(String, DateTime<Utc>)> = match self {
            Db::Lite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            Db::Pg(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        };
        for (id, due) in &timers {
            match self {
                Db::Lite(p) => sqlx::query("UPDATE timers SET due_at = ? WHERE id = ?")
                    .bind(*due - by)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(drop),
                Db::Pg(p) => sqlx::query("UPDATE timers SET due_at = $1 WHERE id = $2")
                    .bind(*due - by)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(drop),
            }
            .unwrap();
        }
        timers.len()
    }

    async fn events(&self, like: &str) -> Vec<(String, String, Value)> {
        let sql = format!("SELECT case_id, kind, data FROM case_events WHERE kind LIKE '{like}'");
        let rows: Vec<(String, String, Json<Value>)> = match self {
            Db::Lite(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
            Db::Pg(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
        };
        rows.into_iter().map(|(c, k, Json(d))| (c, k, d)).collect()
    }

    async fn event_counts(&self) -> HashMap<String, i64> {
        let sql = "SELECT id, event_count FROM cases";
        let rows: Vec<(String, i64)> = match self {
            Db::Lite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            Db::Pg(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        };
        rows.into_iter().collect()
    }
}

const PENDING_SIGN_TIMERS: &str =
    "SELECT count(*) FROM timers WHERE step = 'sign' AND fired_at IS NULL AND cancelled_at IS NULL";
const PENDING_INBOX: &str = "SELECT count(*) FROM outbox WHERE channel = 'inbox' AND state = 'pending'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_while_timers_fire(Data::Folder(dir.path().to_str().unwrap().to_string())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_while_timers_fire(common::postgres(dir.path()).await).await;
}

async fn sigkill_while_timers_fire(data: Data) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // Before the outage: cases waiting to be signed, each with its sign clock running.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    wait_healthy(&client, &base).await;
    let mut ids = Vec::new();
    for i in 0..CASES {
        let answers = json!({"category": "noise", "subcategory": "construction_noise", "title": format!("第 {i} 件"),
            "description": "工地每天晚上十一点以后还在施工，噪音很大", "anonymous": false, "contact_name": "李明",
            "contact_phone": "13812345678"});
        let r = client
            .post(format!("{base}/api/v1/apps/minyi-suban/submissions"))
            .json(&json!({"community": "xinzhou", "answers": answers}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // The outage lasted a week: every rung of every sign clock is overdue.
    let db = Db::open(&data).await;
    let backlog = db.backdate_timers(chrono::Duration::days(7)).await;
    assert_eq!(backlog, CASES * 4, "each case has its 4 sign timers");
    db.close().await;

    // The server comes back and fires the backlog; departments sign cases under it; it is
    // killed in the middle.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    wait_healthy(&client, &base).await;
    let stop_at = Instant::now() + Duration::from_millis(700);
    let mut tasks = Vec::new();
    for chunk in ids.chunks(CASES / 8) {
        let (client, base, chunk) = (client.clone(), base.clone(), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut acknowledged: Vec<(String, i64)> = Vec::new();
            for id in chunk.iter().step_by(3) {
                let sent = client
                    .post(format!("{base}/api/v1/cases/{id}/actions"))
                    .bearer_auth(common::TOKEN)
                    .json(&json!({"action": "complete"}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        let case: Value = r.json().await.unwrap();
                        acknowledged.push((id.clone(), case["event_count"].as_i64().unwrap()));
                    }
                    // The scheduler moved the case at the same moment: not acknowledged.
                    Ok(r) if r.status() == 409 => {}
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep_until(stop_at.into()).await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    let db = Db::open(&data).await;
    let (timers_left, inbox_left) = (db.count(PENDING_SIGN_TIMERS).await, db.count(PENDING_INBOX).await);
    println!("killed with {timers_left} of {backlog} timers and {inbox_left} inbox messages still to go");
    assert!(timers_left + inbox_left > 0, "the kill came in the middle of the backlog");

    // A restart finishes the backlog.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    wait_healthy(&client, &base).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while db.count(PENDING_SIGN_TIMERS).await + db.count(PENDING_INBOX).await > 0 {
        assert!(Instant::now() < deadline, "the backlog was not finished after a restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // No acknowledged action was lost.
    let counts = db.event_counts().await;
    for (id, count) in &acknowledged {
        assert!(counts[id] >= *count, "the acknowledged signing of {id} was lost");
    }
    // No timer fired twice: at most one event per rung of each clock...
    let escalations = db.events("sla.%").await;
    let mut seen = HashSet::new();
    for (case, kind, data) in &escalations {
        let key = (case.clone(), kind.clone(), data["step"].to_string(), data["due_at"].to_string());
        assert!(seen.insert(key), "{kind} of case {case} fired twice: {data}");
    }
    // ... and every fired timer left exactly its event and its messages.
    let fired = db.count("SELECT count(*) FROM timers WHERE step = 'sign' AND fired_at IS NOT NULL").await;
    assert_eq!(fired as usize, escalations.len(), "one event per fired timer");
    let messages: usize = escalations.iter().map(|(_, _, d)| d["to"].as_array().map_or(0, Vec::len)).sum();
    let queued = db.count("SELECT count(*) FROM outbox WHERE channel = 'inbox' AND template LIKE 'sla.%'").await;
    assert_eq!(queued as usize, messages, "one message per recipient of each escalation");
    // No in-app message delivered twice or lost.
    let twice = db
        .count(
            "SELECT count(*) FROM (SELECT outbox_id FROM deliveries WHERE ok GROUP BY outbox_id HAVING count(*) > 1) d",
        )
        .await;
    assert_eq!(twice, 0, "a message was delivered twice");
    let unwritten = db
        .count(
            "SELECT count(*) FROM outbox o WHERE o.channel = 'inbox' \
             AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = o.id)",
        )
        .await;
    assert_eq!(unwritten, 0, "every in-app message is in its inbox");
    let inbox = db.count("SELECT count(*) FROM inbox").await;
    let delivered = db.count("SELECT count(*) FROM outbox WHERE channel = 'inbox' AND state = 'delivered'").await;
    assert_eq!(inbox, delivered, "an inbox row for each delivered message, and no other");
    db.close().await;

    let report = verify(&data);
    println!(
        "{} acknowledged signings kept; {fired} timers fired once each, {} escalation events, {inbox} inbox messages, none twice; {report}",
        acknowledged.len(),
        escalations.len()
    );
}
