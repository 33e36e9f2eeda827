//! Messages the builder writes: an app's `messages` are templates in zh-CN and English with
//! variables from the record, the case and the step (`{{record.resident}}`, `{{case.number}}`,
//! `{{step.name}}`, `{{app.name}}`, `{{due}}`, `{{today}}`), an optional SMS variant, and a
//! subject for e-mail and the inbox. A `notify` step names one by its id — or one of the
//! built-in letters ([`BUILTIN`]). Templates are plain text with placeholders, never code: a
//! placeholder is looked up, never evaluated.
//!
//! [`Template::parse`] reads a text into literal runs and variables; an unknown variable is a
//! problem at publish. [`sms_length`] is what an SMS costs: 70 characters in one message, 67 per
//! part once it is split.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// A message template of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MessageDef {
    /// Unique within the app (lower case, digits, `_`, `-`); a `notify` step's `template`.
    pub id: String,
    /// The subject line of an e-mail or an inbox letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Text>,
    /// The message, in zh-CN (and English), with `{{…}}` variables.
    pub text: Text,
    /// A shorter text for SMS (the text is sent when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<Text>,
}

/// The built-in letters a `notify` step may name besides the app's own messages.
pub const BUILTIN: &[&str] = &[
    "sla.remind",
    "sla.urge",
    "sla.overdue",
    "sla.supervise",
    "move-car-result",
    "dispatch-unmatched",
    "anti-fraud-welcome",
];

/// The variables a template may use besides `record.<field>`.
pub const VARIABLES: &[&str] = &["case.number", "app.name", "step.name", "due", "today"];

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    /// A variable's path, e.g. `record.resident`.
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub Vec<Piece>);

/// Why a template cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` without its `}}`.
    Unclosed,
    /// A placeholder that is not a variable path (`{{ }}`, `{{ a + b }}`).
    NotAVariable(String),
}

impl Template {
    /// Reads `text`: `{{ path }}` placeholders (spaces allowed inside), everything else as is.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let path = after[..close].trim();
            let ok = !path.is_empty()
                && path.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            if !ok {
                return Err(TemplateError::NotAVariable(path.to_string()));
            }
            pieces.push(Piece::Var(path.to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    /// The variables it uses, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The text with each variable replaced by `value(path)`.
    pub fn render(&self, value: impl Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.clone(),
                Piece::Var(v) => value(v),
            })
            .collect()
    }
}

/// How long an SMS is: (characters, messages it is sent as). One message holds 70 characters
/// (Chinese is sent as UCS-2); a longer text is split into parts of 67.
pub fn sms_length(text: &str) -> (usize, usize) {
    let chars = text.chars().count();
    let parts = if chars <= 70 { 1 } else { chars.div_ceil(67) };
    (chars, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_paths_never_expressions() {
        let t = Template::parse("您好{{ record.resident }}，案件{{case.number}}。").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["record.resident", "case.number"]);
        assert_eq!(
            t.render(|v| if v == "case.number" { "20261207-000001".into() } else { "王奶奶".into() }),
            "您好王奶奶，案件20261207-000001。"
        );
        assert_eq!(Template::parse("{{ record.a + 1 }}"), Err(TemplateError::NotAVariable("record.a + 1".into())));
        assert_eq!(Template::parse("{% for x in y %}"), Ok(Template(vec![Piece::Literal("{% for x in y %}".into())])));
        assert_eq!(Template::parse("尾巴{{record.a"), Err(TemplateError::Unclosed));
    }

    #[test]
    fn sms_parts_are_70_then_67() {
        assert_eq!(sms_length(&"字".repeat(70)), (70, 1));
        assert_eq!(sms_length(&"字".repeat(71)), (71, 2));
        assert_eq!(sms_length(&"字".repeat(134)), (134, 2));
        assert_eq!(sms_length(&"字".repeat(135)), (135, 3));
    }
}
