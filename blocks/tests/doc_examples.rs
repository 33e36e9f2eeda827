//! The examples in `docs/app-definition.md` are true, and cover every kind of field and block.
//!
//! Fenced blocks are checked by their info string:
//!
//! - ` ```json `: a complete app definition; it must compile without problems against the
//!   built-in data dictionary (read from `templates-library/dictionary/`).
//! - ` ```json fragment `: a field (has `key`), a step (has `block`), a transition (has `from` and
//!   `to`), a rule (has `check`) or a trigger (has `type`), or a list of them. They are placed in
//!   a small app (a first form step, each step reached from it, record fields the steps name
//!   added as text fields) that must compile without problems. A preceding comment
//!   `<!-- context: [fields…] -->` adds sibling fields before the fragment's;
//!   `<!-- context: previous -->` reuses the fields of the previous fragment.
//! - ` ```json answer `: the value of the single field of the preceding fragment; the form must
//!   accept it without errors. ` ```json answers `: an answers object for the preceding example
//!   (fragment or complete app), likewise.
//! - ` ```json invalid `: a complete app that must not compile; a preceding
//!   `<!-- expect: code code… -->` lists the codes of its problems, in order. A following
//!   ` ```json problem ` must show exactly its problems, in English, as the HTTP API does.
//! - any other ` ```json … ` block must at least be JSON.
//!
//! Then every field type ([`FieldType::ALL`]), every block kind ([`block::ids`]) and every
//! problem code that validation and form evaluation can produce must appear in the document, so
//! that a new kind or code cannot be added without documenting it.

use std::collections::BTreeSet;
use std::path::Path;

use baida_blocks::compile::CompiledField;
use baida_blocks::form::evaluate;
use baida_blocks::{App, CompiledApp, Dictionary, DictionaryPart, FieldType, Problem, block};
use chrono::NaiveDate;
use serde_json::{Value, json};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/app-definition.md");
const DICTIONARY_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../templates-library/dictionary");
const FIRST_STEP: &str = "doc_intake";

/// One fenced block of the document.
struct Example {
    /// 1-based line of the opening fence.
    line: usize,
    /// The info string, e.g. `json fragment`.
    info: String,
    body: String,
    /// The text of an HTML comment on the line just before the fence.
    comment: Option<String>,
}

fn examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = doc.lines().enumerate();
    let mut previous = "";
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            previous = line;
            continue;
        };
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_end() == "```" {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        let comment =
            previous.trim().strip_prefix("<!--").and_then(|c| c.strip_suffix("-->")).map(|c| c.trim().to_string());
        out.push(Example { line: i + 1, info: info.trim().to_string(), body, comment });
        previous = "";
    }
    out
}

fn dictionary() -> Dictionary {
    let mut files: Vec<_> = std::fs::read_dir(DICTIONARY_DIR)
        .expect("the dictionary folder")
        .map(|e| e.expect("a dictionary file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let parts = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("a readable dictionary file");
            serde_json::from_str::<DictionaryPart>(&text)
                .unwrap_or_else(|e| panic!("{} is not a dictionary part: {e}", p.display()))
        })
        .collect();
    Dictionary::from_parts("doc", parts)
}

fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            let at = match (p.line, p.column) {
                (Some(l), Some(c)) => format!(" [{l}:{c}]"),
                _ => String::new(),
            };
            format!("  {}{at} ({}) {}", p.pointer, p.code, p.message.en())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a fragment is, by the properties it has.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Field,
    Step,
    Transition,
    Rule,
    Trigger,
}

fn kind(v: &Value) -> Option<Kind> {
    let has = |k: &str| v.get(k).is_some();
    if has("key") {
        Some(Kind::Field)
    } else if has("block") {
        Some(Kind::Step)
    } else if has("from") && has("to") {
        Some(Kind::Transition)
    } else if has("check") {
        Some(Kind::Rule)
    } else if has("type") {
        Some(Kind::Trigger)
    } else {
        None
    }
}

fn key_of(v: &Value) -> &str {
    v.get("key").and_then(Value::as_str).unwrap_or_default()
}

