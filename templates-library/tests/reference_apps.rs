//! The reference apps as residents and handlers meet them: each form accepts a realistic
//! submission and refuses a wrong one at the right field, and cases flow through the steps.

mod common;

use std::collections::BTreeMap;

use baida_blocks::form::{Evaluation, evaluate};
use baida_blocks::step::BlockConfig;
use baida_blocks::{CompiledApp, CompiledField, Sensitivity};
use common::compile;
use serde_json::{Value, json};

/// The day the answers are given; `max: "today"` limits are checked against it.
const TODAY: &str = "2026-03-15";

const PHOTO_1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const PHOTO_2: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
const PHOTO_3: &str = "fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13";
const PHOTO_4: &str = "a4e624d686e03ed2767c0abd85c14426b0b1157d2ce81d27bb4fe4f6f01d688a";

fn eval_fields(fields: &[&CompiledField], app: &CompiledApp, answers: Value) -> Evaluation {
    let today = baida_blocks::formats::parse_date(TODAY).expect("TODAY is a date");
    evaluate(fields, &app.rules, &answers, today)
}

/// Evaluates answers to the intake form, as a resident submitting it.
fn submit(app: &CompiledApp, answers: Value) -> Evaluation {
    eval_fields(&app.intake_fields(), app, answers)
}

/// The fields a later step asks for (its `config.fields`).
fn step_fields<'a>(app: &'a CompiledApp, step: &str) -> Vec<&'a CompiledField> {
    let keys = match &app.app.step(step).unwrap_or_else(|| panic!("no step {step}")).block {
        BlockConfig::Form(c) => c.fields.clone(),
        BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => c.fields.clone(),
        other => panic!("step {step} is a {} and asks for no fields", other.kind()),
    }
    .unwrap_or_else(|| panic!("step {step} lists no fields"));
    app.fields.iter().filter(|f| keys.contains(&f.field.key)).collect()
}

fn assert_accepted(ev: &Evaluation) {
    let errors: Vec<String> =
        ev.errors.iter().map(|p| format!("{} [{}] {}", p.pointer, p.code, p.message.zh())).collect();
    assert!(errors.is_empty(), "realistic answers were refused:\n{}", errors.join("\n"));
}

/// The error codes per answer pointer.
fn errors(ev: &Evaluation) -> BTreeMap<String, Vec<&'static str>> {
    let mut out: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for p in &ev.errors {
        out.entry(p.pointer.clone()).or_default().push(p.code);
    }
    out
}

/// Asserts that the answers were refused with exactly these (pointer, code) errors.
fn assert_refused(ev: &Evaluation, expected: &[(&str, &str)]) {
    let mut got: Vec<(&str, &str)> = ev.errors.iter().map(|p| (p.pointer.as_str(), p.code)).collect();
    got.sort_unstable();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(got, expected, "errors: {:#?}", ev.errors);
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().expect("answers are an object").remove(key);
    v
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v.as_object_mut().expect("answers are an object").insert(key.into(), value);
    v
}

// ---------------------------------------------------------------------------------------------
// 民意速办

fn minyi_answers() -> Value {
    json!({
        "category": "city_appearance",
        "subcategory": "garbage",
        "title": "3 栋楼下垃圾三天未清运",
        "description": "阳光花园 3 栋东侧垃圾分类点的其他垃圾桶已满溢三天，气味很大，请尽快安排清运。",
        "location": { "lon": 114.0579, "lat": 22.5431, "address": "阳光花园 3 栋东侧" },
        "photos": [PHOTO_1, PHOTO_2],
        "anonymous": false,
        "contact_name": "王小明",
        "contact_phone": "138 1234 5678"
    })
}

