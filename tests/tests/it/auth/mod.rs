//! Log-in and accounts under attack (issue 15, holes 4, 6 and 7 and their low neighbours):
//! parallel guesses of a resident's code and of a staff password, the admin token, accounts
//! that reach further than their manager, tokens that outlive their creator's roles, where
//! `next` may send a browser, password changes under a stolen session, and log-in names.
//! Every test runs on SQLite and PostgreSQL.

mod accounts;
mod guesses;
mod tokens;

use baida_tests::TestApp;
use baida_tests::serde_json::Value;

/// The security events of one kind, newest first, read from the store (a flood of events
/// would not fit one API page).
async fn events(app: &TestApp, kind: &str) -> Vec<baida_store::SecurityEvent> {
    let tree = app.running.state.engine.org_tree().await.expect("the org tree");
    let units: Vec<String> = tree.keys().cloned().collect();
    let all = app.running.store.security_events(&units, true, None, 10_000).await.expect("events");
    all.into_iter().filter(|e| e.kind == kind).collect()
}

/// A client from the `n`th of many loopback addresses (127.0.1.1, 127.0.1.2, …), so that
/// per-address limits do not hide what a per-code or per-account bound does.
fn address(n: usize) -> String {
    format!("127.0.{}.{}", 1 + n / 250, 1 + n % 250)
}

/// The `id` of a JSON object.
fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}
