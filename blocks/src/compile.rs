//! Compiling an app definition: structural check against the meta-schema, semantic checks,
//! dictionary resolution and script compilation — every problem reported at once, each with
//! its JSON pointer and a hint.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use crate::check::Checker;
use crate::dictionary::Sensitivity;
use crate::problem::pointer_token;
use crate::script::{Script, ScriptError};
use crate::step::{BlockConfig, Transition};
use crate::{App, Choice, Dictionary, Field, FieldType, Problem, Rule, Text, block, schema};

/// An app version ready to run: fields resolved, patterns and scripts compiled once.
#[derive(Debug, Clone)]
pub struct CompiledApp {
    /// The definition with dictionary references resolved.
    pub app: App,
    pub fields: Vec<CompiledField>,
    pub rules: Vec<CompiledRule>,
    pub transitions: Vec<CompiledTransition>,
    /// Scripts of steps, compiled once, by step id: a dispatch step's rule conditions in
    /// order, a script step's script, a register step's expressions
    /// ([`crate::step::RegisterConfig::expressions`]).
    pub step_scripts: HashMap<String, Vec<Script>>,
    /// The app's registers, their fields resolved and compiled.
    pub registers: Vec<CompiledRegister>,
    /// Each schedule's expressions, compiled once, by schedule id
    /// ([`crate::trigger::Schedule::expressions`]).
    pub schedule_scripts: HashMap<String, Vec<Script>>,
}

/// A register ready to use: its fields resolved and compiled like the record's.
#[derive(Debug, Clone)]
pub struct CompiledRegister {
    pub register: crate::Register,
    pub fields: Vec<CompiledField>,
}

impl CompiledRegister {
    /// The key field.
    pub fn key_field(&self) -> Option<&CompiledField> {
        self.fields.iter().find(|f| f.field.key == self.register.key)
    }
}

/// A resolved field with its compiled pattern and scripts.
#[derive(Debug, Clone)]
pub struct CompiledField {
    pub field: Field,
    pub ty: FieldType,
    /// Options of a select field, from `options` or the dictionary code list.
    pub choices: Vec<Choice>,
    pub pattern: Option<Regex>,
    pub visible_if: Option<Script>,
    pub required_if: Option<Script>,
    pub compute: Option<Script>,
    /// Fields of each item of a repeat group.
    pub items: Vec<CompiledField>,
    /// A relation's `filter`, compiled.
    pub filter: Option<Script>,
    pub sensitivity: Sensitivity,
}

#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    pub check: Script,
}

#[derive(Debug, Clone)]
pub struct CompiledTransition {
    pub transition: Transition,
    pub when: Option<Script>,
}

impl App {
    /// Validates `doc` and compiles it. Returns every problem found, or the compiled app.
    pub fn compile(doc: &Value, dict: &Dictionary) -> Result<CompiledApp, Vec<Problem>> {
        // Unknown kinds are reported, then stood in for by neutral ones (a timer step, a text
        // field) so that every other problem of the document is still found in the same pass.
        let mut problems = unknown_kinds(doc);
        let roots: Vec<String> = problems.iter().map(|p| parent(&p.pointer)).collect();
        let outside = |p: &Problem| !roots.iter().any(|r| p.pointer == *r || p.pointer.starts_with(&format!("{r}/")));
        let mut doc = doc.clone();
        for root in &roots {
            if let Some(v) = doc.pointer_mut(root) {
                *v = if root.starts_with("/steps/") {
                    serde_json::json!({"id": v.get("id").cloned().unwrap_or_default(), "block": "timer", "config": {"after": "1m"}})
                } else {
                    serde_json::json!({"key": v.get("key").cloned().unwrap_or_default(), "type": "text"})
                };
            }
        }
        let structural: Vec<Problem> = schema::check(&doc).into_iter().filter(|p| outside(p)).collect();
        if !structural.is_empty() {
            problems.extend(structural);
            return Err(problems);
        }
        let app: App = match serde_json::from_value(doc) {
            Ok(app) => app,
            Err(e) => {
                problems.push(Problem::new(
                    "",
                    "schema",
                    Text::new(format!("应用定义无法读取：{e}"), format!("The app definition cannot be read: {e}")),
                ));
                return Err(problems);
            }
        };
        let mut c = Checker::new(dict);
        let compiled = c.app(app);
        problems.extend(c.problems.into_iter().filter(|p| outside(p)));
        if problems.is_empty() { Ok(compiled) } else { Err(problems) }
    }
}

