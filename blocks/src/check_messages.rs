//! The semantic checks of the messages the builder writes, and of the templates `notify` steps
//! name: ids, placeholders that are variables the runtime knows, and no free text typed by a
//! resident quoted in an SMS (that would let anyone send any text from the district's number).

use std::collections::{HashMap, HashSet};

use crate::check::Checker;
use crate::message::{BUILTIN, MessageDef, Template, TemplateError, VARIABLES};
use crate::step::{BlockConfig, Channel};
use crate::{App, CompiledField, FieldType, Text};

impl Checker<'_> {
    /// Checks the app's messages and the templates its `notify` steps name.
    pub(crate) fn messages(&mut self, app: &App, fields: &[CompiledField]) {
        let keys: HashSet<&str> = fields.iter().map(|f| f.field.key.as_str()).collect();
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, m) in app.messages.iter().enumerate() {
            let at = format!("/messages/{i}");
            let id_ok = (2..=40).contains(&m.id.len())
                && m.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if !id_ok {
                self.hinted(
                    format!("{at}/id"),
                    "bad_key",
                    (format!("消息标识“{}”格式不对", m.id), format!("Message id “{}” is not valid", m.id)),
                    (
                        "用 2–40 个小写字母、数字、下划线或连字符，例如 visit-due",
                        "Use 2–40 lower-case letters, digits, _ or -, e.g. visit-due",
                    ),
                );
            }
            if BUILTIN.contains(&m.id.as_str()) {
                self.problem(
                    format!("{at}/id"),
                    "duplicate_message",
                    format!("“{}”是内置函件的名字，请换一个", m.id),
                    format!("“{}” is the name of a built-in letter; choose another", m.id),
                );
            } else if let Some(first) = ids.insert(&m.id, i) {
                self.problem(
                    format!("{at}/id"),
                    "duplicate_message",
                    format!("消息标识“{}”重复（第 {} 条消息已使用）", m.id, first + 1),
                    format!("Message id “{}” is used twice (first by message {})", m.id, first + 1),
                );
            }
            for (part, text) in parts(m) {
                self.template(&format!("{at}/{part}"), "zh-CN", text.zh(), &keys);
                // A text written once is both languages: checked once.
                if text.en() != text.zh() {
                    self.template(&format!("{at}/{part}"), "en", text.en(), &keys);
                }
            }
        }
        for (i, step) in app.steps.iter().enumerate() {
            let BlockConfig::Notify(c) = &step.block else { continue };
            let at = format!("/steps/{i}/config/template");
            match app.messages.iter().position(|m| m.id == c.template) {
                Some(j) if c.channel == Channel::Sms => {
                    let m = &app.messages[j];
                    let (part, text) = match &m.sms {
                        Some(sms) => ("sms", sms),
                        None => ("text", &m.text),
                    };
                    let quoted: Vec<String> = [text.zh(), text.en()]
                        .into_iter()
                        .filter_map(|s| Template::parse(s).ok())
                        .flat_map(|t| t.variables().map(str::to_string).collect::<Vec<_>>())
                        .filter_map(|v| v.strip_prefix("record.").map(str::to_string))
                        .filter(|k| fields.iter().find(|f| &f.field.key == k).is_some_and(|f| !sms_quotable(f)))
                        .collect();
                    if let Some(k) = quoted.first() {
                        self.hinted(
                            format!("/messages/{j}/{part}"),
                            "sms_free_text",
                            (
                                format!("短信不能引用居民自由填写的字段“{k}”"),
                                format!("An SMS cannot quote “{k}”, a field people type freely"),
                            ),
                            (
                                "短信只能引用选项、数字、日期或有格式限制的短编号；其余内容请用站内信或在短信中给出查询方式",
                                "An SMS may quote choices, numbers, dates or short codes checked by a pattern; send the rest by inbox, or say in the SMS where to look",
                            ),
                        );
                    }
                }
                Some(_) => {}
                None if BUILTIN.contains(&c.template.as_str()) => {}
                None => {
                    let mut known: Vec<&str> = app.messages.iter().map(|m| m.id.as_str()).collect();
                    known.extend(BUILTIN);
                    let known = known.join(", ");
                    self.hinted(
                        at,
                        "unknown_template",
                        (
                            format!("没有消息模板“{}”", c.template),
                            format!("There is no message template “{}”", c.template),
                        ),
                        (
                            &format!("在应用的 messages 中写一条，或用内置函件：{known}"),
                            &format!("Write one in the app's messages, or use a built-in letter: {known}"),
                        ),
                    );
                }
            }
        }
    }

    fn template(&mut self, at: &str, lang: &str, text: &str, keys: &HashSet<&str>) {
        match Template::parse(text) {
            Err(TemplateError::Unclosed) => self.hinted(
                at.to_string(),
                "bad_template",
                (format!("{lang} 文本中有“{{{{”没有配对的“}}}}”"), format!("The {lang} text has a “{{{{” without its “}}}}”")),
                ("变量写成 {{record.字段名}}", "Write a variable as {{record.key}}"),
            ),
            Err(TemplateError::NotAVariable(what)) => self.hinted(
                at.to_string(),
                "bad_template",
                (format!("“{{{{{what}}}}}”不是变量"), format!("“{{{{{what}}}}}” is not a variable")),
                ("模板只替换变量，不做计算：例如 {{record.resident}}、{{case.number}}", "A template only fills in variables, it computes nothing: e.g. {{record.resident}}, {{case.number}}"),
            ),
            Ok(t) => {
                for v in t.variables() {
                    let known = match v.strip_prefix("record.") {
                        Some(k) => keys.contains(k),
                        None => VARIABLES.contains(&v),
                    };
                    if !known {
                        let list = VARIABLES.join(", ");
                        self.hinted(
                            at.to_string(),
                            "unknown_variable",
                            (format!("{lang} 文本中的变量“{v}”不存在"), format!("The {lang} text uses a variable “{v}” that does not exist")),
                            (
                                &format!("可用：record.<记录字段>、{list}"),
                                &format!("Available: record.<record field>, {list}"),
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn parts(m: &MessageDef) -> Vec<(&'static str, &Text)> {
    let mut out = vec![("text", &m.text)];
    if let Some(s) = &m.subject {
        out.push(("subject", s));
    }
    if let Some(s) = &m.sms {
        out.push(("sms", s));
    }
    out
}

/// May an SMS quote this field's value? Only values the form constrains: choices, numbers,
/// dates, yes/no, ratings, and short codes checked against a pattern (a number plate). Free
/// text typed by whoever submits would turn the district's SMS into anyone's.
pub fn sms_quotable(f: &CompiledField) -> bool {
    match f.ty {
        FieldType::Select
        | FieldType::Multiselect
        | FieldType::Number
        | FieldType::Integer
        | FieldType::Date
        | FieldType::Datetime
        | FieldType::Time
        | FieldType::Slider
        | FieldType::YesNo
        | FieldType::Rating => true,
        FieldType::Text => f.field.pattern.is_some() && f.field.max_length.is_some_and(|m| m <= 20),
        _ => false,
    }
}
