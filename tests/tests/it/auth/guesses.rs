//! Hole 4: guesses sent in parallel. A resident's code is compared at most five times and
//! used once; a staff account counts exactly five failures and locks, however many guesses
//! arrive at once.

use baida_engine::auth::session;
use baida_store::{LoginCode, OutboxItem};
use baida_tests::reqwest::StatusCode;
use baida_tests::{DEMO_PASSWORD, TestApp, both};

use super::{address, events};

/// Stores a live code for `phone`, as `/my/login` does; returns its id.
async fn code_for(app: &TestApp, phone: &str, code: &str) -> String {
    let now = app.running.state.engine.clock.now();
    let id = uuid::Uuid::now_v7().to_string();
    let login_code = LoginCode {
        id: id.clone(),
        phone: phone.into(),
        code_hash: session::digest(&format!("{id}:{code}")),
        client: "127.0.0.1".into(),
        created_at: now,
        expires_at: now + chrono::Duration::minutes(5),
        attempts: 0,
        used_at: None,
    };
    let sms = OutboxItem {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: None,
        channel: "sms".into(),
        recipient: phone.into(),
        template: "login-code".into(),
        data: serde_json::json!({"code": code, "minutes": 5}),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        delivered_at: None,
    };
    app.running.store.create_login_code(&login_code, &sms).await.expect("a code");
    id
}

/// Sends each code from its own address, all at once; the answers in the same order.
async fn guess_all(app: &TestApp, phone: &str, codes: Vec<String>) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for (n, code) in codes.into_iter().enumerate() {
        let client = app.client_from(&address(n));
        let url = app.url("/my/login/verify");
        let body = format!("phone={phone}&code={code}");
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
            r.send().await.expect("the server answers").status()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("a task"));
    }
    out
}

/// The code's tries so far, and whether it was used (it is no longer live then).
async fn tries(app: &TestApp, phone: &str) -> Option<i64> {
    let now = app.running.state.engine.clock.now();
    app.running.store.live_login_code(phone, now).await.expect("the code").map(|c| c.attempts)
}

/// Wrong guesses compared: each is a `resident.login_failed` event (naming the code; each test
/// server has only this one).
async fn compared_wrong(app: &TestApp) -> usize {
    events(app, "resident.login_failed").await.len()
}

both!(two_hundred_parallel_guesses_compare_a_code_at_most_five_times, |app: TestApp| async move {
    let phone = "13800001111";
    code_for(&app, phone, "123456").await;
    let wrong: Vec<String> = (0..200).map(|n| format!("{:06}", 200_000 + n)).collect();
    let answers = guess_all(&app, phone, wrong).await;
    assert!(answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    let reached = answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert!(
        reached > 5,
        "more guesses than a code's tries got past the rate limits ({reached}), so this tests the code's own bound"
    );
    assert_eq!(compared_wrong(&app).await, 5, "exactly five guesses were compared");
    assert_eq!(tries(&app, phone).await, Some(5));
    // The code is spent: the right one, sent afterwards, does not log in.
    let after = guess_all(&app, phone, vec!["123456".into()]).await;
    assert_ne!(after[0], StatusCode::SEE_OTHER);
    assert_eq!(tries(&app, phone).await, Some(5), "and was not compared");
    // Nobody got a session.
    assert!(events(&app, "resident.login").await.is_empty());
});

both!(a_right_code_among_parallel_wrong_ones_is_one_of_the_five_tries, |app: TestApp| async move {
    let phone = "13800002222";
    code_for(&app, phone, "654321").await;
    let mut codes: Vec<String> = (0..20).map(|n| format!("{:06}", 100_000 + n)).collect();
    codes.insert(8, "654321".into());
    let answers = guess_all(&app, phone, codes).await;
    let accepted = answers.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    let wrong = compared_wrong(&app).await;
    assert!(accepted <= 1, "{answers:?}");
    assert!(wrong + accepted <= 5, "{wrong} wrong guesses and {accepted} right one compared: {answers:?}");
    if accepted == 1 {
        assert_eq!(tries(&app, phone).await, None, "the code that logged in is used");
    }
});

both!(two_parallel_right_answers_use_a_code_once, |app: TestApp| async move {
    let phone = "13800003333";
    code_for(&app, phone, "111222").await;
    let answers = guess_all(&app, phone, vec!["111222".into(); 5]).await;
    let accepted = answers.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(accepted, 1, "one session from one code: {answers:?}");
    assert_eq!(events(&app, "resident.login").await.len(), 1);
});

both!(verify_is_limited_per_address_and_per_phone, |app: TestApp| async move {
    // One address, many phones: limited per address.
    let client = app.client_from("127.0.0.9");
    let mut limited = None;
    for n in 0..40 {
        let body = format!("phone=1380000{:04}&code=000000", 4000 + n);
        let r = client
            .post(app.url("/my/login/verify"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = limited.expect("one address is limited");
    assert!(limited.headers().contains_key("retry-after"));
    // Many addresses, one phone: limited per phone.
    let answers = guess_all(&app, "13800005555", vec!["000000".into(); 30]).await;
    assert!(answers.contains(&StatusCode::TOO_MANY_REQUESTS), "{answers:?}");
});

both!(fifty_parallel_wrong_passwords_count_five_failures_and_lock, |app: TestApp| async move {
    let mut tasks = Vec::new();
    for n in 0..50 {
        let client = app.client_from(&address(n));
        let url = app.url("/api/v1/session");
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({"login": "grid2", "password": format!("Wrong-password-{n}")});
            client.post(url).json(&body).send().await.expect("the server answers").status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let grid2 = app.running.store.credentials("grid2").await.unwrap().unwrap().user;
    let failed = events(&app, "login.failed").await;
    let failed = failed.iter().filter(|e| e.subject.as_deref() == Some(grid2.id.as_str())).count();
    assert_eq!(failed, 5, "exactly five passwords were checked");
    assert_eq!(grid2.failed_logins, 5);
    assert!(grid2.locked_until.is_some(), "locked");
    assert_eq!(events(&app, "account.locked").await.len(), 1);
    assert_eq!(events(&app, "login.locked").await.len(), 45, "the others were refused unchecked");
    // Locked: the right password is refused too.
    let r = app.client_from(&address(60)).post(app.url("/api/v1/session"));
    let r = r.json(&serde_json::json!({"login": "grid2", "password": DEMO_PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
});
