//! Fields that redefine a data-dictionary field under another name (一次录入，多方共享 only
//! works when forms reference the dictionary instead of copying it).
//!
//! These are warnings, not errors: the app still compiles and runs, but its data will not be
//! shared with other apps. `baida validate` and `POST /api/v1/apps/validate` report them with
//! the code [`CODE`] and a hint naming the dictionary field to reference.
//!
//! A field without `dict` is taken for a copy of a dictionary field when it has the same
//! unqualified key and type (`plate_number` for `vehicle.plate_number`; only keys that one
//! dictionary field has), the same type and label in Chinese or in English (unless it brings
//! its own options), the same pattern, or a type that only one dictionary field has and that identifies
//! a person (`id_number`, `email`).

use crate::{App, DictField, Dictionary, Field, FieldType, Problem, Text};

/// The stable code of the warning.
pub const CODE: &str = "duplicates_dictionary_field";

/// Every field of `app` (groups included) that duplicates a dictionary field.
pub fn find(app: &App, dict: &Dictionary) -> Vec<Problem> {
    let mut out = Vec::new();
    walk(&app.record.fields, "/record/fields", dict, &mut out);
    out
}

fn walk(fields: &[Field], at: &str, dict: &Dictionary, out: &mut Vec<Problem>) {
    for (i, field) in fields.iter().enumerate() {
        let here = format!("{at}/{i}");
        if let Some(items) = &field.fields {
            walk(items, &format!("{here}/fields"), dict, out);
        }
        if field.dict.is_some() {
            continue;
        }
        if let Some((key, why)) = twin(field, dict) {
            let label = dict.fields[key].field.label.clone().unwrap_or_else(|| Text::new(key, key));
            out.push(
                Problem::new(
                    here,
                    CODE,
                    Text::new(
                        format!(
                            "字段“{}”与数据字典字段“{key}”（{}）重复：{}",
                            field.key,
                            label.zh(),
                            why.zh()
                        ),
                        format!(
                            "Field “{}” duplicates the dictionary field “{key}” ({}): {}",
                            field.key,
                            label.en(),
                            why.en()
                        ),
                    ),
                )
                .with_hint(Text::new(
                    format!("改为引用数据字典：\"dict\": \"{key}\"，居民填过的信息才能在各应用间共享"),
                    format!("Reference the dictionary instead: \"dict\": \"{key}\", so that what residents enter once is shared"),
                )),
            );
        }
    }
}

/// The dictionary field `field` copies, and why we think so.
fn twin<'d>(field: &Field, dict: &'d Dictionary) -> Option<(&'d str, Text)> {
    let by = |pred: &dyn Fn(&DictField) -> bool| -> Option<&'d str> {
        dict.fields.iter().find(|(_, d)| pred(d)).map(|(k, _)| k.as_str())
    };
    let same = |a: &str, b: &str| !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim());
    // The same unqualified key counts only when one dictionary field has it (`kind` and `name`
    // are in several categories) and the types agree.
    let short = |d: &DictField| d.field.key.rsplit('.').next() == Some(field.key.as_str());
    if dict.fields.values().filter(|d| short(d)).count() == 1
        && let Some(k) = by(&|d| short(d) && (field.ty.is_none() || d.field.ty == field.ty))
    {
        return Some((k, Text::new("字段名相同", "the same key")));
    }
    // A label counts when the types agree and the field does not bring its own options (a
    // select with its own options is a different code list, whatever its name).
    let same_kind = |d: &DictField| d.field.ty == field.ty && field.options.is_none();
    if let Some(label) = &field.label {
        if let Some(k) = by(&|d| same_kind(d) && d.field.label.as_ref().is_some_and(|l| same(l.zh(), label.zh()))) {
            return Some((k, Text::new("中文名称相同", "the same Chinese label")));
        }
        if let Some(k) = by(&|d| {
            same_kind(d) && d.field.label.as_ref().is_some_and(|l| same(l.en(), label.en()) && label.en() != label.zh())
        }) {
            return Some((k, Text::new("英文名称相同", "the same English label")));
        }
    }
    if let Some(p) = &field.pattern
        && let Some(k) = by(&|d| d.field.pattern.as_deref() == Some(p.as_str()))
    {
        return Some((k, Text::new("格式校验规则相同", "the same pattern")));
    }
    let ty = field.ty?;
    if matches!(ty, FieldType::IdNumber | FieldType::Email) {
        let of_type: Vec<&str> =
            dict.fields.iter().filter(|(_, d)| d.field.ty == Some(ty)).map(|(k, _)| k.as_str()).collect();
        if let [only] = of_type[..] {
            return Some((
                only,
                Text::new("数据字典里只有这一个同类型字段", "it is the dictionary's only field of that type"),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DictionaryPart;
    use serde_json::json;

    fn dict() -> Dictionary {
        let part: DictionaryPart = serde_json::from_value(json!({
            "category": "vehicle", "name": {"zh-CN": "车辆", "en": "Vehicles"},
            "fields": [
                {"key": "plate_number", "type": "text", "label": {"zh-CN": "车牌号码", "en": "Number plate"},
                 "pattern": "[A-Z]{2}", "sensitivity": "personal", "scenarios": ["move-car"]},
                {"key": "owner_id", "type": "id_number", "label": {"zh-CN": "车主身份证", "en": "Owner ID"},
                 "sensitivity": "sensitive", "scenarios": ["move-car"]}
            ]
        }))
        .unwrap();
        Dictionary::from_parts("t", vec![part])
    }

    fn check(field: serde_json::Value) -> Vec<String> {
        let app: App = serde_json::from_value(json!({
            "id": "x", "version": "1.0.0", "name": "x", "category": "c",
            "record": {"fields": [field]}, "steps": []
        }))
        .unwrap();
        find(&app, &dict()).into_iter().map(|p| format!("{} {}", p.pointer, p.message.en())).collect()
    }

    #[test]
    fn copies_are_found_by_key_label_pattern_or_identifying_type() {
        let found = check(json!({"key": "chepai", "type": "text", "label": {"zh-CN": "车牌号码", "en": "Plate"}}));
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("/record/fields/0") && found[0].contains("vehicle.plate_number"), "{found:?}");
        assert_eq!(check(json!({"key": "plate_number", "type": "text"})).len(), 1);
        assert_eq!(
            check(json!({"key": "p", "type": "text", "label": {"zh-CN": "号牌", "en": "number PLATE"}})).len(),
            1
        );
        assert_eq!(check(json!({"key": "p", "type": "text", "pattern": "[A-Z]{2}"})).len(), 1);
        assert_eq!(check(json!({"key": "sfz", "type": "id_number"})).len(), 1);
    }

    #[test]
    fn references_and_unrelated_fields_pass() {
        assert!(check(json!({"key": "chepai", "dict": "vehicle.plate_number"})).is_empty());
        assert!(check(json!({"key": "note", "type": "textarea", "label": {"zh-CN": "备注", "en": "Note"}})).is_empty());
    }
}
