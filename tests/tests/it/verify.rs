//! The event log is tamper-evident on both backends: editing, deleting or reordering events
//! directly in the database is found, with the case and the event named.

use baida_engine::event::Break;
use baida_engine::verify::verify_all;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::json;
use baida_tests::{Backend, TestApp, both, minyi_answers};

pub(crate) async fn exec(app: &TestApp, sql: &str, case_id: &str) {
    match app.backend {
        Backend::Sqlite => {
            let db = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            sqlx::query(&sql.replace("$1", "?")).bind(case_id).execute(&db).await.unwrap();
            db.close().await;
        }
        Backend::Postgres => {
            let db = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            sqlx::query(sql).bind(case_id).execute(&db).await.unwrap();
            db.close().await;
        }
    }
}

both!(tampering_with_events_is_detected, |app: TestApp| async move {
    let mut ids = Vec::new();
    for i in 0..4 {
        let mut a = minyi_answers();
        a["title"] = json!(format!("第 {i} 件"));
        let (status, body) = app.submit("minyi-suban", "xinzhou", a).await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let store = app.running.store.clone();
    assert!(verify_all(store.as_ref()).await.unwrap().broken.is_empty());

    let edit = match app.backend {
        Backend::Sqlite => {
            "UPDATE case_events SET data = json_set(data, '$.record.title', '改过') WHERE case_id = $1 AND seq = 1"
        }
        Backend::Postgres => {
            "UPDATE case_events SET data = jsonb_set(data, '{record,title}', '\"改过\"') WHERE case_id = $1 AND seq = 1"
        }
    };
    exec(&app, edit, &ids[0]).await;
    exec(&app, "DELETE FROM case_events WHERE case_id = $1 AND seq = 3", &ids[1]).await;
    exec(&app, "DELETE FROM case_events WHERE case_id = $1 AND seq = 1", &ids[2]).await;
    exec(&app, "UPDATE case_events SET seq = -seq WHERE case_id = $1 AND seq IN (1, 2)", &ids[3]).await;
    exec(&app, "UPDATE case_events SET seq = 3 + seq WHERE case_id = $1 AND seq < 0", &ids[3]).await;

    let report = verify_all(store.as_ref()).await.unwrap();
    let why = |id: &str| report.broken.iter().find(|b| b.case_id == id).map(|b| b.why.clone());
    assert_eq!(why(&ids[0]), Some(Break::Content { seq: 1 }), "edited");
    assert!(matches!(why(&ids[1]), Some(Break::Head { expected_count: 3, found_count: 2 })), "last event deleted");
    assert_eq!(why(&ids[2]), Some(Break::Sequence { expected: 1, found: 2 }), "first event deleted");
    assert!(why(&ids[3]).is_some(), "reordered");
    assert_eq!(report.broken.len(), 4);
});
