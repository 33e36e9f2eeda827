//! Bounded fuzzing of every parser a stranger can reach, on stable Rust with proptest: a posted
//! form's body and the answers rebuilt from it, an app definition's compilation, rhai under the
//! production limits, and the photo checks. Each property is "no panic, and an answer in
//! bounded time"; each runs a fixed number of generated cases (`FUZZ_CASES`, default 300) so CI
//! stays short, and a found case is printed shrunk for a regression test.
//!
//! Run longer: `FUZZ_CASES=20000 cargo test -p baida --test process fuzz --release`.

use std::time::{Duration, Instant};

use baida_blocks::script::Script;
use baida_blocks::{App, CompiledField, Dictionary};
use baida_web::pages::form_page::answers_from_posted;
use baida_web::pages::posted_form::PostedForm;
use proptest::prelude::*;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

/// 新邻护航, the reference app with a repeat group, as residents post it.
fn xinlin() -> baida_blocks::CompiledApp {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../templates-library/apps/xinlin-huhang.json");
    let def: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    App::compile(&def, &baida_catalog::dictionary()).unwrap()
}

/// Names a form posts, and names built to look like them.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name".to_string()),
        Just("phone".to_string()),
        Just("address".to_string()),
        Just("_drop".to_string()),
        Just("_add".to_string()),
        (0usize..80, prop::sample::select(vec!["name", "phone", "relation", "x"]))
            .prop_map(|(i, k)| format!("members.{i}.{k}")),
        "[a-z_.0-9]{0,24}",
        ".{0,12}",
    ]
}

/// JSON values of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,16}".prop_map(Value::String),
        prop::sample::select(vec!["text", "group", "select", "form", "dispatch", "record.x", "1.0.0", "notify"])
            .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "id",
                    "version",
                    "name",
                    "category",
                    "record",
                    "fields",
                    "key",
                    "type",
                    "steps",
                    "block",
                    "config",
                    "transitions",
                    "from",
                    "to",
                    "when",
                    "compute",
                    "visible_if",
                    "options",
                    "max",
                    "min",
                    "access",
                ]),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_posted_form_never_panics_and_is_cheap(pairs in prop::collection::vec((name(), ".{0,20}"), 0..300)) {
        let app = xinlin();
        let fields: Vec<&CompiledField> = app.intake_fields();
        let body: String = pairs
            .iter()
            .map(|(n, v)| format!("{}={}", urlencode(n), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let started = Instant::now();
        if let Ok(posted) = PostedForm::from_urlencoded(body.as_bytes()) {
            let answers = answers_from_posted(&fields, &posted, "");
            let _ = baida_blocks::form::evaluate(&fields, &app.rules, &Value::Object(answers), chrono::NaiveDate::MIN);
        }
        prop_assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }

    #[test]
    fn raw_bytes_as_a_form_body_never_panic(body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = PostedForm::from_urlencoded(&body);
    }

    #[test]
    fn compiling_any_definition_never_panics(def in json_value()) {
        let _ = App::compile(&def, &Dictionary::default());
    }

    #[test]
    fn compiling_a_mutated_reference_app_never_panics(path in prop::collection::vec(0usize..8, 1..4), value in json_value()) {
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../templates-library/apps/nuoche-e-zhan.json");
        let mut def: Value = serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
        // Replace one nested value, chosen by `path`, with a generated one.
        let mut pointer = String::new();
        let mut at = &def;
        for i in path {
            let step = match at {
                Value::Object(m) if !m.is_empty() => m.keys().nth(i % m.len()).cloned(),
                Value::Array(a) if !a.is_empty() => Some((i % a.len()).to_string()),
                _ => None,
            };
            let Some(step) = step else { break };
            pointer.push('/');
            pointer.push_str(&step.replace('~', "~0").replace('/', "~1"));
            at = def.pointer(&pointer).unwrap();
        }
        if let Some(slot) = def.pointer_mut(&pointer) {
            *slot = value;
        }
        let _ = App::compile(&def, &baida_catalog::dictionary());
    }

    #[test]
    fn rhai_under_the_production_limits_always_ends(source in prop_oneof![
        ".{0,80}",
        "(record\\.[a-z]{1,3} [+*<=>!]{1,2} ){0,6}[0-9]{1,4}",
        Just("loop { }".to_string()),
        Just("let x = [1]; for i in 0..99999999 { x.push(i) } x".to_string()),
        Just("fn f(n) { f(n + 1) } f(0)".to_string()),
        Just("\"a\" * 999999999".to_string()),
    ]) {
        let started = Instant::now();
        if let Ok(script) = Script::compile(&source) {
            let _ = script.eval(&json!({"a": 1, "b": "x", "members": [{"name": "n"}]}), None);
        }
        prop_assert!(started.elapsed() < Duration::from_secs(3), "{source:?} took {:?}", started.elapsed());
    }

    #[test]
    fn the_photo_checks_never_panic(
        fixture in prop::sample::select(vec!["photo.png", "photo-gps.jpg"]),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        cut in any::<usize>(),
        keep_location in any::<bool>(),
    ) {
        let path = format!("{}/../tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let mut bytes = std::fs::read(path).unwrap();
        for (at, b) in edits {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = baida_engine::photo::check(bytes.into(), 10 * 1024 * 1024, 50_000_000, keep_location);
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