#[test]
fn minyi_suban_accepts_a_realistic_request() {
    let app = compile("minyi-suban.json");
    let ev = submit(&app, minyi_answers());
    assert_accepted(&ev);
    assert!(
        !ev.record.contains_key("channel"),
        "residents do not pick the intake channel: the case records where it came from"
    );
    assert_eq!(ev.record["contact_phone"], "13812345678");
    assert_eq!(ev.record["priority"], "normal");
    assert_eq!(ev.photos.len(), 2);
    assert!(!ev.record.contains_key("result"), "handling fields are not part of the intake");

    let hazard =
        with(with(minyi_answers(), "category", json!("safety_hazard")), "subcategory", json!("ebike_charging"));
    let ev = submit(&app, hazard);
    assert_accepted(&ev);
    assert_eq!(ev.record["priority"], "critical");
    let manhole = with(with(minyi_answers(), "category", json!("public_facility")), "subcategory", json!("manhole"));
    assert_eq!(submit(&app, manhole).record["priority"], "urgent");
}

#[test]
fn minyi_suban_cascades_subcategories() {
    let app = compile("minyi-suban.json");
    let ev = submit(&app, minyi_answers());
    let offered = &ev.state.options["/subcategory"];
    assert!(
        offered.contains(&"garbage".to_string()) && !offered.contains(&"construction_noise".to_string()),
        "{offered:?}"
    );
    let ev = submit(&app, with(minyi_answers(), "subcategory", json!("construction_noise")));
    assert_refused(&ev, &[("/subcategory", "not_an_option")]);
}

#[test]
fn minyi_suban_refuses_missing_title_and_bad_phone() {
    let app = compile("minyi-suban.json");
    let ev = submit(&app, with(without(minyi_answers(), "title"), "contact_phone", json!("1381234567")));
    assert_refused(&ev, &[("/title", "required"), ("/contact_phone", "bad_format")]);
    let ev = submit(&app, without(minyi_answers(), "contact_name"));
    assert_refused(&ev, &[("/contact_name", "required")]);
}

#[test]
fn minyi_suban_anonymous_reports_hide_contact_details_but_need_a_place() {
    let app = compile("minyi-suban.json");
    let anonymous = with(without(without(minyi_answers(), "contact_name"), "contact_phone"), "anonymous", json!(true));
    let ev = submit(&app, anonymous.clone());
    assert_accepted(&ev);
    assert!(!ev.state.visible["/contact_phone"]);
    // Contact details typed before ticking "anonymous" are dropped, not kept.
    let ev = submit(&app, with(anonymous.clone(), "contact_phone", json!("13812345678")));
    assert_accepted(&ev);
    assert!(!ev.record.contains_key("contact_phone"));
    // Nothing to verify an anonymous report by: the cross-field rule speaks at the location.
    let ev = submit(&app, without(without(anonymous, "location"), "photos"));
    assert_refused(&ev, &[("/location", "rule")]);
}

#[test]
fn minyi_suban_refuses_a_fourth_photo_and_a_description_that_repeats_the_title() {
    let app = compile("minyi-suban.json");
    let ev = submit(&app, with(minyi_answers(), "photos", json!([PHOTO_1, PHOTO_2, PHOTO_3, PHOTO_4])));
    assert_refused(&ev, &[("/photos", "too_many")]);
    let ev = submit(&app, with(minyi_answers(), "description", json!("3 栋楼下垃圾三天未清运")));
    assert_refused(&ev, &[("/description", "rule")]);
}

#[test]
fn minyi_suban_flows_from_review_back_to_handling_or_on_to_feedback() {
    let app = compile("minyi-suban.json");
    let ids: Vec<&str> = app.app.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["intake", "dispatch", "sign", "handle", "review", "feedback"]);
    let record = minyi_answers();
    assert_eq!(app.next_step("intake", &record).expect("runs"), Some("dispatch"));
    let rejected = with(record.clone(), "review_result", json!("reject"));
    assert_eq!(app.next_step("review", &rejected).expect("runs"), Some("handle"));
    let approved = with(record, "review_result", json!("approve"));
    assert_eq!(app.next_step("review", &approved).expect("runs"), Some("feedback"));
    let BlockConfig::Sign(sign) = &app.app.step("sign").expect("sign").block else { panic!("sign is a sign step") };
    let sla = sign.sla.as_ref().expect("the 30-minute clock");
    assert_eq!((sla.due.as_str(), sla.ladder.len()), ("30m", 3));
    let BlockConfig::Review(review) = &app.app.step("review").expect("review").block else {
        panic!("review is a review step")
    };
    assert_eq!(review.levels, 3);
}

