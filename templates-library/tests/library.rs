//! The built-in library as a district administrator meets it: every file is listed, every
//! reference app compiles, and the data dictionary is complete, bilingual and consistent.

mod common;

use std::collections::BTreeSet;

use baida_blocks::{App, Dictionary, Sensitivity, Text};
use baida_catalog::{DICTIONARY_VERSION, app_docs, apps, dictionary, dictionary_parts};
use common::{compile, describe};
use serde_json::{Value, json};

const CATEGORIES: [&str; 7] = ["people", "household", "housing", "business", "vehicle", "complaint", "service"];

fn bilingual(t: &Option<Text>) -> bool {
    matches!(t, Some(Text::Localized { zh_cn, en: Some(en) }) if !zh_cn.trim().is_empty() && !en.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// The library as a whole

#[test]
fn every_app_in_the_library_compiles() {
    let dict = dictionary();
    let mut failures = Vec::new();
    for (file, doc) in app_docs() {
        match App::compile(&doc, &dict) {
            Ok(compiled) => {
                let app = &compiled.app;
                assert_eq!(format!("{}.json", app.id), file, "an app's file is named after its id");
                assert_eq!(app.schema.as_deref(), Some(baida_blocks::schema::SCHEMA_URL), "{file}");
                assert_eq!(app.version, "1.0.0", "{file}");
                assert!(bilingual(&Some(app.name.clone())), "{file}: name in zh-CN and en");
                assert!(bilingual(&app.description), "{file}: description in zh-CN and en");
                assert!(app.icon.is_some(), "{file}: icon");
                // Anyone may report a problem; only a logged-in resident may propose a spending.
                let submit = if app.id == "ti-ping-jue-fu" {
                    baida_blocks::SubmitAccess::Resident
                } else {
                    baida_blocks::SubmitAccess::Public
                };
                assert_eq!(app.access.submit, submit, "{file}");
                for f in &compiled.fields {
                    assert!(f.field.label.is_some(), "{file}: field {} has a label", f.field.key);
                }
            }
            Err(problems) => failures.push(format!("{file}:\n{}", describe(&problems))),
        }
    }
    assert!(failures.is_empty(), "apps that do not compile:\n{}", failures.join("\n"));
}

#[test]
fn every_file_in_the_library_is_listed() {
    let on_disk = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect()
    };
    let listed: BTreeSet<String> = apps().iter().map(|a| a.file.to_string()).collect();
    assert_eq!(listed, on_disk("apps"), "add new app files to APP_FILES in src/lib.rs");
    let listed: BTreeSet<String> = dictionary_parts().iter().map(|p| format!("{}.json", p.category)).collect();
    assert_eq!(
        listed,
        on_disk("dictionary"),
        "add new dictionary files to DICTIONARY_FILES in src/lib.rs, named after their category"
    );
}

#[test]
fn the_three_reference_apps_are_there() {
    let files: Vec<&str> = apps().iter().map(|a| a.file).collect();
    for f in ["minyi-suban.json", "xinlin-huhang.json", "nuoche-e-zhan.json"] {
        assert!(files.contains(&f), "{f} missing from {files:?}");
    }
    assert_eq!(compile("minyi-suban.json").app.name.zh(), "民意速办");
    assert_eq!(compile("xinlin-huhang.json").app.name.zh(), "新邻护航");
    assert_eq!(compile("nuoche-e-zhan.json").app.name.zh(), "挪车e站");
}

// ---------------------------------------------------------------------------------------------
// The dictionary

#[test]
fn the_dictionary_has_every_category() {
    let dict = dictionary();
    assert_eq!(dict.version, DICTIONARY_VERSION);
    let categories: Vec<&str> = dict.categories.iter().map(|(c, _)| c.as_str()).collect();
    for c in CATEGORIES {
        assert!(categories.contains(&c), "category {c} missing from {categories:?}");
        assert!(dict.fields.keys().any(|k| k.starts_with(&format!("{c}."))), "category {c} has no fields");
    }
    for (c, name) in &dict.categories {
        assert!(bilingual(&Some(name.clone())), "category {c} is named in zh-CN and en");
    }
}

#[test]
fn every_dictionary_field_has_a_type_labels_and_help() {
    let dict = dictionary();
    assert!(dict.fields.len() >= 30, "only {} dictionary fields", dict.fields.len());
    for (key, f) in &dict.fields {
        let (category, name) = key.split_once('.').unwrap_or_else(|| panic!("{key} is qualified as category.name"));
        assert!(CATEGORIES.contains(&category), "{key}: unknown category");
        assert!(!name.contains('.'), "{key}: write the field key unqualified in its file");
        assert!(f.field.ty.is_some(), "{key} has no type");
        assert!(bilingual(&f.field.label), "{key}: label in zh-CN and en");
        assert!(bilingual(&f.field.help), "{key}: help in zh-CN and en");
        if f.field.placeholder.is_some() {
            assert!(bilingual(&f.field.placeholder), "{key}: placeholder in zh-CN and en");
        }
        if f.field.pattern.is_some() {
            assert!(bilingual(&f.field.pattern_message), "{key}: a pattern needs a message in zh-CN and en");
        }
        assert!(!f.scenarios.is_empty(), "{key}: list the scenarios that use it");
        assert!(
            f.field.required_if.is_none() && f.field.visible_if.is_none() && f.field.compute.is_none(),
            "{key}: conditions belong to apps"
        );
    }
}

/// `DictField` flattens `Field`, and serde does not refuse unknown properties of a flattened
/// struct: a misspelt `max_lenght` would silently vanish. Every property written in a file must
/// survive a round trip.
#[test]
fn dictionary_files_use_only_known_properties() {
    for part in dictionary_parts() {
        let file = format!("{}.json", part.category);
        let raw: Value = serde_json::from_str(
            std::fs::read_to_string(format!("{}/dictionary/{file}", env!("CARGO_MANIFEST_DIR")))
                .expect("readable")
                .as_str(),
        )
        .expect("JSON");
        let raw_fields = raw["fields"].as_array().expect("fields");
        assert_eq!(raw_fields.len(), part.fields.len());
        for (raw, parsed) in raw_fields.iter().zip(&part.fields) {
            let back = serde_json::to_value(parsed).expect("serializable");
            for k in raw.as_object().expect("object").keys() {
                assert!(back.get(k).is_some(), "{file}: field {} has an unknown property “{k}”", parsed.field.key);
            }
        }
    }
}

#[test]
fn sensitive_fields_are_marked_so() {
    let dict = dictionary();
    let level = |k: &str| dict.field(k).unwrap_or_else(|| panic!("{k} missing")).sensitivity;
    for k in ["people.phone", "people.name", "household.address", "vehicle.plate_number"] {
        assert_eq!(level(k), Sensitivity::Personal, "{k}");
    }
    for k in ["people.id_number", "people.face_photo", "people.care_groups"] {
        assert_eq!(level(k), Sensitivity::Sensitive, "{k}");
    }
    assert_eq!(level("complaint.category"), Sensitivity::Public);
}

/// Every dictionary field compiles as a field of an app: patterns are valid regular
/// expressions, limits fit the type, and `options_dict` names a code list that exists.
#[test]
fn every_dictionary_field_compiles_in_an_app() {
    let dict = dictionary();
    let fields: Vec<Value> = dict.fields.keys().map(|k| json!({ "key": k.replace('.', "_"), "dict": k })).collect();
    let doc = json!({
        "id": "dictionary-check", "version": "1.0.0", "name": "数据字典检查", "category": "test",
        "record": { "fields": fields },
        "steps": [ { "id": "form", "block": "form", "config": {} } ]
    });
    if let Err(problems) = App::compile(&doc, &dict) {
        panic!("dictionary fields that do not compile:\n{}", describe(&problems));
    }
}

#[test]
fn every_code_list_is_labelled_and_its_parents_exist() {
    let dict: Dictionary = dictionary();
    for (key, list) in &dict.code_lists {
        assert!(!list.is_empty(), "{key} is empty");
        let mut values = BTreeSet::new();
        for c in list {
            assert!(values.insert(c.value()), "{key}: “{}” twice", c.value());
            assert!(bilingual(&Some(c.label())), "{key}: “{}” is labelled in zh-CN and en", c.value());
        }
        let parents: BTreeSet<&str> = list.iter().filter_map(|c| c.parent()).collect();
        if parents.is_empty() {
            continue;
        }
        assert!(list.iter().all(|c| c.parent().is_some()), "{key}: either every option has a parent or none");
        let parent_lists: Vec<&String> = dict
            .code_lists
            .iter()
            .filter(|(k, l)| *k != key && parents.iter().all(|p| l.iter().any(|c| c.value() == *p)))
            .map(|(k, _)| k)
            .collect();
        assert!(!parent_lists.is_empty(), "{key}: parents {parents:?} are not all options of one other code list");
    }
    // Every complaint category offers at least one subcategory.
    let subs = dict.code_list("complaint.subcategory").expect("complaint.subcategory");
    for c in dict.code_list("complaint.category").expect("complaint.category") {
        assert!(subs.iter().any(|s| s.parent() == Some(c.value())), "category {} has no subcategory", c.value());
    }
}

#[test]
fn complaint_code_lists_cover_the_intake_channels() {
    let dict = dictionary();
    let labels: Vec<String> =
        dict.code_list("complaint.channel").expect("channel").iter().map(|c| c.label().zh().to_string()).collect();
    for l in ["12345 热线", "网格巡查", "网络舆情", "网上表单"] {
        assert!(labels.iter().any(|x| x == l), "{l} missing from {labels:?}");
    }
    let categories: Vec<String> =
        dict.code_list("complaint.category").expect("category").iter().map(|c| c.label().zh().to_string()).collect();
    for l in ["市容环境", "噪音扰民", "占道经营", "物业服务", "停车管理", "公共设施", "安全隐患", "邻里纠纷", "其他"]
    {
        assert!(categories.iter().any(|x| x == l), "{l} missing from {categories:?}");
    }
}
