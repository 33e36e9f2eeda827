//! Relation fields at work: the rows a relation offers (for the form's picker), and resolving
//! the rows answers name into what the case keeps — the row's id, its key and its shown values
//! as they are now — so deleting or changing the row later never breaks the case.
//!
//! A relation offers only live rows of its register in the case's community that meet its
//! `filter`. What it shows and keeps of a row is its `show` fields, personal ones masked: a
//! picker on a public form must not become a list of other people's phone numbers.

use baida_blocks::{CompiledApp, CompiledField, FieldType, Problem, Text};
use baida_core::register::Row;
use baida_store::{self as store, RowQuery};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::Engine;
use crate::access::field_masks;
use crate::auth::mask;

/// The most rows a picker lists at once (type to narrow).
pub const CHOICES_MAX: i64 = 200;

/// A row as a relation offers it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowChoice {
    pub row: String,
    /// The row's key as it is (what the case keeps; the label masks it when personal).
    #[serde(skip)]
    pub key: String,
    /// The shown fields' values (personal ones masked).
    pub values: Map<String, Value>,
    /// The key and shown values in one line, for a picker.
    pub label: String,
}

impl RowChoice {
    /// What the case keeps.
    pub fn kept(&self) -> Value {
        json!({"row": self.row, "key": self.key, "values": self.values})
    }
}

/// The row as relation `f` offers it, or `None` when it may not be picked (removed, of another
/// register or community, not meeting the filter).
fn choice(app: &CompiledApp, f: &CompiledField, row: &Row, community_id: &str) -> Option<RowChoice> {
    let register = app.register(f.field.register.as_deref()?)?;
    if row.deleted_at.is_some()
        || row.app_id != app.app.id
        || row.register_id != register.register.id
        || row.community_id != community_id
    {
        return None;
    }
    if let Some(filter) = &f.filter {
        let mut values = row.values.clone();
        values.insert("key".into(), Value::String(row.key.clone()));
        if filter.eval_with(&[("row", &Value::Object(values))]).ok() != Some(Value::Bool(true)) {
            return None;
        }
    }
    let shown: Vec<&String> = f.field.show.iter().flatten().collect();
    let kept: Map<String, Value> =
        row.values.iter().filter(|(k, _)| shown.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let masks = field_masks(&register.fields.iter().collect::<Vec<_>>());
    let values = mask::mask_record(&kept, &masks);
    // The picker masks the key too when it is personal (a register keyed by phone number); the
    // case keeps the real key, which its own steps use to find the row.
    let shown_key = match masks.iter().find(|(k, _)| k == &register.register.key) {
        Some((_, mask::Masking::Value(how))) => {
            mask::mask_value(&Value::String(row.key.clone()), *how).as_str().unwrap_or_default().to_string()
        }
        _ => row.key.clone(),
    };
    let mut label = shown_key;
    for k in &shown {
        if let Some(v) = values.get(*k) {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
                other => other.to_string(),
            };
            if !text.is_empty() {
                label.push_str(" · ");
                label.push_str(&text);
            }
        }
    }
    Some(RowChoice { row: row.id.clone(), key: row.key.clone(), values, label })
}

impl Engine {
    /// The rows relation field `field_key` of `app` offers in `community_id`, matching the
    /// words `q` (key or values), at most [`CHOICES_MAX`].
    pub async fn relation_choices(
        &self,
        app: &CompiledApp,
        field_key: &str,
        community_id: &str,
        q: Option<&str>,
    ) -> Result<Vec<RowChoice>, store::Error> {
        let Some(f) = app.fields.iter().find(|f| f.field.key == field_key && f.ty == FieldType::Relation) else {
            return Ok(Vec::new());
        };
        let Some(register) = f.field.register.clone() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        let mut offset = 0;
        // The filter is applied here, so read on until the page is full or the rows run out.
        while (out.len() as i64) < CHOICES_MAX {
            let page = self
                .store
                .rows(&RowQuery {
                    app_id: app.app.id.clone(),
                    register_id: register.clone(),
                    units: Some(vec![community_id.to_string()]),
                    search: q.map(str::to_string).filter(|s| !s.trim().is_empty()),
                    sort: None,
                    offset,
                    limit: store::registers::PAGE_MAX,
                    ..RowQuery::default()
                })
                .await?;
            offset += page.rows.len() as i64;
            out.extend(page.rows.iter().filter_map(|r| choice(app, f, r, community_id)));
            if page.rows.is_empty() || offset >= page.total || offset >= 10 * CHOICES_MAX {
                break;
            }
        }
        out.truncate(CHOICES_MAX as usize);
        Ok(out)
    }

    /// The choices of every relation among `fields`, by field key (for a form page).
    pub async fn relation_choices_of(
        &self,
        app: &CompiledApp,
        fields: &[&CompiledField],
        community_id: &str,
    ) -> Result<std::collections::HashMap<String, Vec<RowChoice>>, store::Error> {
        let mut out = std::collections::HashMap::new();
        for f in fields.iter().filter(|f| f.ty == FieldType::Relation) {
            out.insert(f.field.key.clone(), self.relation_choices(app, &f.field.key, community_id, None).await?);
        }
        Ok(out)
    }

    /// Replaces each relation answer among `fields` — a row id, or an object naming one in
    /// `row` — with what the case keeps of the row as it is now. A row that may not be picked
    /// here is a problem at its field (and what was sent is never kept as it was).
    pub async fn resolve_relations(
        &self,
        app: &CompiledApp,
        fields: &[&CompiledField],
        answers: &mut Value,
        community_id: &str,
    ) -> Result<Vec<Problem>, store::Error> {
        let mut problems = Vec::new();
        let Some(map) = answers.as_object_mut() else { return Ok(problems) };
        for f in fields.iter().filter(|f| f.ty == FieldType::Relation) {
            let key = &f.field.key;
            let id = match map.get(key) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) if s.trim().is_empty() => {
                    map.remove(key);
                    continue;
                }
                Some(Value::String(s)) => s.trim().to_string(),
                Some(Value::Object(o)) => o.get("row").and_then(Value::as_str).unwrap_or_default().to_string(),
                Some(_) => String::new(),
            };
            let picked = match self.store.row(&id).await? {
                Some(row) => choice(app, f, &row, community_id),
                None => None,
            };
            match picked {
                Some(c) => {
                    map.insert(key.clone(), c.kept());
                }
                None => {
                    map.remove(key);
                    problems.push(Problem::new(
                        format!("/{key}"),
                        "unknown_row",
                        Text::new(
                            "所选的这一行不存在或不能选择，请重新选择",
                            "The row chosen does not exist or cannot be chosen; choose again",
                        ),
                    ));
                }
            }
        }
        Ok(problems)
    }
}
