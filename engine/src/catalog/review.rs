//! The district's review of a submission is a case of the built-in app `catalog-review`
//! (`review-app.json`): submitted → district review (a `review` step for district admins, with
//! a 5-working-day SLA clock and its reminders) → closed. The engine runs it like any case, so
//! the review has a case's hash-chained timeline, sits in the reviewers' workbench inbox and
//! can be decided there or through the catalog; the submission's status is read from it
//! ([`baida_store::catalog`]).
//!
//! The review app belongs to the district and is saved the first time a unit under it submits;
//! the district may adapt it like any of its apps (a second level, another clock) as long as the
//! review keeps the fields `decision` (`approve` / `reject`) and `comment`.

use serde_json::{Value, json};

use super::Result;
use crate::apps::Apps;
use crate::auth::district_of;
use crate::{Engine, Submission as Intake, SubmitError};
use baida_store::Submission;

/// The id of the review app.
pub const APP_ID: &str = crate::apps::CATALOG_REVIEW_APP;

/// The channel review cases arrive by.
pub const CHANNEL: &str = "catalog";

/// The review app's definition as shipped.
pub fn definition() -> Value {
    serde_json::from_str(include_str!("review-app.json")).expect("review-app.json is valid JSON")
}

/// Saves the review app for `district` unless it exists (a district's own changes are kept).
pub async fn ensure_app(apps: &Apps, district: &str) -> Result<()> {
    if apps.load(APP_ID, None).await?.is_none() {
        apps.save_builtin(definition(), district, "baida").await?;
    }
    Ok(())
}

/// The Chinese of a `{"zh-CN": …, "en": …}` text (or a plain string).
fn zh(v: &Value) -> String {
    v.get("zh-CN").and_then(Value::as_str).or_else(|| v.as_str()).unwrap_or_default().chars().take(2000).collect()
}

/// Opens the case that reviews `s`, with the submission's id, filed at the district.
pub async fn open_case(engine: &Engine, s: &Submission) -> Result<()> {
    let tree = engine.org_tree().await?;
    let district = district_of(&s.origin_id, &tree);
    ensure_app(&engine.apps, &district).await?;
    let answers = json!({
        "submission": s.id,
        "app": s.app_id,
        "app_name": zh(&s.name),
        "app_version": s.version,
        "origin": s.origin_id,
        "summary": zh(&s.description),
        "changelog": zh(&s.changelog),
    });
    let intake = Intake {
        app_id: APP_ID.into(),
        version: None,
        community_id: district,
        answers,
        channel: CHANNEL.into(),
        actor: s.submitted_by.clone(),
        resident_id: None,
        staff: true,
        case_id: Some(s.id.clone()),
        // The server files it; its record names no photo a person chose.
        uploader: None,
    };
    match engine.submit(intake).await {
        Ok(_) => {}
        Err(SubmitError::Store(baida_store::Error::Conflict(_))) => {} // opened already
        Err(e) => return Err(super::Error::Review(e.to_string())),
    }
    engine.store.set_review_case(&s.id).await?;
    Ok(())
}
