//! Record fields: what a form asks, of which type, with which limits and conditions.
//!
//! A field either states its `type` itself or references a data-dictionary field with `dict`,
//! from which it inherits type, label, help, limits and options (anything the field states
//! itself wins). [`crate::App::compile`] resolves dictionary references, so after compilation
//! every field has a type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// The closed set of field types. An unknown type is a validation error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// A decimal number.
    Number,
    /// A whole number.
    Integer,
    /// One choice among options.
    Select,
    /// Several choices among options.
    Multiselect,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A date and time, `YYYY-MM-DDTHH:MM` in the deployment's time zone.
    Datetime,
    /// A time of day, `HH:MM` (24-hour).
    Time,
    /// A number picked on a slider between `min` and `max` (default 0–100), whole steps.
    Slider,
    /// A mainland China mobile number (11 digits starting with 1).
    Phone,
    /// A resident identity card number (18 characters, checksum verified).
    IdNumber,
    /// An e-mail address.
    Email,
    /// Yes or no.
    YesNo,
    /// A rating from 1 to `max` (default 5) stars.
    Rating,
    /// One or several photos (`max`, default 1).
    Photo,
    /// A WGS-84 point with an address text.
    Location,
    /// A repeat group: a list of items, each with its own `fields`.
    Group,
    /// A heading with an optional note; holds no value.
    Section,
    /// A row of one of the app's registers, picked from those that match (`register`,
    /// `filter`, `show`); the case keeps the row's id, key and shown values as they were.
    Relation,
}

impl FieldType {
    /// Every field type, in the order the designer's palette shows them.
    pub const ALL: [FieldType; 20] = [
        FieldType::Text,
        FieldType::Textarea,
        FieldType::Number,
        FieldType::Integer,
        FieldType::Select,
        FieldType::Multiselect,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Time,
        FieldType::Slider,
        FieldType::Phone,
        FieldType::IdNumber,
        FieldType::Email,
        FieldType::YesNo,
        FieldType::Rating,
        FieldType::Photo,
        FieldType::Location,
        FieldType::Group,
        FieldType::Section,
        FieldType::Relation,
    ];

    /// The identifier used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Textarea => "textarea",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Time => "time",
            FieldType::Slider => "slider",
            FieldType::Phone => "phone",
            FieldType::IdNumber => "id_number",
            FieldType::Email => "email",
            FieldType::YesNo => "yes_no",
            FieldType::Rating => "rating",
            FieldType::Photo => "photo",
            FieldType::Location => "location",
            FieldType::Group => "group",
            FieldType::Section => "section",
            FieldType::Relation => "relation",
        }
    }

    /// The field type's name, for the designer's palette and for messages.
    pub fn name(self) -> Text {
        let (zh, en) = match self {
            FieldType::Text => ("单行文本", "Text"),
            FieldType::Textarea => ("多行文本", "Long text"),
            FieldType::Number => ("数字", "Number"),
            FieldType::Integer => ("整数", "Whole number"),
            FieldType::Select => ("单选", "Single choice"),
            FieldType::Multiselect => ("多选", "Multiple choice"),
            FieldType::Date => ("日期", "Date"),
            FieldType::Datetime => ("日期时间", "Date and time"),
            FieldType::Time => ("时间", "Time"),
            FieldType::Slider => ("滑块", "Slider"),
            FieldType::Phone => ("手机号码", "Mobile phone"),
            FieldType::IdNumber => ("身份证号", "Resident ID number"),
            FieldType::Email => ("电子邮箱", "E-mail"),
            FieldType::YesNo => ("是/否", "Yes / no"),
            FieldType::Rating => ("评分", "Rating"),
            FieldType::Photo => ("照片", "Photo"),
            FieldType::Location => ("位置", "Location"),
            FieldType::Group => ("重复组", "Repeat group"),
            FieldType::Section => ("分节说明", "Section"),
            FieldType::Relation => ("关联台账", "Linked row"),
        };
        Text::new(zh, en)
    }

    /// Whether values of this type are text typed by a person (length and pattern apply).
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::Text | FieldType::Textarea | FieldType::Phone | FieldType::IdNumber | FieldType::Email
        )
    }

    /// Whether `options` / `options_dict` apply.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::Multiselect)
    }

    /// Whether `min` / `max` bound a count of items rather than a value.
    pub fn counts_items(self) -> bool {
        matches!(self, FieldType::Multiselect | FieldType::Photo | FieldType::Group)
    }

    /// Whether the field holds a value at all.
    pub fn holds_value(self) -> bool {
        self != FieldType::Section
    }
}

