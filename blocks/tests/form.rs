//! The form block at work, as a person filling a form would notice it: limits, visibility,
//! computed values, rules, groups and clear errors for wrong input.

use baida_blocks::form::evaluate;
use baida_blocks::{App, CompiledApp, CompiledField, Dictionary};
use chrono::NaiveDate;
use serde_json::{Value, json};

fn app(fields: Value, rules: Value) -> CompiledApp {
    App::compile(
        &json!({"id": "test-app", "version": "1.0.0", "name": "测试", "category": "test",
                "record": {"fields": fields, "rules": rules},
                "steps": [{"id": "s", "block": "form", "config": {}}]}),
        &Dictionary::default(),
    )
    .unwrap_or_else(|p| panic!("{p:?}"))
}

fn errors(app: &CompiledApp, answers: Value) -> Vec<(String, &'static str)> {
    let fields: Vec<&CompiledField> = app.fields.iter().collect();
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    evaluate(&fields, &app.rules, &answers, today).errors.into_iter().map(|p| (p.pointer, p.code)).collect()
}

#[test]
fn date_limits_hold_in_calendar_order() {
    let a = app(
        json!([{"key": "d", "type": "date", "min": "2026-03-10T08:00", "max": "2026-03-15T12:00"},
                      {"key": "t", "type": "datetime", "min": "2026-03-10", "max": "today"}]),
        json!([]),
    );
    assert!(errors(&a, json!({"d": "2026-03-10", "t": "2026-03-10T00:00"})).is_empty());
    assert_eq!(errors(&a, json!({"d": "2026-04-01"})), vec![("/d".into(), "too_late")]);
    assert_eq!(errors(&a, json!({"d": "2026-03-09"})), vec![("/d".into(), "too_early")]);
    assert!(errors(&a, json!({"t": "2026-11-21T23:00"})).is_empty());
    assert_eq!(errors(&a, json!({"t": "2026-11-22T00:00"})), vec![("/t".into(), "too_late")]);
}

#[test]
fn hidden_fields_are_dropped_and_not_required() {
    let a = app(
        json!([{"key": "kind", "type": "select", "options": ["a", "other"], "required": true},
                      {"key": "note", "type": "text", "required": true, "visible_if": "record.kind == \"other\""}]),
        json!([]),
    );
    assert!(errors(&a, json!({"kind": "a", "note": "ignored"})).is_empty());
    assert_eq!(errors(&a, json!({"kind": "other"})), vec![("/note".into(), "required")]);
    let fields: Vec<&CompiledField> = a.fields.iter().collect();
    let ev = evaluate(&fields, &[], &json!({"kind": "a", "note": "x"}), NaiveDate::MIN);
    assert!(!ev.record.contains_key("note"));
}

#[test]
fn computed_fields_rules_and_groups() {
    let a = app(
        json!([{"key": "a", "type": "integer"}, {"key": "b", "type": "integer"},
               {"key": "sum", "type": "integer", "compute": "record.a + record.b"},
               {"key": "people", "type": "group", "max": 2, "fields": [{"key": "name", "type": "text", "required": true}]}]),
        json!([{"check": "!(\"b\" in record) || record.sum < 10", "message": "和应小于 10", "field": "b"}]),
    );
    let fields: Vec<&CompiledField> = a.fields.iter().collect();
    let ev = evaluate(&fields, &a.rules, &json!({"a": "3", "b": 4, "sum": 100}), NaiveDate::MIN);
    assert_eq!(ev.record["sum"], json!(7), "computed by the server, whatever was sent");
    assert_eq!(errors(&a, json!({"a": 5, "b": 5})), vec![("/b".into(), "rule")]);
    assert!(errors(&a, json!({"a": 50})).is_empty(), "b is empty: its rule has nothing to check");
    assert_eq!(errors(&a, json!({"people": [{"name": "甲"}, {}]})), vec![("/people/1/name".into(), "required")]);
    assert_eq!(
        errors(&a, json!({"people": [{"name": "甲"}, {"name": "乙"}, {"name": "丙"}]})),
        vec![("/people".into(), "too_many")]
    );
}

#[test]
fn wrong_types_unknown_answers_and_endless_scripts_are_clear_errors() {
    let a = app(
        json!([{"key": "n", "type": "number", "max": 10}, {"key": "id", "type": "id_number"},
                      {"key": "x", "type": "text", "visible_if": "loop { }"}]),
        json!([]),
    );
    let e = errors(&a, json!({"n": {"no": 1}, "id": "440301199001011236", "zzz": 1}));
    assert!(e.contains(&("/zzz".into(), "unknown_answer")), "{e:?}");
    assert!(e.contains(&("/n".into(), "wrong_type")), "{e:?}");
    assert!(e.contains(&("/id".into(), "bad_format")), "{e:?}");
    assert!(e.contains(&("/x".into(), "script_failed")), "{e:?}");
    assert!(errors(&a, json!({"n": 11})).contains(&("/n".into(), "too_large")));
}

#[test]
fn times_are_read_as_typed_and_sliders_stay_in_their_bounds() {
    let a = app(
        json!([{"key": "at", "type": "time"}, {"key": "score", "type": "slider", "min": 0, "max": 10},
               {"key": "share", "type": "slider"}]),
        json!([]),
    );
    let fields: Vec<&CompiledField> = a.fields.iter().collect();
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let ev = evaluate(&fields, &a.rules, &json!({"at": "9:05", "score": "8", "share": 100}), today);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_eq!(ev.record["at"], "09:05");
    assert_eq!(ev.record["score"], 8);
    assert_eq!(errors(&a, json!({"at": "25:00"})), vec![("/at".into(), "wrong_type")]);
    assert_eq!(errors(&a, json!({"at": "下午三点"})), vec![("/at".into(), "wrong_type")]);
    assert_eq!(errors(&a, json!({"score": 11})), vec![("/score".into(), "too_large")]);
    assert_eq!(errors(&a, json!({"share": 101})), vec![("/share".into(), "too_large")], "0–100 by default");
    assert_eq!(errors(&a, json!({"share": -1})), vec![("/share".into(), "too_small")]);
    assert_eq!(errors(&a, json!({"score": 7.5})), vec![("/score".into(), "wrong_type")], "whole steps");
}
