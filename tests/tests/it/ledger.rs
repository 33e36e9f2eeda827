//! The open community ledger end to end, on SQLite and PostgreSQL: a spending through
//! 提-评-决-付 into the public books with its decision trail and a proof; a rejected proposal
//! and a vote below quorum that book nothing; a vote that passes; imports and the year-end
//! rule; and rows edited, moved or deleted behind the server's back, found by the verifier
//! with the exact entry, while the server refuses to sign over them.
//!
//! Kept whole (over 500 lines): the scenarios share one funded community and follow the
//! ledger's life in order.

use std::sync::Arc;

use baida_core::ledger::merkle;
use baida_engine::ManualClock;
use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, Staff, TestApp, both, fixture, spawn, spawn_with};
use chrono::{Duration, Utc};

fn proposal(amount: &str) -> Value {
    json!({"item": "更换 3 栋电梯钢丝绳", "reasons": "钢丝绳磨损超标，维保单位建议更换", "account": "maintenance_fund",
           "amount": amount, "payee": "深圳市安达电梯工程有限公司"})
}

async fn propose(admin: &Staff, amount: &str) -> String {
    let (status, created) = admin
        .post("/api/v1/apps/ti-ping-jue-fu/submissions", json!({"community": "xinzhou", "answers": proposal(amount)}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

async fn complete(staff: &Staff, id: &str, answers: Value) -> Value {
    let (status, case) =
        staff.post(&format!("/api/v1/cases/{id}/actions"), json!({"action": "complete", "answers": answers})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

async fn books(app: &TestApp) -> Value {
    let r = app.get("/api/v1/communities/xinzhou/ledger").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn entry_of<'a>(books: &'a Value, case: &str) -> Option<&'a Value> {
    books["entries"].as_array().unwrap().iter().find(|e| e["case_id"] == case)
}

fn balance(books: &Value, account: &str) -> String {
    books["accounts"].as_array().unwrap().iter().find(|a| a["account"] == account).unwrap()["balance_yuan"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn spending_goes_through_propose_review_decide_pay(app: TestApp) {
    let admin = app.login("xinzhou").await;
    let before = balance(&books(&app).await, "maintenance_fund");
    assert_eq!(before, "120000.00", "the demo's maintenance fund");

    // Proposed, reviewed, decided, paid with a receipt: booked at once, with its trail.
    let id = propose(&admin, "12800.50").await;
    let case = complete(&admin, &id, json!({"decision": "approve"})).await;
    assert_eq!(case["current_step"], "decide");
    let case = complete(&admin, &id, json!({"decision": "approve"})).await;
    assert_eq!(case["current_step"], "pay");
    // A photo someone else uploaded cannot be made evidence (it would become public).
    let foreign = app.upload(&fixture("photo-gps.jpg")).await;
    let (status, p) = admin
        .post(
            &format!("/api/v1/cases/{id}/actions"),
            json!({"action": "complete", "answers": {"receipts": [foreign], "payment_note": "转账已完成"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "unknown_photo", "{p}");
    let receipt = admin.upload(&fixture("photo.png")).await;
    let case = complete(&admin, &id, json!({"receipts": [receipt], "payment_note": "转账已完成"})).await;
    assert_eq!(case["status"], "closed", "{case}");
    let b = books(&app).await;
    let entry = entry_of(&b, &id).expect("the spending is in the books");
    assert_eq!(entry["amount"], "12800.50");
    assert_eq!(entry["direction"], "expense");
    assert_eq!(entry["account"], "maintenance_fund");
    assert_eq!(entry["evidence"], json!([receipt]));
    // Evidence is on the public books: anyone may see the receipt, and caches may keep it.
    let served = baida_tests::reqwest::Client::new().get(app.url(&format!("/photos/{receipt}"))).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert!(served.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    assert_eq!(balance(&b, "maintenance_fund"), "107199.50", "the balance is the sum of the entries");
    let trail: Vec<String> =
        entry["trail"].as_array().unwrap().iter().map(|s| s["what"]["zh-CN"].as_str().unwrap().to_string()).collect();
    assert!(trail.iter().any(|t| t.contains("评议：approve")), "{trail:?}");
    assert!(trail.iter().any(|t| t.contains("决定：approve")), "{trail:?}");
    assert!(trail.iter().any(|t| t.contains("记账 ¥12800.50")), "{trail:?}");
    // The public books show the title, not the proposal's text or the answers.
    let text = b.to_string();
    assert!(!text.contains("钢丝绳磨损超标") && !text.contains("转账已完成"), "{text}");

    // Its proof verifies against the signed head.
    let entry_id = entry["id"].as_str().unwrap();
    let proof: Value =
        app.get(&format!("/api/v1/ledger/entries/{entry_id}/proof")).send().await.unwrap().json().await.unwrap();
    let hex = |s: &Value| -> merkle::Hash {
        let s = s.as_str().unwrap();
        std::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
    };
    let leaf = merkle::leaf_hash(proof["leaf_data"].as_str().unwrap().as_bytes());
    let path: Vec<merkle::Hash> = proof["proof"].as_array().unwrap().iter().map(hex).collect();
    let head = &proof["head"];
    assert!(merkle::verify_inclusion(
        proof["leaf_index"].as_u64().unwrap(),
        head["tree_size"].as_u64().unwrap(),
        &leaf,
        &path,
        &hex(&head["root_hash"]),
    ));

    // Rejected at review: closed, nothing booked.
    let rejected = propose(&admin, "300").await;
    let case =
        complete(&admin, &rejected, json!({"decision": "reject", "committee_comment": "已有保修，不需支出"})).await;
    assert_eq!(case["status"], "closed");
    let b = books(&app).await;
    assert!(entry_of(&b, &rejected).is_none(), "a rejected proposal books nothing");
    assert_eq!(balance(&b, "maintenance_fund"), "107199.50");
    // Approving without saying how many may vote is refused for a large amount.
    let large = propose(&admin, "80000").await;
    let (status, problem) = admin
        .post(
            &format!("/api/v1/cases/{large}/actions"),
            json!({"action": "complete", "answers": {"decision": "approve"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("eligible_voters"), "{problem}");

    // The page shows it; the exports carry it.
    let html = app.get("/ledger/xinzhou").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("12800.50") && html.contains("决策过程") && html.contains("签名树头"), "{html}");
    let csv = app.get("/api/v1/communities/xinzhou/ledger/entries.csv").send().await.unwrap().bytes().await.unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 with a BOM");
    assert!(String::from_utf8_lossy(&csv).contains("12800.50"));
    let xlsx = app.get("/api/v1/communities/xinzhou/ledger/entries.xlsx").send().await.unwrap().bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip");
    let r = app.get("/api/v1/communities/nowhere/ledger").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
both!(spending, spending_goes_through_propose_review_decide_pay);

/// The reference app with staff voters, so a test can cast several ballots.
async fn with_staff_voters(app: &TestApp) {
    let doc = std::fs::read_to_string(format!(
        "{}/../templates-library/apps/ti-ping-jue-fu.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut def: Value = serde_json::from_str(&doc).unwrap();
    def["version"] = json!("1.1.0");
    for step in def["steps"].as_array_mut().unwrap() {
        if step["id"] == "vote" {
            step["config"]["who"] = json!(["community_admin", "street_admin", "district_admin"]);
        }
    }
    let r = app.post("/api/v1/apps").bearer_auth(baida_tests::TOKEN).json(&def).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

async fn vote(staff: &Staff, id: &str, choice: &str) -> (StatusCode, Value) {
    staff.post(&format!("/api/v1/cases/{id}/vote"), json!({"choice": choice})).await
}

async fn votes_need_a_quorum(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    with_staff_voters(&app).await;
    let admin = app.login("xinzhou").await;
    let (street, grid) = (app.login("shatou").await, app.login("grid1").await);

    // Below quorum: 2 of 10 vote, the time runs out, nothing is paid.
    let short = propose(&admin, "60000").await;
    let case = complete(&admin, &short, json!({"decision": "approve", "eligible_voters": 10})).await;
    assert_eq!(case["current_step"], "vote");
    assert_eq!(vote(&admin, &short, "yes").await.0, StatusCode::OK);
    assert_eq!(vote(&street, &short, "yes").await.0, StatusCode::OK);
    let (status, again) = vote(&street, &short, "no").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "one ballot each: {again}");
    let (status, _) = vote(&grid, &short, "yes").await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "a grid worker has no vote here");
    clock.advance(Duration::days(8));
    app.running.state.engine.fire_due_timers(100).await.unwrap();
    // A week later everyone logs in again.
    let (admin, street, district) =
        (app.login("xinzhou").await, app.login("shatou").await, app.login("district").await);
    let (_, case) = admin.get(&format!("/api/v1/cases/{short}")).await;
    assert_eq!(case["status"], "closed", "{case}");
    assert_eq!(case["record"]["vote_result"], "no_quorum");
    assert!(entry_of(&books(&app).await, &short).is_none(), "no quorum, no payment");

    // Everyone votes: the vote closes at once and the spending goes on to be paid.
    let passed = propose(&admin, "60000").await;
    complete(&admin, &passed, json!({"decision": "approve", "eligible_voters": 3})).await;
    vote(&admin, &passed, "yes").await;
    vote(&street, &passed, "yes").await;
    let (status, counted) = vote(&district, &passed, "no").await;
    assert_eq!(status, StatusCode::OK, "{counted}");
    assert_eq!(counted["current_step"], "pay", "{counted}");
    let receipt = admin.upload(&fixture("photo.png")).await;
    complete(&admin, &passed, json!({"receipts": [receipt]})).await;
    let b = books(&app).await;
    let entry = entry_of(&b, &passed).expect("booked");
    let trail = entry["trail"].to_string();
    assert!(trail.contains("赞成 2 反对 1 弃权 0，通过"), "{trail}");
    assert_eq!(balance(&b, "maintenance_fund"), "60000.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_on_sqlite() {
    votes_need_a_quorum(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_on_postgres() {
    votes_need_a_quorum(Backend::Postgres).await;
}

async fn db(app: &TestApp) -> Db {
    match app.backend {
        Backend::Sqlite => Db::Lite(sqlx::SqlitePool::connect(&app.database_url).await.unwrap()),
        Backend::Postgres => Db::Pg(sqlx::PgPool::connect(&app.database_url).await.unwrap()),
    }
}

enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn exec(&self, sqlite: &str, postgres: &str) {
        match self {
            Db::Lite(p) => sqlx::query(sqlite).execute(p).await.map(drop),
            Db::Pg(p) => sqlx::query(postgres).execute(p).await.map(drop),
        }
        .unwrap();
    }
}

async fn tampering_is_found_with_the_exact_entry(app: TestApp) {
    let admin = app.login("xinzhou").await;
    let csv = "date,direction,amount,counterparty,purpose\n2026-11-02,income,1500.00,一楼商铺,外墙广告位\n\
               2026-11-03,expense,420.50,清洁公司,公共区域消毒\n2026-11-04,income,88.00,快递柜,场地费\n";
    let r = admin
        .client
        .post(app.url("/api/v1/communities/xinzhou/ledger/imports?account=public_income"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let booked: Value = r.json().await.unwrap();
    let ids: Vec<String> = booked.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    // A bad row books nothing, and says which line.
    let r = admin
        .client
        .post(app.url("/api/v1/communities/xinzhou/ledger/imports?account=public_income"))
        .header("content-type", "text/csv")
        .body("date,direction,amount,counterparty,purpose\n2026-11-05,income,10.00,甲,乙\n2026-11-06,income,1.234,丙,丁\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("第 3 行"));
    // Year-end: 30% of public income's surplus goes to the community fund, once.
    let (status, moved) = admin.post("/api/v1/communities/xinzhou/ledger/year-end", json!({"year": 2026})).await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    // Demo public income 55,280.50 + 1,500 + 88 − 420.50 = 56,448.00; 30% = 16,934.40.
    assert_eq!(moved[0]["amount"], "16934.40", "{moved}");
    let (status, _) = admin.post("/api/v1/communities/xinzhou/ledger/year-end", json!({"year": 2026})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "only once a year");
    // An outsider may not import into xinzhou's books.
    let other = app.login("tianan").await;
    let (status, _) = other.post("/api/v1/communities/xinzhou/ledger/year-end", json!({"year": 2025})).await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));

    let ledger = &app.running.state.ledger;
    ledger.seal().await.unwrap();
    let clean = ledger.verify().await.unwrap();
    assert!(clean.ok(), "{:?}", clean.findings);
    let db = db(&app).await;
    let e1 = &ids[1];

    // Changed: an amount, one fen.
    db.exec(
        &format!("UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = '{e1}'"),
        &format!("UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = '{e1}'"),
    )
    .await;
    let report = ledger.verify().await.unwrap();
    let first = report.first().expect("found");
    assert_eq!(first.entry.as_deref(), Some(e1.as_str()), "{:?}", report.findings);
    assert!(first.message.en().contains("changed: amount_fen"), "{}", first.message.en());
    // New entries still come in, but no head is signed over a log that does not verify.
    let size = ledger.head().await.unwrap().unwrap().tree_size;
    let r = admin
        .client
        .post(app.url("/api/v1/communities/xinzhou/ledger/imports?account=property_fees"))
        .header("content-type", "text/csv")
        .body("date,direction,amount,counterparty,purpose\n2026-11-07,income,99.00,业主,物业费\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(ledger.seal().await.is_err());
    let r = app.get("/api/v1/ledger/head").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.running.store.latest_head().await.unwrap().unwrap().tree_size, size, "nothing new signed");
    db.exec(
        &format!("UPDATE ledger_entries SET amount_fen = amount_fen - 1 WHERE id = '{e1}'"),
        &format!("UPDATE ledger_entries SET amount_fen = amount_fen - 1 WHERE id = '{e1}'"),
    )
    .await;
    assert!(ledger.verify().await.unwrap().ok());

    // Reordered: two entries swap places.
    let (l1, l2) = (booked[1]["leaf_index"].as_i64().unwrap(), booked[2]["leaf_index"].as_i64().unwrap());
    let swap = |a: i64, b: i64| {
        [
            format!("UPDATE ledger_entries SET leaf_index = -1 WHERE leaf_index = {a}"),
            format!("UPDATE ledger_entries SET leaf_index = {a} WHERE leaf_index = {b}"),
            format!("UPDATE ledger_entries SET leaf_index = {b} WHERE leaf_index = -1"),
        ]
    };
    for sql in swap(l1, l2) {
        db.exec(&sql, &sql).await;
    }
    let report = ledger.verify().await.unwrap();
    let first = report.first().expect("found");
    assert_eq!(first.entry.as_deref(), Some(e1.as_str()), "{:?}", report.findings);
    assert!(first.message.en().contains("was moved"), "{}", first.message.en());
    for sql in swap(l1, l2) {
        db.exec(&sql, &sql).await;
    }
    assert!(ledger.verify().await.unwrap().ok());

    // Removed.
    db.exec(
        &format!("DELETE FROM ledger_entries WHERE id = '{e1}'"),
        &format!("DELETE FROM ledger_entries WHERE id = '{e1}'"),
    )
    .await;
    let report = ledger.verify().await.unwrap();
    let first = report.first().expect("found");
    assert_eq!(first.entry.as_deref(), Some(e1.as_str()));
    assert!(first.message.en().contains("was removed"), "{}", first.message.en());

    // Inserted outside the log.
    let stray = "INSERT INTO ledger_entries (id, leaf_index, account_id, community_id, direction, amount_fen, booked_on, \
         counterparty, purpose, evidence, case_id, source, created_by, created_at) VALUES ('stray', 99999, \
         'xinzhou/public_income', 'xinzhou', 'expense', 100000, '2026-11-05', '某人', '无据支出', '[]', NULL, 'import', 'x', \
         '2026-11-05T00:00:00Z')";
    db.exec(stray, stray).await;
    let report = ledger.verify().await.unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.entry.as_deref() == Some("stray") && f.message.en().contains("inserted outside"))
    );
}
both!(tampering, tampering_is_found_with_the_exact_entry);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_books_are_open_to_all() {
    let app = spawn(Backend::Sqlite).await;
    let r = app.get("/ledger/xinzhou").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("公开账本") && html.contains("186400.00"), "{html}");
    let r = app.get("/ledger/xinzhou?lang=en").send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Open ledger"));
    let r = app.get("/ledger/nowhere").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// POSTs a form as the page would.
async fn post_form(
    app: &TestApp,
    client: &baida_tests::reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn page(app: &TestApp, client: &baida_tests::reqwest::Client, path: &str) -> String {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

async fn comment(app: &TestApp, client: &baida_tests::reqwest::Client, id: &str, text: &str) -> (StatusCode, Value) {
    let r = client
        .post(app.url(&format!("/api/v1/cases/{id}/comments")))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Residents read the proposals, register their home, comment while the proposal is reviewed
/// (not before logging in, not once it is being paid), and confirmed owners vote with the
/// page's form; a vote below quorum shows its counts and "no quorum". No resident's personal
/// data on any public page.
async fn residents_comment_and_vote(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = spawn_with(backend, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let admin = app.login("xinzhou").await;
    let id = propose(&admin, "12800.50").await;
    let path = format!("/ledger/xinzhou/proposals/{id}");

    // Anyone reads the list (linked from the books) and the proposal: what, why, amount, stage.
    assert!(page(&app, &app.client, "/ledger/xinzhou").await.contains("/ledger/xinzhou/proposals"));
    let list = page(&app, &app.client, "/ledger/xinzhou/proposals").await;
    assert!(list.contains("更换 3 栋电梯钢丝绳") && list.contains(&path), "{list}");
    let html = page(&app, &app.client, &path).await;
    assert!(html.contains("钢丝绳磨损超标") && html.contains("12800.50") && html.contains("评议"), "{html}");
    assert!(html.contains("登录后发表评论"), "{html}");

    // Logged out: the form goes to the log-in, the API answers 401.
    let anonymous = app.client_from("127.0.0.3");
    let (status, location, _) = post_form(&app, &anonymous, &format!("{path}/comments"), &[("text", "路过")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/my/login?next={path}").as_str()));
    let (status, problem) = comment(&app, &app.client, &id, "路过").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("login_required")), "{problem}");

    // Logged in without a home here: refused, and told where to register.
    let resident = app.resident("13900001111").await;
    let (status, problem) = comment(&app, &resident, &id, "我觉得可以").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, _, html) = post_form(&app, &resident, &format!("{path}/comments"), &[("text", "我觉得可以")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("我觉得可以") && html.contains("/my/home?next="), "the draft is kept: {html}");
    let (status, location, _) = post_form(
        &app,
        &resident,
        "/my/home",
        &[("community", "xinzhou"), ("building", "3号楼"), ("room", "1201"), ("next", &path)],
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, path.as_str()));
    let (status, _, _) =
        post_form(&app, &resident, "/my/home", &[("community", "nowhere"), ("building", "3"), ("room", "1")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no such community");

    // Bad comments change nothing; a good one is on the page, by label only, and in the
    // committee's timeline.
    let (status, problem) = comment(&app, &resident, &id, "   ").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("comment_empty")));
    let (status, problem) = comment(&app, &resident, &id, &"长".repeat(2001)).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("comment_too_long")));
    let r = resident
        .post(app.url(&format!("/api/v1/cases/{id}/comments?lang=en")))
        .json(&json!({"text": ""}))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Write something first"));
    let (status, location, _) =
        post_form(&app, &resident, &format!("{path}/comments"), &[("text", "同意更换，施工时请注意安全")]).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("{path}#comments")));
    let (status, c) = comment(&app, &resident, &id, "建议多比较一家报价").await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["author"], "居民 · 3号楼");
    let html = page(&app, &app.client, &path).await;
    assert!(html.contains("同意更换，施工时请注意安全") && html.contains("居民 · 3号楼"), "{html}");
    let (_, listed) = admin.get(&format!("/api/v1/cases/{id}/comments")).await;
    assert_eq!(listed["comments"].as_array().unwrap().len(), 2, "{listed}");
    let r = admin.client.get(app.url(&format!("/work/cases/{id}"))).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("同意更换，施工时请注意安全"), "the committee sees it when reviewing");
    let (_, events) = admin.get(&format!("/api/v1/cases/{id}/events")).await;
    let kinds = events.to_string().matches("comment.added").count();
    assert_eq!(kinds, 2, "two comments are two events of the case's chain: {events}");
    let me = app.running.store.resident("13900001111", app.running.state.engine.clock.now()).await.unwrap();
    for public in [html, list, listed.to_string(), page(&app, &app.client, "/ledger/xinzhou").await] {
        for private in ["13900001111", "139****1111", "1201", me.id.as_str(), "resident:"] {
            assert!(!stands_alone(&public, private), "{private} is public");
        }
    }

    // Too many comments at once: 429, the others unaffected.
    let mut limited = None;
    for i in 0..5 {
        let (status, problem) = comment(&app, &resident, &id, &format!("第 {i} 条")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(problem);
            break;
        }
    }
    assert_eq!(limited.expect("limited")["code"], "rate_limited");
    let (status, _) = admin.post(&format!("/api/v1/cases/{id}/comments"), json!({"text": "业委会将于周五评议"})).await;
    assert_eq!(status, StatusCode::CREATED, "the committee replies");

    // Reviewed and decided: at payment, comments are closed.
    complete(&admin, &id, json!({"decision": "approve"})).await;
    complete(&admin, &id, json!({"decision": "approve"})).await;
    let other = app.resident("13900002222").await;
    post_form(&app, &other, "/my/home", &[("community", "xinzhou"), ("building", "5号楼"), ("room", "301")]).await;
    let (status, problem) = comment(&app, &other, &id, "还来得及吗").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("comments_closed")));
    assert!(page(&app, &other, &path).await.contains("不再接受评论"));

    // A large amount goes to the owners' vote: only a confirmed owner gets the ballot.
    let large = propose(&admin, "60000").await;
    complete(&admin, &large, json!({"decision": "approve", "eligible_voters": 3})).await;
    let vpath = format!("/ledger/xinzhou/proposals/{large}");
    let html = page(&app, &other, &vpath).await;
    assert!(html.contains("只有经社区确认的本社区业主可以投票") && !html.contains(r#"id="ballot""#), "{html}");
    let (status, _, _) = post_form(&app, &other, &format!("{vpath}/ballot"), &[("choice", "yes")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not confirmed yet");
    let (_, owners) = app.admin_get("/api/v1/communities/xinzhou/owners").await;
    let theirs = owners.as_array().unwrap().iter().find(|o| o["building"] == "5号楼").unwrap();
    assert_eq!(theirs["phone"], "139****2222", "staff see the phone masked");
    let outsider = app.login("tianan").await;
    let confirm = format!("/api/v1/communities/xinzhou/owners/{}/confirm", theirs["resident_id"].as_str().unwrap());
    assert_eq!(outsider.post(&confirm, json!({})).await.0, StatusCode::FORBIDDEN, "another community's admin");
    // The community's admin confirms them on the register page (no JavaScript needed).
    let register = page(&app, &admin.client, "/work/owners").await;
    assert!(register.contains("5号楼") && register.contains("139****2222") && !register.contains("13900002222"));
    let r = outsider.client.get(app.url("/work/owners?community=xinzhou")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another community's register");
    let rid = theirs["resident_id"].as_str().unwrap();
    let r = admin
        .client
        .post(app.url(&format!("/work/owners/{rid}/confirm")))
        .header("origin", &app.base)
        .form(&[("community", "xinzhou")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(page(&app, &admin.client, "/work/owners").await.contains("已确认"), "confirmed");
    let (_, owners) = app.admin_get("/api/v1/communities/xinzhou/owners").await;
    assert_eq!(owners.as_array().unwrap().iter().filter(|o| o["confirmed"] == true).count(), 1, "{owners}");
    let html = page(&app, &other, &vpath).await;
    assert!(html.contains(r#"id="ballot""#) && html.contains("截止时间"), "{html}");
    let (status, location, _) = post_form(&app, &other, &format!("{vpath}/ballot"), &[("choice", "yes")]).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("{vpath}#vote")));
    let html = page(&app, &other, &vpath).await;
    assert!(html.contains("您已投票") && !html.contains(r#"id="ballot""#), "{html}");
    let (status, _, html) = post_form(&app, &other, &format!("{vpath}/ballot"), &[("choice", "no")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "one ballot each: {html}");

    // A week later the vote closes below quorum: counts and outcome on the page.
    clock.advance(Duration::days(8));
    app.running.state.engine.fire_due_timers(100).await.unwrap();
    let html = page(&app, &app.client, &vpath).await;
    assert!(html.contains("未达法定人数") && html.contains("赞成 1 · 反对 0 · 弃权 0"), "{html}");
    assert!(html.contains("不再接受评论"), "closed");
    let html = page(&app, &app.client, &format!("{vpath}?lang=en")).await;
    assert!(html.contains("No quorum") && html.contains("Yes 1 · No 0 · Abstain 0"), "{html}");
    assert!(entry_of(&books(&app).await, &large).is_none(), "no quorum, no payment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_on_sqlite() {
    residents_comment_and_vote(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_on_postgres() {
    residents_comment_and_vote(Backend::Postgres).await;
}

/// An app whose intake is booked at once: income recorded from a form (e.g. a parking fee).
fn income_app(id: &str) -> Value {
    json!({
        "id": id, "version": "1.0.0", "name": {"zh-CN": "停车收入登记", "en": "Parking income"}, "category": "ledger",
        "access": {"submit": "staff"},
        "record": {"fields": [
            {"key": "amount", "type": "text", "label": "金额", "required": true, "sensitivity": "public"},
            {"key": "payer", "type": "text", "label": "缴费单位", "required": true, "sensitivity": "public"},
            {"key": "purpose", "type": "text", "label": "用途", "required": true},
            {"key": "contact", "type": "text", "label": "联系人", "required": true}
        ]},
        "steps": [
            {"id": "intake", "block": "form", "config": {}},
            {"id": "book", "block": "ledger", "config": {"account": "public_income", "direction": "income",
             "amount": "amount", "counterparty": "payer", "purpose": "purpose"}}
        ],
        "transitions": [{"from": "intake", "to": "book"}]
    })
}

async fn booking_needs_the_ledger_permission_and_an_intake_books_at_once(app: TestApp) {
    // An app builder (apps.build, not ledger.manage) cannot publish an app that writes the
    // public books; before, they could.
    let root = |method: baida_tests::reqwest::Method, path: &str, body: Value| {
        app.client.request(method, app.url(path)).bearer_auth(baida_tests::TOKEN).json(&body).send()
    };
    let body =
        json!({"username": "builder-x", "name": "builder-x", "unit_id": "xinzhou", "password": "Builder-pass-2026"});
    let user: Value =
        root(baida_tests::reqwest::Method::POST, "/api/v1/users", body).await.unwrap().json().await.unwrap();
    let path = format!("/api/v1/users/{}/grants", user["id"].as_str().unwrap());
    let grant = json!({"role": "app_builder", "unit_id": "xinzhou"});
    assert_eq!(root(baida_tests::reqwest::Method::POST, &path, grant).await.unwrap().status(), StatusCode::CREATED);
    let builder = app.login_with("builder-x", "Builder-pass-2026").await;
    let (status, problem) = builder.post("/api/v1/apps", income_app("xinzhou-parking-fees")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("ledger.manage"), "{problem}");
    assert_eq!(app.admin_get("/api/v1/apps/xinzhou-parking-fees").await.0, StatusCode::NOT_FOUND);
    // An admin who manages the ledger may; a case filed through it is in the books in the same
    // transaction (before, the case log said `ledger.booked` and the books had nothing).
    let admin = app.login("district").await;
    let (status, saved) = admin.post("/api/v1/apps?owner=xinzhou", income_app("xinzhou-parking-fees")).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let answers = json!({"amount": "360.00", "payer": "深圳市安泊停车场管理公司", "purpose": "十一月临停收入", "contact": "王经理"});
    let (status, case) = admin
        .post("/api/v1/apps/xinzhou-parking-fees/submissions", json!({"community": "xinzhou", "answers": answers}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap();
    let (_, events) = admin.get(&format!("/api/v1/cases/{id}/events")).await;
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "ledger.booked"), "{events}");
    let books = books(&app).await;
    let entry = entry_of(&books, id).unwrap_or_else(|| panic!("the booked entry is in the books: {books}"));
    assert_eq!(
        (entry["amount"].as_str(), entry["account"].as_str()),
        (Some("360.00"), Some("public_income")),
        "{entry}"
    );
    // The public log still verifies with the new leaf.
    let r = app.get("/api/v1/ledger/head").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

both!(booking_at_intake, booking_needs_the_ledger_permission_and_an_intake_books_at_once);

async fn the_public_books_are_read_a_page_at_a_time(app: TestApp) {
    // 1,200 imported entries: the public page and its JSON show 50 at a time with a link to
    // older ones (before, every entry was read, and each one's trail with three queries); the
    // exports still hold every entry, read 1,000 at a time, formula-like text made inert.
    let admin = app.login("xinzhou").await;
    let mut csv = String::from("date,direction,amount,counterparty,purpose\n");
    for i in 0..1200 {
        csv.push_str(&format!("2026-11-05,income,1.00,=1+2,临停 {i}\n"));
    }
    let r = admin
        .client
        .post(app.url("/api/v1/communities/xinzhou/ledger/imports?account=public_income"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let first = books(&app).await;
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 50);
    assert!(entries.last().unwrap()["purpose"].as_str().unwrap().starts_with("临停 1199"), "newest last");
    let older = first["older"].as_i64().expect("a cursor to older entries");
    let r = app.get(&format!("/api/v1/communities/xinzhou/ledger?before={older}")).send().await.unwrap();
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["entries"].as_array().unwrap().len(), 50);
    let last = &second["entries"].as_array().unwrap().last().unwrap()["purpose"];
    assert!(last.as_str().unwrap().starts_with("临停 1149"), "{last}");
    let page = app.get("/ledger/xinzhou").send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("?before={older}")), "the page links to older entries");
    let csv = app.get("/api/v1/communities/xinzhou/ledger/entries.csv").send().await.unwrap().text().await.unwrap();
    // Every imported entry, its formula-like counterparty made inert.
    assert_eq!(csv.matches(",'=1+2,").count(), 1200, "the export has every entry");
    assert!(!csv.contains(",=1+2,"), "formulas stay text");
}

both!(public_books_paged, the_public_books_are_read_a_page_at_a_time);

/// Does `word` occur in `text` on its own — not as part of a longer run of letters, digits or
/// hyphens (a photo's hash or a case id may contain "1201" by chance)?
fn stands_alone(text: &str, word: &str) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
    text.match_indices(word)
        .any(|(at, _)| !part(text[..at].chars().next_back()) && !part(text[at + word.len()..].chars().next()))
}
