//! The resident form page's model: from compiled fields, the answers as typed and the
//! form's live state to what the template shows; and from posted form data back to answers.
//!
//! HTML names follow the answer structure: `plate`, `spot.lon`, `members.0.name`; element ids
//! are `f-` and the JSON pointer with `/` as `-` (`f-members-0-name`), so the live state the
//! server computes (keyed by pointer) maps straight onto the page.

use std::collections::{BTreeSet, HashMap};

use baida_blocks::form::{FormState, offered};
use baida_blocks::{CompiledField, FieldType, Lang, Limit};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::i18n::word;
use crate::pages::posted_form::PostedForm;

/// One option of a select, checkbox set or radio set.
#[derive(Debug, Serialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
    pub parent: Option<String>,
}

/// An option group, for a cascading select whose parent is not chosen yet.
#[derive(Debug, Serialize)]
pub struct OptionGroup {
    pub label: String,
    pub options: Vec<OptionView>,
}

/// One item of a repeat group.
#[derive(Debug, Serialize)]
pub struct ItemView {
    pub index: usize,
    pub title: String,
    pub fields: Vec<FieldView>,
}

/// Everything the template needs to draw one field.
#[derive(Debug, Serialize, Default)]
pub struct FieldView {
    pub key: String,
    pub name: String,
    pub id: String,
    pub pointer: String,
    pub ty: &'static str,
    pub label: String,
    pub help: Option<String>,
    pub placeholder: Option<String>,
    pub required: bool,
    pub visible: bool,
    pub computed: bool,
    pub value: String,
    pub values: Vec<String>,
    pub lon: String,
    pub lat: String,
    pub address: String,
    pub options: Vec<OptionView>,
    pub option_groups: Vec<OptionGroup>,
    /// For a cascading select: every option as JSON `[[value, label], …]`, so the page's script
    /// can offer the ones the server says fit the parent's choice.
    pub all_options: Option<String>,
    pub depends_on: Option<String>,
    pub input_type: &'static str,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub step: Option<&'static str>,
    pub maxlength: Option<u32>,
    pub unit: Option<String>,
    pub stars: Vec<String>,
    pub multiple: bool,
    pub max_items: usize,
    pub error: Option<String>,
    pub items: Vec<ItemView>,
}

/// Element id for an answer pointer.
pub fn element_id(pointer: &str) -> String {
    format!("f{}", pointer.replace('/', "-"))
}

fn scalar(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(other) => other.to_string(),
    }
}

/// What the builder needs besides the fields.
pub struct Context<'a> {
    pub lang: Lang,
    pub state: &'a FormState,
    /// Error message per answer pointer.
    pub errors: &'a HashMap<String, String>,
    /// The repeat group that gets one more empty item (the "add" button), if any.
    pub add_item_to: Option<&'a str>,
    /// The rows each relation field offers, by field key.
    pub relations: Option<&'a HashMap<String, Vec<baida_engine::register::relation::RowChoice>>>,
}

/// Builds the views of `fields` from `raw` (the answers as typed).
pub fn build(
    fields: &[&CompiledField],
    raw: &Map<String, Value>,
    ctx: &Context<'_>,
    name_prefix: &str,
    pointer_prefix: &str,
) -> Vec<FieldView> {
    fields.iter().map(|f| build_one(f, fields, raw, ctx, name_prefix, pointer_prefix)).collect()
}