/// A small app around a fragment. Returns the app and the fragment's own field keys and step ids.
fn fragment_app(items: &[Value], context: &[Value], at: usize) -> (Value, Vec<String>, Vec<String>) {
    let mut fields: Vec<Value> = context.to_vec();
    let (mut rules, mut triggers, mut transitions) = (Vec::new(), Vec::new(), Vec::new());
    let mut steps = vec![json!({"id": FIRST_STEP, "block": "form", "config": {}})];
    let (mut own_fields, mut own_steps) = (Vec::new(), Vec::new());
    let mut wanted_keys = Vec::new();
    for item in items {
        match kind(item) {
            Some(Kind::Field) => {
                own_fields.push(key_of(item).to_string());
                fields.push(item.clone());
            }
            Some(Kind::Step) => {
                let id = item["id"].as_str().unwrap_or_default().to_string();
                let config = &item["config"];
                for k in config.get("fields").and_then(Value::as_array).into_iter().flatten() {
                    wanted_keys.push(k.as_str().unwrap_or_default().to_string());
                }
                if let Some(k) = config.get("to").and_then(Value::as_str).and_then(|t| t.strip_prefix("record.")) {
                    wanted_keys.push(k.to_string());
                }
                transitions.push(json!({"from": FIRST_STEP, "to": id}));
                own_steps.push(id);
                steps.push(item.clone());
            }
            Some(Kind::Transition) => transitions.push(item.clone()),
            Some(Kind::Rule) => rules.push(item.clone()),
            Some(Kind::Trigger) => triggers.push(item.clone()),
            None => panic!("line {at}: a fragment must be a field, step, transition, rule or trigger: {item}"),
        }
    }
    // Steps that the fragment's transitions name, reached from the first step.
    let named: Vec<String> = transitions
        .iter()
        .flat_map(|t| [&t["from"], &t["to"]])
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for id in named {
        if !steps.iter().any(|s| s["id"] == id.as_str()) {
            steps.push(json!({"id": id, "block": "form", "config": {}}));
            transitions.insert(0, json!({"from": FIRST_STEP, "to": id}));
        }
    }
    for k in wanted_keys {
        if !fields.iter().any(|f| key_of(f) == k) {
            fields.push(json!({"key": k, "type": "text"}));
        }
    }
    let app = json!({
        "id": "doc-example",
        "version": "1.0.0",
        "name": "文档示例",
        "category": "docs",
        "record": {"fields": fields, "rules": rules},
        "steps": steps,
        "transitions": transitions,
        "triggers": triggers,
    });
    (app, own_fields, own_steps)
}

fn field_types(fields: &[CompiledField], keys: Option<&[String]>, out: &mut BTreeSet<&'static str>) {
    for f in fields.iter().filter(|f| keys.is_none_or(|k| k.contains(&f.field.key))) {
        out.insert(f.ty.id());
        field_types(&f.items, None, out);
    }
}

/// The errors the form gives for `answers`, as `pointer (code) message` lines.
fn answer_errors(app: &CompiledApp, answers: &Value) -> Vec<String> {
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    evaluate(&app.intake_fields(), &app.rules, answers, today)
        .errors
        .iter()
        .map(|p| format!("{} ({}) {}", p.pointer, p.code, p.message.en()))
        .collect()
}

/// The `errors` of a problem+json answer in English, as the runtime writes them.
fn problem_errors(problems: &[Problem]) -> Value {
    problems
        .iter()
        .map(|p| {
            let mut e = json!({"pointer": p.pointer, "code": p.code, "message": p.message.en()});
            if let Some(h) = &p.hint {
                e["hint"] = h.en().into();
            }
            if let (Some(l), Some(c)) = (p.line, p.column) {
                e["line"] = l.into();
                e["column"] = c.into();
            }
            e
        })
        .collect()
}

