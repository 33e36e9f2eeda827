//! Enter once, many share (一次录入，多方共享): what a logged-in resident enters in a field that
//! references the data dictionary (`dict`) is remembered in their profile, and pre-fills the
//! same dictionary field in the next app they open — only with their consent, only up to the
//! sensitivity they allowed, and every read recorded.
//!
//! Consent levels: `none` (nothing kept, nothing shared; the default), `personal` (public,
//! internal and personal fields), `sensitive` (also sensitive ones such as the ID number).
//! Withdrawing consent (`none`) forgets the stored values. Photos, locations and repeat groups
//! are not shared, nor fields about the case rather than the resident (complaints, services,
//! businesses).

use baida_blocks::{CompiledApp, CompiledField, FieldType, Sensitivity};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::store::{self, Store};

/// The dictionary categories that describe a resident (and so belong in a profile); what a case
/// is about (complaints, services, businesses) does not.
pub const PROFILE_CATEGORIES: [&str; 4] = ["people", "household", "housing", "vehicle"];

/// The consent levels, in order.
pub const LEVELS: [&str; 3] = ["none", "personal", "sensitive"];

/// May a field of `sensitivity` be shared under consent `level`?
pub fn allowed(level: &str, sensitivity: Sensitivity) -> bool {
    match level {
        "sensitive" => true,
        "personal" => sensitivity != Sensitivity::Sensitive,
        _ => false,
    }
}

/// The intake fields that take part: top-level, referencing a dictionary field about the
/// resident, holding a plain value.
fn shared_fields(app: &CompiledApp) -> Vec<(&CompiledField, &str)> {
    app.intake_fields()
        .into_iter()
        .filter(|f| !matches!(f.ty, FieldType::Photo | FieldType::Location | FieldType::Group | FieldType::Section))
        .filter_map(|f| f.field.dict.as_deref().map(|d| (f, d)))
        .filter(|(_, d)| PROFILE_CATEGORIES.iter().any(|c| d.split('.').next() == Some(*c)))
        .collect()
}

/// What pre-fills a form: answers by field key, and the keys filled.
#[derive(Debug, Default)]
pub struct Prefill {
    pub answers: Map<String, Value>,
    pub keys: Vec<String>,
    /// The labels of the fields filled, for the note.
    pub fields: Vec<baida_blocks::Text>,
}

/// Reads what the resident's profile holds for `app`'s fields, within their consent, and
/// records the read (one row per field).
pub async fn prefill(
    store: &dyn Store,
    resident: &str,
    app: &CompiledApp,
    at: DateTime<Utc>,
) -> Result<Prefill, store::Error> {
    let level = store.consent(resident).await?.unwrap_or_else(|| "none".into());
    let mut out = Prefill::default();
    if level == "none" {
        return Ok(out);
    }
    let profile = store.profile(resident).await?;
    let mut read = Vec::new();
    for (f, dict) in shared_fields(app) {
        if !allowed(&level, f.sensitivity) {
            continue;
        }
        if let Some(v) = profile.iter().find(|p| p.dict_key == dict) {
            out.answers.insert(f.field.key.clone(), v.value.clone());
            out.keys.push(f.field.key.clone());
            out.fields.push(f.field.label_text());
            read.push(dict.to_string());
        }
    }
    if !read.is_empty() {
        store.record_reads(resident, &read, &app.app.id, &format!("form:{}", app.app.id), at).await?;
    }
    Ok(out)
}

/// Remembers the dictionary fields of a resident's submission, within their consent; a
/// corrected value replaces the old one.
pub async fn remember(
    store: &dyn Store,
    resident: &str,
    app: &CompiledApp,
    answers: &Value,
    at: DateTime<Utc>,
) -> Result<(), store::Error> {
    let level = store.consent(resident).await?.unwrap_or_else(|| "none".into());
    if level == "none" {
        return Ok(());
    }
    let values: Vec<(String, Value)> = shared_fields(app)
        .into_iter()
        .filter(|(f, _)| allowed(&level, f.sensitivity))
        .filter_map(|(f, dict)| {
            let v = answers.get(&f.field.key)?;
            let empty = v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
            (!empty).then(|| (dict.to_string(), v.clone()))
        })
        .collect();
    if values.is_empty() {
        return Ok(());
    }
    store.remember(resident, &values, &app.app.id, at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_bounds_what_is_shared() {
        assert!(!allowed("none", Sensitivity::Public));
        assert!(allowed("personal", Sensitivity::Personal) && !allowed("personal", Sensitivity::Sensitive));
        assert!(allowed("sensitive", Sensitivity::Sensitive));
    }
}
