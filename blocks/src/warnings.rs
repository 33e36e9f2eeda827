//! Warnings about an app that compiles and runs but will not do what its builder expects:
//! fields that copy the data dictionary ([`crate::duplicates`]) and messages to addresses
//! typed into a form that nobody proved (the runtime sends those only to a number the
//! submitter logged in with, see the runtime's `engine::recipient`). `baida validate`, the
//! designer and `POST /api/v1/apps/validate` show them beside the errors.

use crate::step::{BlockConfig, Channel};
use crate::{App, Dictionary, Problem, SubmitAccess, Text};

/// The stable code of the warning about typed recipients.
pub const UNPROVEN_RECIPIENT: &str = "unproven_recipient";

/// Every warning about `app`.
pub fn find(app: &App, dict: &Dictionary) -> Vec<Problem> {
    let mut out = crate::duplicates::find(app, dict);
    out.extend(unproven_recipients(app));
    out
}

/// Notify steps that text or e-mail an address typed into the form of an app that people may
/// submit without being staff.
fn unproven_recipients(app: &App) -> Vec<Problem> {
    if app.access.submit == SubmitAccess::Staff {
        return Vec::new();
    }
    app.steps
        .iter()
        .enumerate()
        .filter_map(|(i, step)| {
            let BlockConfig::Notify(c) = &step.block else { return None };
            let key = c.to.strip_prefix("record.")?;
            let (zh, en) = match (c.channel, app.access.submit) {
                (Channel::Sms, SubmitAccess::Public) => (
                    format!("短信只发给提交人登录验证过的号码：匿名提交时，“{key}”里填写的号码收不到这条短信"),
                    format!("Texts go only to a number the submitter proved by logging in: for anonymous submissions, the number typed in “{key}” gets nothing"),
                ),
                (Channel::Sms, _) => (
                    format!("短信只发给居民登录时验证过的本人号码；“{key}”里填写的其他号码收不到"),
                    format!("Texts go only to the number the resident logged in with; another number typed in “{key}” gets nothing"),
                ),
                (Channel::Email, _) => (
                    format!("居民填写的邮箱未经验证，“{key}”只有工作人员代为提交时才会收到邮件"),
                    format!("E-mail addresses residents type are not proven: “{key}” is mailed only when staff file the case"),
                ),
                _ => return None,
            };
            Some(
                Problem::new(format!("/steps/{i}/config/to"), UNPROVEN_RECIPIENT, Text::new(zh, en)).with_hint(
                    Text::new(
                        "要给居民发短信，请把应用设为“居民登录后提交”（access.submit: resident），或改为通知单位、角色",
                        "To text residents, let only logged-in residents submit (access.submit: resident), or notify a unit or role instead",
                    ),
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(submit: &str, channel: &str) -> App {
        serde_json::from_value(json!({
            "id": "t", "version": "1.0.0", "name": "t", "category": "t",
            "access": {"submit": submit},
            "record": {"fields": [{"key": "phone", "type": "phone"}]},
            "steps": [
                {"id": "f", "block": "form", "config": {}},
                {"id": "n", "block": "notify", "config": {"channel": channel, "to": "record.phone", "template": "x"}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn texting_a_typed_number_is_flagged_unless_staff_submit() {
        let found = find(&app("public", "sms"), &Dictionary::default());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].pointer.as_str(), found[0].code), ("/steps/1/config/to", UNPROVEN_RECIPIENT));
        assert_eq!(find(&app("resident", "sms"), &Dictionary::default()).len(), 1);
        assert_eq!(find(&app("resident", "email"), &Dictionary::default()).len(), 1);
        assert!(find(&app("staff", "sms"), &Dictionary::default()).is_empty());
        assert!(find(&app("public", "inbox"), &Dictionary::default()).is_empty());
    }
}
