//! The dictionary's data files against their JSON Schemas, and its scenarios: the schemas are
//! generated from the model (`baida_blocks::DictionaryPart`, `ScenarioList`) and committed under
//! `templates-library/schema/`; every file must validate, every scenario must be declared once
//! and used by fields, and no reference app may copy a dictionary field under another name.
//!
//! Run with `BAIDA_UPDATE_SCHEMA=1` to rewrite the committed schemas after changing the model.

use std::collections::{BTreeMap, BTreeSet};

use baida_blocks::{App, dictionary as model};
use baida_catalog::{DICTIONARY_SCHEMA_JSON, SCENARIOS_SCHEMA_JSON, app_docs, dictionary, scenarios};
use serde_json::Value;

fn committed_matches(file: &str, committed: &str, generated: Value) {
    let pretty = serde_json::to_string_pretty(&generated).expect("JSON") + "\n";
    if std::env::var_os("BAIDA_UPDATE_SCHEMA").is_some() {
        std::fs::write(format!("{}/schema/{file}", env!("CARGO_MANIFEST_DIR")), &pretty).expect("writable");
        return;
    }
    assert_eq!(committed, pretty, "schema/{file} is stale: run the tests with BAIDA_UPDATE_SCHEMA=1");
}

#[test]
fn the_committed_schemas_are_generated_from_the_model() {
    committed_matches("dictionary.schema.json", DICTIONARY_SCHEMA_JSON, model::part_schema());
    committed_matches("scenarios.schema.json", SCENARIOS_SCHEMA_JSON, model::scenarios_schema());
}

fn validator(schema: &str) -> jsonschema::Validator {
    jsonschema::draft202012::new(&serde_json::from_str(schema).expect("JSON")).expect("a valid JSON Schema")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{}: {e}", e.instance_path)).collect()
}

#[test]
fn every_dictionary_file_validates_against_the_schema() {
    let v = validator(DICTIONARY_SCHEMA_JSON);
    let dir = format!("{}/dictionary", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(&dir).expect("the dictionary folder") {
        let path = entry.expect("an entry").path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let found = errors(&v, &doc);
        assert!(found.is_empty(), "{}:\n{}", path.display(), found.join("\n"));
    }
    let scenarios_doc: Value = serde_json::from_str(include_str!("../scenarios.json")).expect("scenarios.json is JSON");
    let found = errors(&validator(SCENARIOS_SCHEMA_JSON), &scenarios_doc);
    assert!(found.is_empty(), "scenarios.json:\n{}", found.join("\n"));
}

#[test]
fn the_schema_requires_sensitivity_and_refuses_a_field_without_it() {
    let v = validator(DICTIONARY_SCHEMA_JSON);
    let doc = serde_json::json!({
        "category": "vehicle", "name": {"zh-CN": "车辆", "en": "Vehicles"},
        "fields": [{"key": "plate", "type": "text", "label": "车牌", "scenarios": ["move-car"]}]
    });
    let found = errors(&v, &doc);
    assert!(found.iter().any(|e| e.contains("sensitivity")), "{found:?}");
}

#[test]
fn at_least_twenty_scenarios_each_declared_once_and_used_by_fields() {
    let dict = dictionary();
    let list = scenarios();
    assert!(list.len() >= 20, "only {} scenarios", list.len());
    let categories: BTreeSet<&str> = dict.categories.iter().map(|(c, _)| c.as_str()).collect();
    assert!(categories.len() >= 7, "{categories:?}");
    let mut ids = BTreeSet::new();
    for s in &list {
        assert!(ids.insert(s.id.as_str()), "scenario {} declared twice", s.id);
        assert!(categories.contains(s.category.as_str()), "{}: unknown category {}", s.id, s.category);
        assert!(!s.name.zh().is_empty() && s.name.en() != s.name.zh(), "{}: named in zh-CN and en", s.id);
    }
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, f) in &dict.fields {
        for s in &f.scenarios {
            assert!(ids.contains(s.as_str()), "{key}: scenario {s} is not declared in scenarios.json");
            *used.entry(s.as_str()).or_default() += 1;
        }
    }
    for id in ids {
        assert!(used.get(id).copied().unwrap_or(0) >= 3, "scenario {id} lists fewer than 3 fields: {used:?}");
    }
}

#[test]
fn no_reference_app_copies_a_dictionary_field() {
    let dict = dictionary();
    for (file, doc) in app_docs() {
        let app: App = serde_json::from_value(doc).expect("an app");
        let found = baida_blocks::duplicates::find(&app, &dict);
        assert!(
            found.is_empty(),
            "{file}: {:#?}",
            found.iter().map(|p| (&p.pointer, p.message.zh())).collect::<Vec<_>>()
        );
    }
}
