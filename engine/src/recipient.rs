//! Who a text message or e-mail may go to, and what it may say: the rules that keep the
//! district's official sender from being an open relay.
//!
//! An app may send a message to an address typed into its form (`"to": "record.phone"`). The
//! flow marks such messages (`data.typed`, the field's key), and at delivery:
//!
//! - **The typed address must be proven.** A case filed by a logged-in resident may text the
//!   number they logged in with (proven by the SMS code), and nothing else; a case filed by
//!   staff (accountable, logged in) may reach what staff typed; a case filed anonymously, or an
//!   address given later through the tracking link, reaches no one. E-mail addresses are never
//!   proven, so only staff-filed cases e-mail a typed address.
//! - **No free text in SMS.** An SMS shows a record's values only for fields whose content the
//!   form constrains (choices, numbers, dates, yes/no, ratings, short checked codes such as a
//!   number plate); free text (names, descriptions, addresses…) is left out, so a submitter
//!   cannot put their own words in the district's name.
//! - **A daily cap per recipient** on SMS and e-mail (`[notify] daily_cap`, 20 by default),
//!   whatever the app, so that even proven or staff-typed numbers cannot be flooded.
//!
//! Refused messages fail permanently with the reason, visible in the case's outbox view.

use baida_blocks::CompiledApp;
use chrono::Duration;
use serde_json::{Map, Value};

use super::Engine;
use crate::notify::sms::normalize_mainland_mobile;
use baida_store::{self as store, Case, OutboxItem};

/// The messages sent to one recipient over one channel in 24 hours, by default.
pub const DAILY_CAP: u32 = 20;

/// Actors of a case's first event who proved nothing about themselves.
const UNPROVEN: &[&str] = &["public", "reporter"];

impl Engine {
    /// Why `item` must not be sent, if it must not.
    pub(super) async fn refusal(
        &self,
        item: &OutboxItem,
        case: Option<&Case>,
        daily_cap: Option<u32>,
    ) -> Result<Option<String>, store::Error> {
        if !matches!(item.channel.as_str(), "sms" | "email") {
            return Ok(None);
        }
        if let Some(key) = item.data.get("typed").and_then(Value::as_str)
            && let Some(why) = self.unproven(item, case, key).await?
        {
            return Ok(Some(why));
        }
        if let Some(cap) = daily_cap {
            let since = self.clock.now() - Duration::hours(24);
            let sent = self.store.sent_to_since(&item.channel, &item.recipient, since).await?;
            if sent >= i64::from(cap) {
                return Ok(Some(format!(
                    "daily cap reached: {sent} messages went to this recipient in the last 24 hours (at most {cap}); \
                     已达每日上限"
                )));
            }
        }
        Ok(None)
    }

    /// Why the address typed at `key` is not proven to belong to whoever typed it.
    async fn unproven(
        &self,
        item: &OutboxItem,
        case: Option<&Case>,
        key: &str,
    ) -> Result<Option<String>, store::Error> {
        let Some(case) = case else { return Ok(Some("a typed address without its case".into())) };
        if let Some(resident) = &case.resident_id {
            let phone = self.store.resident_by_id(resident).await?.map(|r| r.phone);
            let proven = item.channel == "sms" && phone.is_some_and(|p| same_mobile(&p, &item.recipient));
            return Ok((!proven).then(|| {
                format!(
                    "record.{key} is not the number the resident logged in with; \
                     messages go only to a number its owner proved (未经验证的号码)"
                )
            }));
        }
        let filed_by = self.store.events(&case.id).await?.into_iter().next().map(|e| e.actor);
        Ok(filed_by.filter(|a| UNPROVEN.contains(&a.as_str())).map(|_| {
            format!(
                "record.{key} was typed by someone who did not log in; \
                 messages go only to a number its owner proved (未经验证的号码)"
            )
        }))
    }
}

fn same_mobile(a: &str, b: &str) -> bool {
    matches!((normalize_mainland_mobile(a), normalize_mainland_mobile(b)), (Ok(a), Ok(b)) if a == b)
}

/// May the value of a field of this type appear in an SMS? Only when the form constrains it.
pub fn constrained(app: &CompiledApp, key: &str) -> bool {
    app.fields.iter().find(|f| f.field.key == key).is_some_and(baida_blocks::sms_quotable)
}

/// The record as an SMS may quote it: free-text values blanked (kept as `""`, so a letter
/// that names them still renders).
pub fn sms_record(app: &CompiledApp, record: &Value) -> Value {
    let Some(fields) = record.as_object() else { return Value::Object(Map::new()) };
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.clone(), if constrained(app, k) { v.clone() } else { Value::String(String::new()) }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use baida_blocks::{App, Dictionary};
    use serde_json::json;

    #[test]
    fn only_constrained_values_reach_an_sms() {
        let app = App::compile(
            &json!({
                "id": "test-app", "version": "1.0.0", "name": "测试", "category": "test",
                "record": {"fields": [
                    {"key": "name", "type": "text"},
                    {"key": "plate", "type": "text", "pattern": "[A-Z0-9]{5}", "max_length": 8},
                    {"key": "kind", "type": "select", "options": ["a", "b"]},
                    {"key": "note", "type": "textarea"},
                    {"key": "count", "type": "integer"}
                ]},
                "steps": [{"id": "s", "block": "form", "config": {}}]
            }),
            &Dictionary::default(),
        )
        .unwrap();
        let record =
            json!({"name": "点此领奖 http://x.cn", "plate": "AB123", "kind": "a", "note": "任意文字", "count": 3});
        assert_eq!(
            sms_record(&app, &record),
            json!({"name": "", "plate": "AB123", "kind": "a", "note": "", "count": 3})
        );
    }

    #[test]
    fn mobile_numbers_compare_in_any_spelling() {
        assert!(same_mobile("13812345678", "+86 138 1234 5678"));
        assert!(!same_mobile("13812345678", "13812345679"));
        assert!(!same_mobile("13812345678", "not a number"));
    }
}
