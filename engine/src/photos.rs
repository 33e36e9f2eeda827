//! Which photos a case's record holds, and the use each gets (`store::photo_uses`): every photo
//! of a photo field — in repeat groups too — belongs to the case; a proposal's published
//! answers (`CompiledApp::published_photos`) are public as well. A new case and every
//! transition write these with themselves, so the uses follow the record.
//!
//! Only its uploader may put a photo into a record ([`Engine::foreign_photos`]): knowing a
//! photo's hash must not make it one's own.

use baida_blocks::{CompiledApp, CompiledField, FieldType, Problem, Text};
use serde_json::{Map, Value};

use super::Engine;
use baida_store::{self as store, photo_uses::PhotoUse};

impl Engine {
    /// The photos of `photos` (pointer, SHA-256) that `uploader` may not put into the record of
    /// `case_id` (a new case: `None`), each as the same `unknown_photo` problem a photo that
    /// does not exist gets. A photo may go in when it is public, the case's already, or
    /// uploaded under `uploader`.
    pub async fn foreign_photos(
        &self,
        case_id: Option<&str>,
        photos: &[(String, String)],
        uploader: &str,
    ) -> store::Result<Vec<Problem>> {
        let mut problems = Vec::new();
        for (pointer, sha) in photos {
            let uses = self.store.photo_uses(sha).await?;
            let allowed = uses.iter().any(|u| match u {
                PhotoUse::Public => true,
                PhotoUse::Upload(k) => k == uploader,
                PhotoUse::Case(id) => Some(id.as_str()) == case_id,
            });
            if !allowed {
                problems.push(Problem::new(
                    pointer.clone(),
                    "unknown_photo",
                    Text::new("找不到这张照片，请重新上传", "This photo was not uploaded; upload it again"),
                ));
            }
        }
        Ok(problems)
    }
}

/// The uses of the photos `record` holds, for the case `case_id` of `app`.
pub fn uses(app: &CompiledApp, case_id: &str, record: &Map<String, Value>) -> Vec<(String, PhotoUse)> {
    let mut shas = Vec::new();
    collect(&app.fields, record, &mut shas);
    shas.sort();
    shas.dedup();
    let mut out: Vec<(String, PhotoUse)> = shas.into_iter().map(|s| (s, PhotoUse::Case(case_id.to_string()))).collect();
    let record = Value::Object(record.clone());
    out.extend(app.published_photos(&record).into_iter().map(|s| (s, PhotoUse::Public)));
    out
}

/// The photos of `fields` in `record` (or in one item of a group).
fn collect(fields: &[CompiledField], record: &Map<String, Value>, out: &mut Vec<String>) {
    for f in fields {
        let Some(value) = record.get(&f.field.key) else { continue };
        match f.ty {
            FieldType::Photo => out.extend(hashes(value)),
            FieldType::Group => {
                for item in value.as_array().into_iter().flatten().filter_map(Value::as_object) {
                    collect(&f.items, item, out);
                }
            }
            _ => {}
        }
    }
}

/// The SHA-256 of the photos in a photo field's value (one photo or a list of them).
fn hashes(value: &Value) -> Vec<String> {
    let one = |v: &Value| v.as_str().map(str::to_string);
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn photos_in_fields_and_groups_belong_to_the_case() {
        let compiled = baida_blocks::App::compile(
            &json!({
                "id": "photo-app", "version": "1.0.0", "name": "照片", "category": "test",
                "record": {"fields": [
                    {"key": "photos", "type": "photo"},
                    {"key": "note", "type": "text"},
                    {"key": "members", "type": "group", "fields": [{"key": "face", "type": "photo"}]}
                ]},
                "steps": [{"id": "form", "block": "form", "config": {}}]
            }),
            &baida_blocks::Dictionary::default(),
        )
        .unwrap();
        let record = json!({"photos": ["a", "b"], "note": "c", "members": [{"face": ["d"]}, {"face": ["a"]}]});
        let got = uses(&compiled, "c1", record.as_object().unwrap());
        let case = |s: &str| (s.to_string(), PhotoUse::Case("c1".into()));
        assert_eq!(got, vec![case("a"), case("b"), case("d")]);
    }
}
