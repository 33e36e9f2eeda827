//! Personal data never reaches the logs: with every log line on (TRACE, request spans
//! included) a resident files a registration with a phone and an ID number, a log-in code is
//! asked for, staff read the case; the captured log holds neither number in clear.

use std::io::Write;
use std::sync::{Arc, Mutex};

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::json;
use baida_tests::{Backend, TOKEN, spawn};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_stays_out_of_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let app = spawn(Backend::Sqlite).await;
    let phone = "13922223333";
    let id_number = "440301199001011234";
    let reg = json!({"name": "王芳", "id_number": id_number, "phone": phone, "move_in_date": "2026-01-05",
                     "address": "新洲花园 3 栋 1201", "consent": true});
    let (status, created) = app.submit("xinlin-huhang", "xinzhou", reg).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let case = format!("/api/v1/cases/{}", created["id"].as_str().unwrap());
    assert_eq!(app.get(&case).bearer_auth(TOKEN).send().await.unwrap().status(), StatusCode::OK);
    let shatou = app.login("shatou").await;
    let (_, masked) = shatou.get(&case).await;
    assert_eq!(masked["record"]["id_number"], "440301********1234");
    let r = app
        .post("/my/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("phone={phone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A tracking token and a phone number in a query or in a path are never logged (one line
    // per request names the matched route only).
    let _ = app.get("/my/cases/no-such-case?t=secret-tracking-token").send().await.unwrap();
    let _ = app.get(&format!("/a/xinzhou/xinlin-huhang?for={phone}")).send().await.unwrap();
    let _ = app.get(&format!("/my/cases/{phone}")).send().await.unwrap();
    let _ = app.get(&format!("/api/v1/vehicles/{id_number}")).send().await.unwrap();
    // Something was logged (the test would pass vacuously otherwise)…
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(log.contains("/api/v1/apps/{app}/submissions") && log.contains("139****3333"), "{log}");
    // …and neither number in clear.
    assert!(!log.contains(phone), "the phone number is in the log");
    assert!(!log.contains(id_number), "the ID number is in the log");
    assert!(log.contains("/my/cases/{id}") && !log.contains("secret-tracking-token"), "a query in the log");
    assert!(!log.contains("no-such-case") && log.contains("unmatched"), "a path in the log");
}