/// A limit: a number for numbers and counts, a date such as `2026-01-01` or `today` for dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Limit {
    Number(f64),
    Text(String),
}

impl Limit {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Limit::Number(n) => Some(*n),
            Limit::Text(_) => None,
        }
    }
}

/// One option of a select field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Choice {
    /// A bare value, shown as its own label.
    Value(String),
    /// A value with a label and, for cascading selects, the value of the parent option.
    Labelled {
        value: String,
        label: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
    },
}

impl Choice {
    pub fn value(&self) -> &str {
        match self {
            Choice::Value(v) => v,
            Choice::Labelled { value, .. } => value,
        }
    }

    pub fn label(&self) -> Text {
        match self {
            Choice::Value(v) => Text::Plain(v.clone()),
            Choice::Labelled { label, .. } => label.clone(),
        }
    }

    pub fn parent(&self) -> Option<&str> {
        match self {
            Choice::Value(_) => None,
            Choice::Labelled { parent, .. } => parent.as_deref(),
        }
    }
}

/// A field of the record, as written in an app definition.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Field {
    /// The key under which the answer is stored in the record: lower case, digits and `_`.
    pub key: String,
    /// The field type; may be omitted when `dict` names a dictionary field.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<FieldType>,
    /// A data-dictionary field this field is an instance of, e.g. `vehicle.plate_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dict: Option<String>,
    /// How carefully values must be handled: `public`, `internal`, `personal` (masked for
    /// roles without need to know) or `sensitive` (masked, and never logged). By default the
    /// dictionary's, else `personal` for phone numbers and `sensitive` for ID numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<crate::dictionary::Sensitivity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
    /// Help text shown under the input (for `section`, the note text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Text>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// rhai expression: the field is required when it evaluates to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<String>,
    /// rhai expression: the field is shown (and its value kept) only when it evaluates to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<String>,
    /// rhai expression: the field's value is computed by the server from the record; read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<String>,
    /// The initial value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Smallest value (number, integer, date, datetime) or fewest items (multiselect, photo, group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Limit>,
    /// Largest value, or most items; for `rating` the number of stars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Limit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// A regular expression (Rust `regex` syntax, matched in linear time) the whole text must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The message shown when `pattern` does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_message: Option<Text>,
    /// Static options of a select field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Choice>>,
    /// Options taken from a dictionary code list, e.g. `complaint.category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_dict: Option<String>,
    /// Cascading select: the key of the field whose value filters these options by `parent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
    /// Unit shown after a number, e.g. 元, m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Text>,
    /// Photo: keep the EXIF location of uploaded photos (removed by default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_location: bool,
    /// Repeat group: the fields of each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Field>>,
    /// Relation: the id of one of the app's registers whose row the field picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    /// Relation: rhai condition over `row` the rows offered must meet, e.g. `row.free == true`
    /// (rows are always those of the case's community).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Relation: the register fields shown in the picker and kept with the case (the key always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show: Option<Vec<String>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Field {
    /// The resolved type; `Text` only for an unresolved field, which compilation never leaves.
    pub fn field_type(&self) -> FieldType {
        self.ty.unwrap_or(FieldType::Text)
    }

    /// The label, falling back to the key.
    pub fn label_text(&self) -> Text {
        self.label.clone().unwrap_or_else(|| Text::Plain(self.key.clone()))
    }

    /// Fills what this field leaves unsaid from a dictionary field.
    pub fn inherit(&mut self, from: &Field) {
        macro_rules! take {
            ($($name:ident),*) => { $( if self.$name.is_none() { self.$name = from.$name.clone(); } )* };
        }
        take!(
            ty,
            label,
            help,
            placeholder,
            min,
            max,
            min_length,
            max_length,
            pattern,
            pattern_message,
            options,
            options_dict,
            unit
        );
    }
}