fn build_one(
    f: &CompiledField,
    siblings: &[&CompiledField],
    raw: &Map<String, Value>,
    ctx: &Context<'_>,
    name_prefix: &str,
    pointer_prefix: &str,
) -> FieldView {
    let lang = ctx.lang;
    let field = &f.field;
    let pointer = format!("{pointer_prefix}/{}", field.key);
    let name = format!("{name_prefix}{}", field.key);
    let value = raw.get(&field.key);
    let computed_value = ctx.state.computed.get(&pointer);
    let limit = |l: &Option<Limit>| -> Option<String> {
        l.as_ref().map(|l| match l {
            Limit::Number(n) => n.to_string(),
            Limit::Text(t) if t == "today" => {
                chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d").to_string()
            }
            Limit::Text(t) => t.clone(),
        })
    };
    let error = ctx
        .errors
        .iter()
        .filter(|(p, _)| **p == pointer || p.starts_with(&format!("{pointer}/")) && f.ty != FieldType::Group)
        .map(|(_, m)| m.clone())
        .next();
    let mut v = FieldView {
        key: field.key.clone(),
        id: element_id(&pointer),
        name: name.clone(),
        ty: f.ty.id(),
        label: field.label_text().get(lang).to_string(),
        help: field.help.as_ref().map(|t| t.get(lang).to_string()),
        placeholder: field.placeholder.as_ref().map(|t| t.get(lang).to_string()),
        required: ctx.state.required.get(&pointer).copied().unwrap_or(field.required),
        visible: ctx.state.visible.get(&pointer).copied().unwrap_or(true),
        computed: f.compute.is_some(),
        value: if f.compute.is_some() {
            // A computed choice shows its label, not its code.
            let v = scalar(computed_value);
            f.choices.iter().find(|c| c.value() == v).map(|c| c.label().get(lang).to_string()).unwrap_or(v)
        } else {
            scalar(value)
        },
        unit: field.unit.as_ref().map(|t| t.get(lang).to_string()),
        maxlength: field.max_length,
        error,
        input_type: "text",
        pointer: pointer.clone(),
        ..FieldView::default()
    };
    match f.ty {
        FieldType::Phone => {
            v.input_type = "tel";
            v.inputmode = Some("tel");
            v.autocomplete = Some("tel");
        }
        FieldType::Email => {
            v.input_type = "email";
            v.autocomplete = Some("email");
        }
        FieldType::IdNumber => v.maxlength = Some(18),
        FieldType::Number | FieldType::Integer => {
            v.input_type = "text";
            v.inputmode = Some(if f.ty == FieldType::Integer { "numeric" } else { "decimal" });
            v.min = limit(&field.min);
            v.max = limit(&field.max);
        }
        FieldType::Time => v.input_type = "time",
        FieldType::Slider => {
            v.input_type = "range";
            v.min = Some(limit(&field.min).unwrap_or_else(|| "0".into()));
            v.max = Some(limit(&field.max).unwrap_or_else(|| "100".into()));
            if v.value.is_empty() {
                v.value = v.min.clone().unwrap_or_default();
            }
        }
        FieldType::Date | FieldType::Datetime => {
            v.input_type = if f.ty == FieldType::Date { "date" } else { "datetime-local" };
            v.min = limit(&field.min);
            v.max = limit(&field.max);
        }
        FieldType::Rating => {
            let max = field.max.as_ref().and_then(Limit::as_f64).unwrap_or(5.0) as u32;
            v.stars = (1..=max).map(|s| s.to_string()).collect();
        }
        FieldType::Relation => {
            let chosen = match value {
                Some(Value::Object(o)) => o.get("row").and_then(Value::as_str).unwrap_or_default().to_string(),
                other => scalar(other),
            };
            let offered = ctx.relations.and_then(|r| r.get(&field.key)).map(Vec::as_slice).unwrap_or_default();
            v.options = offered
                .iter()
                .map(|c| OptionView {
                    value: c.row.clone(),
                    label: c.label.clone(),
                    selected: c.row == chosen,
                    parent: None,
                })
                .collect();
            // A row kept by the case but no longer offered (taken since, or removed) stays shown.
            if !chosen.is_empty() && !v.options.iter().any(|o| o.selected) {
                let label = match value {
                    Some(Value::Object(o)) => o.get("key").and_then(Value::as_str).unwrap_or(&chosen).to_string(),
                    _ => chosen.clone(),
                };
                v.options.insert(0, OptionView { value: chosen, label, selected: true, parent: None });
            }
        }
        FieldType::Select | FieldType::Multiselect => {
            let chosen: BTreeSet<String> = match value {
                Some(Value::Array(items)) => items.iter().map(|i| scalar(Some(i))).collect(),
                other => std::iter::once(scalar(other)).collect(),
            };
            let option = |c: &baida_blocks::Choice| OptionView {
                value: c.value().to_string(),
                label: c.label().get(lang).to_string(),
                selected: chosen.contains(c.value()),
                parent: c.parent().map(str::to_string),
            };
            let parent_value =
                field.depends_on.as_ref().and_then(|p| raw.get(p)).and_then(Value::as_str).filter(|s| !s.is_empty());
            v.options = offered(f, parent_value).into_iter().map(option).collect();
            if let Some(parent) = &field.depends_on {
                v.depends_on = Some(element_id(&format!("{pointer_prefix}/{parent}")));
                let all: Vec<[String; 2]> =
                    f.choices.iter().map(|c| [c.value().to_string(), c.label().get(lang).to_string()]).collect();
                v.all_options = serde_json::to_string(&all).ok();
                if parent_value.is_none() {
                    // Not chosen yet: show every option, grouped under its parent's label.
                    let parent_choices = siblings
                        .iter()
                        .find(|s| &s.field.key == parent)
                        .map(|s| s.choices.as_slice())
                        .unwrap_or_default();
                    let mut groups: Vec<OptionGroup> = Vec::new();
                    for c in &f.choices {
                        let value = c.parent().unwrap_or_default();
                        let label = parent_choices
                            .iter()
                            .find(|p| p.value() == value)
                            .map(|p| p.label().get(lang).to_string())
                            .unwrap_or_else(|| value.to_string());
                        match groups.iter_mut().find(|g| g.label == label) {
                            Some(g) => g.options.push(option(c)),
                            None => groups.push(OptionGroup { label, options: vec![option(c)] }),
                        }
                    }
                    v.option_groups = groups;
                }
            }
            v.multiple = f.ty == FieldType::Multiselect;
        }
        FieldType::Photo => {
            v.values = match value {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            v.max_items = field.max.as_ref().and_then(Limit::as_f64).unwrap_or(1.0) as usize;
            v.multiple = v.max_items > 1;
        }
        FieldType::Location => {
            v.lon = scalar(value.and_then(|l| l.get("lon")));
            v.lat = scalar(value.and_then(|l| l.get("lat")));
            v.address = scalar(value.and_then(|l| l.get("address")));
        }
        FieldType::Group => {
            let items: Vec<Map<String, Value>> = match value {
                Some(Value::Array(items)) => items.iter().map(|i| i.as_object().cloned().unwrap_or_default()).collect(),
                _ => Vec::new(),
            };
            let min = field.min.as_ref().and_then(Limit::as_f64).unwrap_or(1.0).max(1.0) as usize;
            let mut count = items.len().max(min);
            if ctx.add_item_to == Some(name.as_str()) {
                count += 1;
            }
            v.max_items =
                field.max.as_ref().and_then(Limit::as_f64).map(|m| m as usize).unwrap_or(baida_blocks::form::GROUP_MAX);
            let sub: Vec<&CompiledField> = f.items.iter().collect();
            let empty = Map::new();
            v.items = (0..count)
                .map(|i| ItemView {
                    index: i,
                    title: word(lang, "item").replace("{n}", &(i + 1).to_string()),
                    fields: build(
                        &sub,
                        items.get(i).unwrap_or(&empty),
                        ctx,
                        &format!("{name}.{i}."),
                        &format!("{pointer}/{i}"),
                    ),
                })
                .collect();
        }
        _ => {}
    }
    v
}

/// Rebuilds answers from a posted form, as typed (the form block coerces them).
/// Keys the form does not post stay absent, so "not answered" stays distinguishable.
/// Each lookup is a map search, so the cost grows with the fields, not with what was posted.
pub fn answers_from_posted(fields: &[&CompiledField], posted: &PostedForm, prefix: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        if !f.ty.holds_value() || f.compute.is_some() {
            continue;
        }
        let name = format!("{prefix}{}", f.field.key);
        let value = match f.ty {
            FieldType::Multiselect | FieldType::Photo => {
                let values: Vec<Value> =
                    posted.all(&name).iter().filter(|v| !v.is_empty()).cloned().map(Value::String).collect();
                (!values.is_empty()).then_some(Value::Array(values))
            }
            FieldType::Location => {
                let part = |p: &str| posted.last(&format!("{name}.{p}")).map(str::to_string);
                let (lon, lat, address) = (part("lon"), part("lat"), part("address"));
                (lon.is_some() || lat.is_some() || address.is_some()).then(|| {
                    serde_json::json!({"lon": lon.unwrap_or_default(), "lat": lat.unwrap_or_default(), "address": address.unwrap_or_default()})
                })
            }
            FieldType::Group => {
                let sub: Vec<&CompiledField> = f.items.iter().collect();
                let items: Vec<Value> = posted
                    .group_indices(&name)
                    .into_iter()
                    .map(|i| answers_from_posted(&sub, posted, &format!("{name}.{i}.")))
                    .filter(|item| item.values().any(|v| !matches!(v, Value::String(s) if s.is_empty())))
                    .map(Value::Object)
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            _ => posted.last(&name).map(|v| Value::String(v.to_string())),
        };
        if let Some(v) = value {
            out.insert(f.field.key.clone(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baida_blocks::{App, Dictionary};
    use serde_json::json;

    #[test]
    fn posted_pairs_become_answers_in_the_shape_of_the_record() {
        let app = App::compile(
            &json!({
                "id": "test-app", "version": "1.0.0", "name": "测试", "category": "test",
                "record": {"fields": [
                    {"key": "title", "type": "text"},
                    {"key": "tags", "type": "multiselect", "options": ["a", "b"]},
                    {"key": "spot", "type": "location"},
                    {"key": "members", "type": "group", "fields": [{"key": "name", "type": "text"}]},
                    {"key": "total", "type": "integer", "compute": "1"}
                ]},
                "steps": [{"id": "s", "block": "form", "config": {}}]
            }),
            &Dictionary::default(),
        )
        .unwrap();
        let fields: Vec<&CompiledField> = app.fields.iter().collect();
        let posted = PostedForm::from_pairs([
            ("title", "你好"),
            ("tags", "a"),
            ("tags", "b"),
            ("spot.lon", "114.05"),
            ("spot.lat", "22.54"),
            ("spot.address", "福田区"),
            ("members.1.name", "李四"),
            ("members.0.name", "张三"),
            ("members.2.name", ""),
            ("total", "999"),
        ])
        .unwrap();
        let answers = answers_from_posted(&fields, &posted, "");
        assert_eq!(
            Value::Object(answers),
            json!({
                "title": "你好", "tags": ["a", "b"],
                "spot": {"lon": "114.05", "lat": "22.54", "address": "福田区"},
                "members": [{"name": "张三"}, {"name": "李四"}]
            })
        );
    }
}