#[test]
fn documented_examples_are_true_and_cover_every_kind() {
    let doc = std::fs::read_to_string(DOC).expect("docs/app-definition.md");
    let dict = dictionary();
    let mut types = BTreeSet::new();
    let mut blocks = BTreeSet::new();
    let mut last_app: Option<CompiledApp> = None;
    let mut last_field: Option<String> = None;
    let mut last_fields: Vec<Value> = Vec::new();
    let mut last_invalid: Option<Vec<Problem>> = None;
    let mut checked = 0;

    for ex in examples(&doc) {
        let Some(rest) = ex.info.strip_prefix("json") else {
            continue;
        };
        let at = ex.line;
        let value: Value = serde_json::from_str(&ex.body)
            .unwrap_or_else(|e| panic!("line {at}: the ```{} block is not JSON: {e}", ex.info));
        checked += 1;
        match rest.trim() {
            "" => {
                let app = App::compile(&value, &dict)
                    .unwrap_or_else(|p| panic!("line {at}: the app does not compile:\n{}", describe(&p)));
                field_types(&app.fields, None, &mut types);
                blocks.extend(app.app.steps.iter().map(|s| s.block.kind()));
                last_app = Some(app);
                last_field = None;
            }
            "fragment" => {
                let items = match &value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let context: Vec<Value> = match ex.comment.as_deref().and_then(|c| c.strip_prefix("context:")) {
                    Some(c) if c.trim() == "previous" => last_fields.clone(),
                    Some(c) => serde_json::from_str(c.trim())
                        .unwrap_or_else(|e| panic!("line {at}: the context comment is not a JSON list of fields: {e}")),
                    None => Vec::new(),
                };
                let (app, own_fields, own_steps) = fragment_app(&items, &context, at);
                let compiled = App::compile(&app, &dict).unwrap_or_else(|p| {
                    panic!("line {at}: the fragment does not compile:\n{}\nin {app:#}", describe(&p))
                });
                field_types(&compiled.fields, Some(&own_fields), &mut types);
                for step in compiled.app.steps.iter().filter(|s| own_steps.contains(&s.id)) {
                    blocks.insert(step.block.kind());
                }
                last_field = match own_fields.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                };
                last_fields = app["record"]["fields"].as_array().cloned().unwrap_or_default();
                last_app = Some(compiled);
            }
            "answer" => {
                let app =
                    last_app.as_ref().unwrap_or_else(|| panic!("line {at}: an answer needs an example before it"));
                let key = last_field
                    .as_ref()
                    .unwrap_or_else(|| panic!("line {at}: an answer must follow a fragment with one field"));
                let errors = answer_errors(app, &json!({ key.as_str(): value }));
                assert!(errors.is_empty(), "line {at}: the answer is refused:\n{}", errors.join("\n"));
            }
            "answers" => {
                let app = last_app.as_ref().unwrap_or_else(|| panic!("line {at}: answers need an example before them"));
                let errors = answer_errors(app, &value);
                assert!(errors.is_empty(), "line {at}: the answers are refused:\n{}", errors.join("\n"));
            }
            "invalid" => {
                let problems = match App::compile(&value, &dict) {
                    Ok(_) => panic!("line {at}: the invalid example compiles"),
                    Err(p) => p,
                };
                if let Some(expect) = ex.comment.as_deref().and_then(|c| c.strip_prefix("expect:")) {
                    let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
                    let expected: Vec<&str> = expect.split_whitespace().collect();
                    assert_eq!(codes, expected, "line {at}: other problems than expected:\n{}", describe(&problems));
                }
                last_invalid = Some(problems);
            }
            "problem" => {
                if let Some(problems) = last_invalid.take() {
                    let shown = &value["errors"];
                    let actual = problem_errors(&problems);
                    assert_eq!(
                        shown, &actual,
                        "line {at}: the problem document differs from the problems; they are:\n{actual:#}"
                    );
                    assert_eq!(value["detail"], format!("{} problem(s) found", problems.len()), "line {at}");
                }
            }
            _ => {}
        }
    }
    assert!(checked > 20, "only {checked} examples found in {DOC}");

    let missing: Vec<&str> = FieldType::ALL.iter().map(|t| t.id()).filter(|t| !types.contains(t)).collect();
    assert!(missing.is_empty(), "field types without an example in docs/app-definition.md: {missing:?}");
    let missing: Vec<&str> = block::ids().into_iter().filter(|b| !blocks.contains(b)).collect();
    assert!(missing.is_empty(), "block kinds without an example in docs/app-definition.md: {missing:?}");
}

#[test]
fn every_problem_code_is_documented() {
    let doc = std::fs::read_to_string(DOC).expect("docs/app-definition.md");
    // The second argument of every call that makes a problem: `Problem::new(pointer, "code", …)`,
    // `self.hinted(…)`, `self.problem(…)`, `self.error(…)`.
    let call = regex::Regex::new(
        r#"(?:Problem::new|\.hinted|\.problem|\.error)\(\s*(?:[^,()]|\((?:[^()]|\([^()]*\))*\))*,\s*"([a-z_]+)""#,
    )
    .expect("a valid regex");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut codes = BTreeSet::new();
    for file in ["compile.rs", "check.rs", "check_steps.rs", "form.rs", "schema.rs"] {
        let text = std::fs::read_to_string(src.join(file)).expect("a source file");
        // Only the code, not its unit tests.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        codes.extend(call.captures_iter(text).map(|c| c[1].to_string()));
    }
    for expected in ["unknown_block", "unreachable_step", "required", "rule", "schema"] {
        assert!(codes.contains(expected), "the scan of the sources missed {expected}: found {codes:?}");
    }
    let missing: Vec<&String> = codes.iter().filter(|c| !doc.contains(&format!("`{c}`"))).collect();
    assert!(missing.is_empty(), "problem codes not documented in docs/app-definition.md: {missing:?}");
}
