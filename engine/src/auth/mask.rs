//! Masking personal data for people without a need to know: `138****5678`,
//! `440301********1234`, an address cut after its district, a name to its first character,
//! a face photo withheld.
//!
//! What is personal comes from the field: its dictionary sensitivity, or its type (mobile
//! numbers, ID numbers, addresses and photos are personal wherever they appear).

use serde_json::{Map, Value};

/// How a field's value is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Keep the first 3 and last 4 characters: `138****5678`.
    Phone,
    /// Keep the first 6 and last 4 characters: `440301********1234`.
    IdNumber,
    /// Keep the first 6 characters, then `****`.
    Address,
    /// Withhold photos entirely.
    Photo,
    /// A name or other text: keep the first character, `张**`.
    Name,
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(4));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The masked form of `value`.
pub fn mask_value(value: &Value, how: Mask) -> Value {
    match (how, value) {
        (_, Value::Null) => Value::Null,
        (Mask::Phone, Value::String(s)) => Value::String(keep_ends(s, 3, 4)),
        (Mask::IdNumber, Value::String(s)) => Value::String(keep_ends(s, 6, 4)),
        (Mask::Address, Value::String(s)) => {
            let head: String = s.chars().take(6).collect();
            Value::String(format!("{head}****"))
        }
        (Mask::Address, Value::Object(m)) => {
            // A location: keep a coarse address, drop coordinates.
            let address = m.get("address").and_then(Value::as_str).unwrap_or_default();
            let head: String = address.chars().take(6).collect();
            serde_json::json!({ "address": format!("{head}****"), "masked": true })
        }
        (Mask::Photo, Value::Array(_)) | (Mask::Photo, Value::String(_)) => serde_json::json!({ "masked": true }),
        (Mask::Name, Value::String(s)) => {
            let first: String = s.chars().take(1).collect();
            Value::String(format!("{first}**"))
        }
        (_, Value::Array(items)) => Value::Array(items.iter().map(|v| mask_value(v, how)).collect()),
        _ => Value::String("****".into()),
    }
}

/// How one field of a record is masked: its value, or (a repeat group) the fields of each of
/// its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Masking {
    Value(Mask),
    Items(Vec<(String, Masking)>),
}

/// Masks the fields named in `masks` in a record, inside repeat-group items too.
pub fn mask_record(record: &Map<String, Value>, masks: &[(String, Masking)]) -> Map<String, Value> {
    let mut out = record.clone();
    for (key, how) in masks {
        if let Some(v) = out.get_mut(key) {
            *v = match (how, &*v) {
                (Masking::Value(m), _) => mask_value(v, *m),
                (Masking::Items(inner), Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .map(|item| match item {
                            Value::Object(fields) => Value::Object(mask_record(fields, inner)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                (Masking::Items(_), _) => v.clone(),
            };
        }
    }
    out
}

/// Masks every occurrence of `secret` in free text (for logs and messages).
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.chars().count() >= 4) {
        out = out.replace(s, &keep_ends(s, 3, 4));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_and_id_numbers_keep_their_ends() {
        assert_eq!(mask_value(&json!("13812345678"), Mask::Phone), json!("138****5678"));
        assert_eq!(mask_value(&json!("44030119900101123X"), Mask::IdNumber), json!("440301********123X"));
        assert_eq!(mask_value(&json!("深圳市福田区沙头街道新洲路 1 号"), Mask::Address), json!("深圳市福田区****"));
        assert_eq!(mask_value(&json!(["a", "b"]), Mask::Photo), json!({"masked": true}));
        assert_eq!(mask_value(&json!("12"), Mask::Phone), json!("****"));
    }

    #[test]
    fn records_are_masked_field_by_field() {
        let record = json!({"contact_phone": "13812345678", "title": "路灯坏了"});
        let masked = mask_record(record.as_object().unwrap(), &[("contact_phone".into(), Masking::Value(Mask::Phone))]);
        assert_eq!(Value::Object(masked), json!({"contact_phone": "138****5678", "title": "路灯坏了"}));
    }

    #[test]
    fn repeat_group_items_are_masked_too() {
        let record = json!({"members": [{"name": "张三", "phone": "13812345678", "relation": "spouse"}]});
        let masks = [(
            "members".to_string(),
            Masking::Items(vec![
                ("name".into(), Masking::Value(Mask::Name)),
                ("phone".into(), Masking::Value(Mask::Phone)),
            ]),
        )];
        let masked = mask_record(record.as_object().unwrap(), &masks);
        assert_eq!(
            Value::Object(masked),
            json!({"members": [{"name": "张**", "phone": "138****5678", "relation": "spouse"}]})
        );
    }
}
