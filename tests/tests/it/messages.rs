//! Messages the builder writes, on both backends: a template with an unknown variable, a
//! placeholder that is an expression, a notify step naming no template, an SMS quoting free
//! text and a repeated id are refused at publish with their pointers; a good app's SMS and inbox
//! letter carry the builder's words with the record's values (choices by their label), and the
//! SMS never quotes what people typed freely.

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, Options, TOKEN, TestApp, sent_sms, sms_gateway, spawn_with};

fn visit_app() -> Value {
    json!({"id": "visit-notice", "version": "1.0.0", "name": {"zh-CN": "走访回告", "en": "Visit notice"}, "category": "people",
        "record": {"fields": [
            {"key": "resident", "type": "text", "required": true},
            {"key": "phone", "type": "phone", "required": true},
            {"key": "kind", "type": "select", "required": true,
             "options": [{"value": "home", "label": {"zh-CN": "上门", "en": "at home"}},
                         {"value": "call", "label": {"zh-CN": "电话", "en": "by phone"}}]},
            {"key": "visit_date", "type": "date", "required": true},
            {"key": "note", "type": "textarea"}]},
        "messages": [
            {"id": "visit-done",
             "text": {"zh-CN": "{{record.resident}}您好：社区已于{{record.visit_date}}{{record.kind}}回访（案件{{case.number}}）。",
                      "en": "Hello {{record.resident}}: the community visited on {{record.visit_date}} ({{case.number}})."},
             "sms": {"zh-CN": "【新洲社区】您好，社区已于{{record.visit_date}}{{record.kind}}回访，案件{{case.number}}。",
                     "en": "Xinzhou: visited on {{record.visit_date}}, case {{case.number}}."}},
            {"id": "staff-letter", "subject": {"zh-CN": "走访完成：{{record.resident}}", "en": "Visit done: {{record.resident}}"},
             "text": {"zh-CN": "{{record.resident}}的走访已完成（{{app.name}}），备注：{{record.note}}", "en": "{{record.resident}}: done. {{record.note}}"}}],
        "steps": [{"id": "report", "block": "form", "config": {}},
                  {"id": "tell-resident", "block": "notify", "config": {"channel": "sms", "to": "record.phone", "template": "visit-done"}},
                  {"id": "tell-community", "block": "notify", "config": {"channel": "inbox", "to": "role:community_admin", "template": "staff-letter"}}],
        "transitions": [{"from": "report", "to": "tell-resident"}, {"from": "tell-resident", "to": "tell-community"}]})
}

async fn publish(app: &TestApp, def: &Value) -> (StatusCode, Value) {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(def).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

baida_tests::both!(bad_messages_are_refused_at_publish, |app: TestApp| async move {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("/messages/0/text", json!("您好{{record.name}}"), "/messages/0/text", "unknown_variable"),
        ("/messages/0/text", json!("案件{{case.secret}}"), "/messages/0/text", "unknown_variable"),
        ("/messages/0/text", json!("{{ record.resident + 1 }}"), "/messages/0/text", "bad_template"),
        ("/messages/0/text", json!("您好{{record.resident"), "/messages/0/text", "bad_template"),
        ("/steps/1/config/template", json!("visit-gone"), "/steps/1/config/template", "unknown_template"),
        ("/messages/0/sms", json!("您好{{record.resident}}，{{record.note}}"), "/messages/0/sms", "sms_free_text"),
        ("/messages/1/id", json!("visit-done"), "/messages/1/id", "duplicate_message"),
    ];
    for (at, value, pointer, code) in cases {
        let mut def = visit_app();
        *def.pointer_mut(at).unwrap() = value;
        let (status, problem) = publish(&app, &def).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{at}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
        assert!(problem["errors"][0]["hint"].is_string() || code == "duplicate_message", "{problem}");
    }
    let (status, _) = app.admin_get("/api/v1/apps/visit-notice").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was published");
});

async fn the_builders_words_reach_the_resident_and_the_community(backend: Backend) {
    let (url, received) = sms_gateway().await;
    let notify: baida_web::config::NotifyConfig =
        serde_json::from_value(json!({"sms": {"provider": "generic", "url": url}})).unwrap();
    let app = spawn_with(backend, Options { notify: Some(notify), ..Options::default() }).await;
    let (status, body) = publish(&app, &visit_app()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Filed by staff, so the number is one staff typed (an anonymous one would not be texted).
    let answers = json!({"resident": "王奶奶", "phone": "13800000001", "kind": "home", "visit_date": "2026-12-07",
                         "note": "身体很好，=HYPERLINK 之类的字也只是字"});
    let r = app
        .post("/api/v1/apps/visit-notice/submissions")
        .bearer_auth(TOKEN)
        .json(&json!({"community": "xinzhou", "answers": answers}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let case: Value = r.json().await.unwrap();
    let number = case["number"].as_str().unwrap().to_string();
    let texts = sent_sms(&app, &received).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0]["phone"], "13800000001");
    assert_eq!(
        texts[0]["text"],
        format!("【新洲社区】您好，社区已于2026-12-07上门回访，案件{number}。"),
        "the SMS variant, the choice by its label"
    );
    let (status, inbox) = app.admin_get("/api/v1/inbox/xinzhou").await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let letter = inbox.as_array().unwrap().iter().find(|l| l["subject"] == "走访完成：王奶奶").cloned();
    let letter = letter.unwrap_or_else(|| panic!("the letter in {inbox}"));
    assert_eq!(letter["body"], "王奶奶的走访已完成（走访回告），备注：身体很好，=HYPERLINK 之类的字也只是字");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_on_sqlite() {
    the_builders_words_reach_the_resident_and_the_community(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_on_postgres() {
    the_builders_words_reach_the_resident_and_the_community(Backend::Postgres).await;
}