#[test]
fn minyi_suban_later_steps_ask_for_their_own_fields() {
    let app = compile("minyi-suban.json");
    let handle = step_fields(&app, "handle");
    let ev = eval_fields(
        &handle,
        &app,
        json!({ "result": "resolved", "reply": "已联系环卫所于当天下午完成清运，并增加每日巡查一次。", "handle_photos": [PHOTO_3] }),
    );
    assert_accepted(&ev);
    let ev = eval_fields(&handle, &app, json!({ "reply": "已处理" }));
    assert_refused(&ev, &[("/result", "required"), ("/reply", "too_short")]);
    let feedback = step_fields(&app, "feedback");
    assert_accepted(&eval_fields(&feedback, &app, json!({ "rating": 5, "comment": "处理很及时，谢谢！" })));
    assert_refused(&eval_fields(&feedback, &app, json!({ "rating": 6 })), &[("/rating", "too_large")]);
}

// ---------------------------------------------------------------------------------------------
// 新邻护航

fn xinlin_answers() -> Value {
    json!({
        "name": "李晓燕",
        "id_number": "440305199203154212",
        "phone": "13912345678",
        "move_in_date": "2026-03-01",
        "address": "幸福路 88 号阳光花园 3 栋 2 单元 1502 室",
        "tenure": "tenant",
        "members": [
            { "name": "张伟", "relation": "spouse", "phone": "13787654321" },
            { "name": "张一诺", "relation": "child" }
        ],
        "consent": true
    })
}

#[test]
fn xinlin_huhang_accepts_a_family_moving_in() {
    let app = compile("xinlin-huhang.json");
    let ev = submit(&app, xinlin_answers());
    assert_accepted(&ev);
    assert_eq!(ev.record["household_size"], 3, "the household size counts the registrant and the members");
    assert_eq!(ev.record["members"].as_array().map(Vec::len), Some(2));
    let alone = submit(&app, without(xinlin_answers(), "members"));
    assert_accepted(&alone);
    assert_eq!(alone.record["household_size"], 1);
}

#[test]
fn xinlin_huhang_refuses_without_consent_or_with_bad_details() {
    let app = compile("xinlin-huhang.json");
    assert_refused(&submit(&app, with(xinlin_answers(), "consent", json!(false))), &[("/consent", "rule")]);
    assert_refused(&submit(&app, without(xinlin_answers(), "id_number")), &[("/id_number", "required")]);
    assert_refused(
        &submit(&app, with(xinlin_answers(), "id_number", json!("440305199203154213"))),
        &[("/id_number", "bad_format")],
    );
    assert_refused(
        &submit(&app, with(xinlin_answers(), "move_in_date", json!("2026-03-16"))),
        &[("/move_in_date", "too_late")],
    );
    let members =
        json!([{ "name": "张伟", "relation": "spouse" }, { "name": "张一诺", "relation": "child", "phone": "12345" }]);
    assert_refused(&submit(&app, with(xinlin_answers(), "members", members)), &[("/members/1/phone", "bad_format")]);
    let members = json!([{ "name": "张伟" }]);
    assert_refused(&submit(&app, with(xinlin_answers(), "members", members)), &[("/members/0/relation", "required")]);
}

