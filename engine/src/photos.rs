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
use crate::apps;
use crate::auth::Actor;
use crate::photo::{Blobs, Checked, PhotoError};
use baida_store::{self as store, Photo, photo_uses::PhotoUse};

/// Who may be served a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone (and any cache).
    Public,
    /// This requester only: `Cache-Control: private`.
    Private,
}

impl Engine {
    /// Keeps a checked photo: its bytes in `blobs`, its metadata, and its use as an upload of
    /// `uploader` (so only they may put it into a record).
    pub async fn keep_photo(&self, blobs: &Blobs, checked: Checked, uploader: &str) -> Result<Photo, PhotoError> {
        let now = self.clock.now();
        let meta = Photo {
            sha256: checked.sha256.clone(),
            content_type: checked.content_type.to_string(),
            width: checked.width as i64,
            height: checked.height as i64,
            bytes: checked.bytes.len() as i64,
            created_at: now,
        };
        blobs.put(&checked.sha256, checked.bytes).await?;
        self.store.put_photo(&meta).await?;
        self.store.add_photo_use(&meta.sha256, &PhotoUse::Upload(uploader.to_string()), now).await?;
        Ok(meta)
    }

    /// A photo's metadata.
    pub async fn photo(&self, sha256: &str) -> store::Result<Option<Photo>> {
        self.store.photo(sha256).await
    }

    /// The one decision of who may see a photo: everyone when a use is public; its uploader
    /// (one of `upload_keys`); and those who may read a case holding it, as they see that
    /// case's record (a photo field masked for them is not theirs to see). `None`: nobody here.
    pub async fn photo_audience(
        &self,
        actor: &Actor,
        upload_keys: &[String],
        sha256: &str,
    ) -> Result<Option<Audience>, apps::Error> {
        let uses = self.store.photo_uses(sha256).await?;
        if uses.contains(&PhotoUse::Public) {
            return Ok(Some(Audience::Public));
        }
        if uses.iter().any(|u| matches!(u, PhotoUse::Upload(k) if upload_keys.contains(k))) {
            return Ok(Some(Audience::Private));
        }
        if matches!(actor, Actor::Anonymous | Actor::Reporter) {
            return Ok(None);
        }
        let tree = self.org_tree().await?;
        for u in &uses {
            let PhotoUse::Case(id) = u else { continue };
            let Some(case) = self.readable_case(actor, id, &tree).await? else { continue };
            let visible = self.visible_record(actor, &case, &tree).await?;
            if visible.to_string().contains(sha256) {
                return Ok(Some(Audience::Private));
            }
        }
        Ok(None)
    }

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
