//! The meta-schema `app.schema.json` (JSON Schema 2020-12) and the structural check of an
//! app definition against it.
//!
//! The schema is generated from the model types in this crate, so it cannot drift from what
//! serde reads; the generated file is committed at `blocks/schema/app.schema.json` and a test
//! fails when it is stale (run with `BAIDA_UPDATE_SCHEMA=1` to rewrite it).

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::Value;

use crate::{App, Problem, Text};

/// Where the runtime serves the meta-schema.
pub const SCHEMA_URL: &str = "/schemas/app.schema.json";

/// The committed meta-schema, byte for byte.
pub const APP_SCHEMA_JSON: &str = include_str!("../schema/app.schema.json");

/// Generates the meta-schema from the model types.
pub fn generate() -> Value {
    let mut schema = SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<App>().to_value();
    if let Value::Object(map) = &mut schema {
        map.insert("$id".into(), Value::String(SCHEMA_URL.into()));
    }
    schema
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(APP_SCHEMA_JSON).expect("the committed meta-schema is JSON");
        jsonschema::draft202012::new(&schema).expect("the committed meta-schema is a valid JSON Schema")
    })
}

/// Checks `doc` against the meta-schema; every error, with its JSON pointer.
///
/// A step whose config does not fit would only be reported as "matches none of the block
/// kinds"; such a step is checked again against its own block's config schema, so the error
/// points at the property at fault.
pub fn check(doc: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in validator().iter_errors(doc) {
        let at = e.instance_path.to_string();
        let step = at.strip_prefix("/steps/").filter(|i| i.parse::<usize>().is_ok()).and_then(|_| doc.pointer(&at));
        match (&e.kind, step) {
            (ValidationErrorKind::OneOfNotValid { .. }, Some(step)) => out.extend(check_step(step, &at)),
            _ => out.push(describe(&e)),
        }
    }
    out
}

/// Checks one step against the config schema of its block kind.
fn check_step(step: &Value, at: &str) -> Vec<Problem> {
    static VALIDATORS: OnceLock<Vec<(&'static str, jsonschema::Validator)>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        crate::block::all()
            .into_iter()
            .filter_map(|b| jsonschema::draft202012::new(&b.config_schema).ok().map(|v| (b.id, v)))
            .collect()
    });
    let kind = step.get("block").and_then(Value::as_str).unwrap_or_default();
    let Some(config) = step.get("config") else {
        return vec![
            Problem::new(format!("{at}/config"), "schema", Text::new("缺少必填项“config”", "“config” is required"))
                .with_hint(Text::new(
                    "没有设置时写 \"config\": {}",
                    "Write \"config\": {} when there is nothing to set",
                )),
        ];
    };
    match validators.iter().find(|(id, _)| *id == kind) {
        Some((_, v)) => v
            .iter_errors(config)
            .map(|e| {
                let mut p = describe(&e);
                p.pointer = format!("{at}/config{}", p.pointer);
                p
            })
            .collect(),
        None => Vec::new(),
    }
}

fn describe(e: &jsonschema::ValidationError<'_>) -> Problem {
    let at = e.instance_path.to_string();
    let (pointer, message, hint) = match &e.kind {
        ValidationErrorKind::Required { property } => {
            let p = property.as_str().unwrap_or_default();
            (format!("{at}/{p}"), Text::new(format!("缺少必填项“{p}”"), format!("“{p}” is required")), None)
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let names = unexpected.join(", ");
            (
                format!("{at}/{}", unexpected.first().cloned().unwrap_or_default()),
                Text::new(format!("不认识的属性：{names}"), format!("Unknown property: {names}")),
                Some(Text::new("检查拼写，或删除该属性", "Check the spelling or remove it")),
            )
        }
        ValidationErrorKind::Type { kind } => {
            let expected = format!("{kind:?}").to_lowercase();
            let expected = expected.trim_start_matches("single(").trim_start_matches("multiple(").trim_end_matches(')');
            (at, Text::new(format!("类型不对，应为 {expected}"), format!("Wrong type, expected {expected}")), None)
        }
        ValidationErrorKind::Enum { options } => {
            (at, Text::new(format!("取值应为其中之一：{options}"), format!("Must be one of: {options}")), None)
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => (
            at,
            Text::new("写法不符合任何一种允许的格式", "Does not match any of the allowed shapes"),
            Some(Text::new(
                "文字可写成字符串，或 {\"zh-CN\": \"…\", \"en\": \"…\"}",
                "Text is a string or {\"zh-CN\": \"…\", \"en\": \"…\"}",
            )),
        ),
        _ => {
            let detail = e.to_string();
            (
                at,
                Text::new(format!("不符合应用定义格式：{detail}"), format!("Not a valid app definition: {detail}")),
                None,
            )
        }
    };
    let mut p = Problem::new(pointer, "schema", message);
    p.hint = hint;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_meta_schema_matches_the_model() {
        let generated = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
        if std::env::var_os("BAIDA_UPDATE_SCHEMA").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/app.schema.json"), &generated).unwrap();
            return;
        }
        assert!(
            generated == APP_SCHEMA_JSON,
            "blocks/schema/app.schema.json is stale: run `BAIDA_UPDATE_SCHEMA=1 cargo test -p baida-blocks schema`"
        );
    }
}