fn parent(pointer: &str) -> String {
    pointer.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// Unknown block kinds and field types, found before the schema check so that they get a
/// precise message (the schema alone would only say "does not match any shape").
fn unknown_kinds(doc: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let known_blocks = block::ids();
    if let Some(steps) = doc.get("steps").and_then(Value::as_array) {
        for (i, step) in steps.iter().enumerate() {
            for key in step.as_object().into_iter().flat_map(|m| m.keys()) {
                if !matches!(key.as_str(), "id" | "name" | "block" | "config") {
                    out.push(
                        Problem::new(
                            format!("/steps/{i}/{}", crate::problem::pointer_token(key)),
                            "schema",
                            Text::new(format!("不认识的属性：{key}"), format!("Unknown property: {key}")),
                        )
                        .with_hint(Text::new(
                            "步骤只有 id、name、block 和 config",
                            "A step has only id, name, block and config",
                        )),
                    );
                }
            }
            if let Some(kind) = step.get("block").and_then(Value::as_str)
                && !known_blocks.contains(&kind)
            {
                let list = known_blocks.join(", ");
                out.push(
                    Problem::new(
                        format!("/steps/{i}/block"),
                        "unknown_block",
                        Text::new(format!("不认识的积木类型“{kind}”"), format!("Unknown block kind “{kind}”")),
                    )
                    .with_hint(Text::new(format!("可用的积木：{list}"), format!("Known blocks: {list}"))),
                );
            }
        }
    }
    fn fields(list: &Value, at: &str, out: &mut Vec<Problem>) {
        let types: Vec<&str> = FieldType::ALL.iter().map(|t| t.id()).collect();
        for (i, f) in list.as_array().into_iter().flatten().enumerate() {
            let here = format!("{at}/{i}");
            if let Some(ty) = f.get("type").and_then(Value::as_str)
                && !types.contains(&ty)
            {
                let list = types.join(", ");
                out.push(
                    Problem::new(
                        format!("{here}/type"),
                        "unknown_field_type",
                        Text::new(format!("不认识的字段类型“{ty}”"), format!("Unknown field type “{ty}”")),
                    )
                    .with_hint(Text::new(format!("可用的类型：{list}"), format!("Known types: {list}"))),
                );
            }
            if let Some(sub) = f.get("fields") {
                fields(sub, &format!("{here}/fields"), out);
            }
        }
    }
    if let Some(list) = doc.pointer("/record/fields") {
        fields(list, "/record/fields", &mut out);
    }
    out
}

impl CompiledApp {
    /// Whether cases of this app are spending proposals: it books expenses to the community
    /// ledger (a `ledger` step with `"direction": "expense"`). Their public page, comments and
    /// votes follow from that.
    pub fn books_expenses(&self) -> bool {
        self.app
            .steps
            .iter()
            .any(|s| matches!(&s.block, BlockConfig::Ledger(c) if c.direction == crate::step::LedgerDirection::Expense))
    }

    /// The intake fields a proposal publishes: those the builder marked `"sensitivity":
    /// "public"`, never a phone, ID number, e-mail, location or a container. Adding an expense
    /// `ledger` step to an app must not publish every answer of its form. Empty when the first
    /// step is not a form.
    pub fn published_fields(&self) -> Vec<&CompiledField> {
        if !matches!(self.app.steps.first().map(|s| &s.block), Some(BlockConfig::Form(_))) {
            return Vec::new();
        }
        let personal = |ty: FieldType| {
            matches!(
                ty,
                FieldType::Phone
                    | FieldType::IdNumber
                    | FieldType::Email
                    | FieldType::Location
                    | FieldType::Group
                    | FieldType::Section
            )
        };
        self.intake_fields().into_iter().filter(|f| !personal(f.ty) && f.sensitivity == Sensitivity::Public).collect()
    }

    /// The photos a spending proposal's public page shows of `record`: those of its published
    /// fields; none for an app that is not a proposal.
    pub fn published_photos(&self, record: &Value) -> Vec<String> {
        if !self.books_expenses() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for f in self.published_fields().into_iter().filter(|f| f.ty == FieldType::Photo) {
            match record.get(&f.field.key) {
                Some(Value::Array(a)) => out.extend(a.iter().filter_map(Value::as_str).map(str::to_string)),
                Some(Value::String(s)) => out.push(s.clone()),
                _ => {}
            }
        }
        out
    }

    /// The app's schedules.
    pub fn schedules(&self) -> impl Iterator<Item = &crate::trigger::Schedule> {
        self.app.triggers.iter().filter_map(|t| match t {
            crate::trigger::Trigger::Schedule(s) => Some(s),
            _ => None,
        })
    }

    /// The register with this id.
    pub fn register(&self, id: &str) -> Option<&CompiledRegister> {
        self.registers.iter().find(|r| r.register.id == id)
    }

    /// The intake form step (always the first step).
    pub fn intake_fields(&self) -> Vec<&CompiledField> {
        let subset = match self.app.steps.first().map(|s| &s.block) {
            Some(BlockConfig::Form(c)) => c.fields.clone(),
            _ => None,
        };
        self.fields.iter().filter(|f| subset.as_ref().is_none_or(|keys| keys.contains(&f.field.key))).collect()
    }

    /// The record fields a person fills at human step `step`: a form's (all of them when it
    /// names none), those a sign, handle, claim or review step names, a vote's result field;
    /// `None` for a step that runs by itself (or no such step).
    pub fn step_fields(&self, step: &str) -> Option<Vec<&CompiledField>> {
        let keys = match &self.app.step(step)?.block {
            BlockConfig::Form(c) => c.fields.clone(),
            BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => {
                Some(c.fields.clone().unwrap_or_default())
            }
            BlockConfig::Review(c) => Some(c.fields.clone().unwrap_or_default()),
            BlockConfig::Vote(c) => Some(vec![c.result.clone()]),
            _ => return None,
        };
        Some(self.fields.iter().filter(|f| keys.as_ref().is_none_or(|k| k.contains(&f.field.key))).collect())
    }

    /// A step's name in `lang`: its own, else its block kind's (`派单`), else its id; the id
    /// asked for when there is no such step.
    pub fn step_name(&self, id: &str, lang: crate::Lang) -> String {
        let Some(step) = self.app.step(id) else { return id.to_string() };
        match &step.name {
            Some(n) => n.get(lang).to_string(),
            None => block::all()
                .into_iter()
                .find(|b| b.id == step.block.kind())
                .map_or_else(|| step.id.clone(), |b| b.name.get(lang).to_string()),
        }
    }

    /// Where a case goes after its intake: the first transition from the first step whose
    /// condition holds for `record`.
    pub fn next_step(&self, from: &str, record: &Value) -> Result<Option<&str>, ScriptError> {
        for t in self.transitions.iter().filter(|t| t.transition.from == from) {
            let take = match &t.when {
                Some(s) => s.eval_bool(record, None)?,
                None => true,
            };
            if take {
                return Ok(Some(&t.transition.to));
            }
        }
        Ok(None)
    }
}

/// JSON pointer of a field of the record (for answers, not the definition).
pub fn answer_pointer(prefix: &str, key: &str) -> String {
    format!("{prefix}/{}", pointer_token(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(doc: Value) -> Vec<(String, &'static str)> {
        App::compile(&doc, &Dictionary::default())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.pointer, p.code))
            .collect()
    }

    fn app(steps: Value) -> Value {
        json!({"id": "test-app", "version": "1.0.0", "name": "测试", "category": "t",
               "record": {"fields": [{"key": "a", "type": "text"}]}, "steps": steps,
               "transitions": [{"from": "s", "to": "n"}]})
    }

    #[test]
    fn a_bad_step_config_is_reported_at_the_property() {
        let p = problems(app(json!([{"id": "s", "block": "form", "config": {}},
                                     {"id": "n", "block": "notify", "config": {"channel": "pigeon", "to": "x", "template": "t"}}])));
        assert_eq!(p, vec![("/steps/1/config/channel".to_string(), "schema")]);
        let p = problems(app(json!([{"id": "s", "block": "form", "config": {}}, {"id": "n", "block": "timer"}])));
        assert_eq!(p, vec![("/steps/1/config".to_string(), "schema")]);
    }

    #[test]
    fn unknown_kinds_do_not_hide_the_other_problems() {
        let mut doc = app(
            json!([{"id": "s", "block": "form", "config": {}}, {"id": "n", "block": "teleport", "config": {"x": 1}}]),
        );
        doc["record"]["fields"] =
            json!([{"key": "a", "type": "colour", "options": ["x"]}, {"key": "a", "type": "text"}]);
        let p = problems(doc);
        assert_eq!(
            p,
            vec![
                ("/steps/1/block".to_string(), "unknown_block"),
                ("/record/fields/0/type".to_string(), "unknown_field_type"),
                ("/record/fields/1/key".to_string(), "duplicate_key"),
            ]
        );
    }

    #[test]
    fn unknown_step_properties_are_reported() {
        let p = problems(app(json!([{"id": "s", "block": "form", "config": {}, "nmae": "x"},
                                     {"id": "n", "block": "timer", "config": {"after": "1h"}}])));
        assert_eq!(p, vec![("/steps/0/nmae".to_string(), "schema")]);
    }
}