#[test]
fn xinlin_huhang_texts_the_new_resident() {
    let app = compile("xinlin-huhang.json");
    assert_eq!(app.next_step("register", &xinlin_answers()).expect("runs"), Some("welcome_sms"));
    let BlockConfig::Notify(n) = &app.app.step("welcome_sms").expect("welcome_sms").block else {
        panic!("a notify step")
    };
    assert_eq!((n.to.as_str(), n.template.as_str()), ("record.phone", "anti-fraud-welcome"));
    let id = app.fields.iter().find(|f| f.field.key == "id_number").expect("id_number");
    assert_eq!(id.sensitivity, Sensitivity::Sensitive, "the sensitivity comes from the dictionary");
}

// ---------------------------------------------------------------------------------------------
// 挪车e站

fn nuoche_answers() -> Value {
    json!({
        "plate": "粤B12345",
        "spot": { "lon": 114.0601, "lat": 22.5412, "address": "阳光花园地下车库 B2-118 车位前" },
        "photos": [PHOTO_1, PHOTO_2, PHOTO_3],
        "kind": "blocking-exit",
        "reporter_phone": "13600001111"
    })
}

#[test]
fn nuoche_e_zhan_accepts_a_report() {
    let app = compile("nuoche-e-zhan.json");
    assert_accepted(&submit(&app, nuoche_answers()));
    let other =
        with(with(nuoche_answers(), "kind", json!("other")), "note", json!("车停在单元门口坡道上，轮椅无法通行"));
    let ev = submit(&app, other);
    assert_accepted(&ev);
    assert!(ev.record.contains_key("note"));
    // A note is dropped unless the reason is "other".
    let ev = submit(&app, with(nuoche_answers(), "note", json!("顺便说一句")));
    assert_accepted(&ev);
    assert!(!ev.record.contains_key("note"));
}

#[test]
fn nuoche_e_zhan_knows_mainland_plates() {
    let app = compile("nuoche-e-zhan.json");
    for plate in ["粤B12345", "京A0C99D", "沪AD12345", "浙AFA1234", "苏E12345D", "川A1234学", "粤Z1234港"] {
        assert_accepted(&submit(&app, with(nuoche_answers(), "plate", json!(plate))));
    }
    for plate in ["粤b12345", "粤BI2345", "港B12345", "粤B1234", "粤BDI2345", "粤B123456", "B12345"] {
        let ev = submit(&app, with(nuoche_answers(), "plate", json!(plate)));
        let codes = errors(&ev).remove("/plate").unwrap_or_default();
        assert!(codes.iter().any(|c| *c == "pattern" || *c == "too_short"), "{plate} accepted: {codes:?}");
    }
}

#[test]
fn nuoche_e_zhan_refuses_a_report_without_photos_or_a_note() {
    let app = compile("nuoche-e-zhan.json");
    assert_refused(&submit(&app, without(nuoche_answers(), "photos")), &[("/photos", "required")]);
    assert_refused(&submit(&app, with(nuoche_answers(), "kind", json!("other"))), &[("/note", "required")]);
    assert_refused(
        &submit(&app, with(nuoche_answers(), "reporter_phone", json!("021-12345678"))),
        &[("/reporter_phone", "bad_format")],
    );
    assert_refused(
        &submit(&app, with(nuoche_answers(), "kind", json!("double-parked"))),
        &[("/kind", "not_an_option")],
    );
}

#[test]
fn nuoche_e_zhan_closes_the_loop() {
    let app = compile("nuoche-e-zhan.json");
    let ids: Vec<&str> = app.app.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["report", "dispatch", "handle", "notify", "feedback"]);
    let mut at = "report";
    let mut path = vec![at];
    while let Some(next) = app.next_step(at, &nuoche_answers()).expect("runs") {
        at = next;
        path.push(at);
    }
    assert_eq!(path, ids);
    let handle = step_fields(&app, "handle");
    assert_accepted(&eval_fields(
        &handle,
        &app,
        json!({ "outcome": "moved", "handle_note": "10:05 电话联系车主，10:15 已挪走", "credit_record": false }),
    ));
    assert_refused(&eval_fields(&handle, &app, json!({ "handle_note": "已处理" })), &[("/outcome", "required")]);
}
