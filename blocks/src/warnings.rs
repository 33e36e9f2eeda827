//! Warnings about an app that compiles and runs but will not do what its builder expects:
//! fields that copy the data dictionary ([`crate::duplicates`]) and messages to addresses
//! typed into a form that nobody proved (the runtime sends those only to a number the
//! submitter logged in with, see the runtime's `engine::recipient`). `baida validate`, the
//! designer and `POST /api/v1/apps/validate` show them beside the errors.

use crate::step::{BlockConfig, Channel};
use crate::{App, Dictionary, Problem, SubmitAccess, Text};

/// The stable code of the warning about typed recipients.
pub const UNPROVEN_RECIPIENT: &str = "unproven_recipient";

/// The stable code of the warning about an SMS longer than one message.
pub const SMS_PARTS: &str = "sms_parts";

/// What a variable is counted as in an SMS's length (its value is not known yet).
const VARIABLE_CHARS: usize = 8;

/// Every warning about `app`.
pub fn find(app: &App, dict: &Dictionary) -> Vec<Problem> {
    let mut out = crate::duplicates::find(app, dict);
    out.extend(unproven_recipients(app));
    out.extend(long_sms(app));
    out
}

/// Messages sent by SMS that take more than one message (70 characters; parts of 67 beyond),
/// counting each variable as about eight characters: the builder sees what each one costs.
fn long_sms(app: &App) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, m) in app.messages.iter().enumerate() {
        let by_sms = app
            .steps
            .iter()
            .any(|s| matches!(&s.block, BlockConfig::Notify(c) if c.channel == Channel::Sms && c.template == m.id));
        if !by_sms {
            continue;
        }
        let (part, text) = match &m.sms {
            Some(sms) => ("sms", sms),
            None => ("text", &m.text),
        };
        let Ok(t) = crate::message::Template::parse(text.zh()) else { continue };
        let estimate: String = t.render(|_| "字".repeat(VARIABLE_CHARS));
        let (chars, parts) = crate::message::sms_length(&estimate);
        if parts > 1 {
            out.push(
                Problem::new(
                    format!("/messages/{i}/{part}"),
                    SMS_PARTS,
                    Text::new(
                        format!("这条短信约 {chars} 字，将分 {parts} 条发送（每条 70 字，超出后每条 67 字；变量按 {VARIABLE_CHARS} 字估算）"),
                        format!("This SMS is about {chars} characters, sent as {parts} messages (70 in one, 67 per part beyond; variables counted as {VARIABLE_CHARS})"),
                    ),
                )
                .with_hint(Text::new("写一条更短的 sms 文本，详细内容改用站内信", "Write a shorter sms text, and send the details by inbox")),
            );
        }
    }
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

    #[test]
    fn an_sms_longer_than_one_message_says_how_many_it_takes() {
        let mut a = app("staff", "sms");
        a.messages =
            vec![serde_json::from_value(json!({"id": "x", "text": "长".repeat(65) + "{{case.number}}"})).unwrap()];
        let found = find(&a, &Dictionary::default());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].pointer.as_str(), found[0].code), ("/messages/0/text", SMS_PARTS));
        assert!(found[0].message.zh().contains("约 73 字，将分 2 条"), "{:?}", found[0].message);
        a.messages[0].sms = Some(Text::new("短信{{case.number}}", "SMS {{case.number}}"));
        assert!(find(&a, &Dictionary::default()).is_empty(), "the sms variant is what counts");
    }
}
