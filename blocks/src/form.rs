//! The form block at work: turns submitted answers into a record, or into every problem
//! with each answer, at once.
//!
//! In order: answers are coerced to their field types (numbers typed as text are accepted),
//! computed fields are evaluated, hidden fields (`visible_if` false) are dropped, then
//! required fields, limits, formats and options are checked, and finally the cross-field
//! rules. The same evaluation gives the live state of a form (what is visible, required,
//! computed, which options a cascading select offers) for pages that update as people type.
//!
//! Kept whole (over 500 lines): the evaluation order below is one algorithm; splitting it by
//! stage would scatter the state each stage hands to the next.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::compile::{CompiledField, CompiledRule, answer_pointer};
use crate::formats::{
    is_email, is_id_number, is_mobile_phone, normalize_id_number, normalize_phone, parse_date, parse_datetime,
    parse_time,
};
use crate::script::{ScriptError, ScriptErrorKind};
use crate::{Choice, FieldType, Limit, Problem, Text};

/// Default longest text, when a field sets no `max_length`.
pub const TEXT_MAX: u32 = 200;
/// Default longest long text.
pub const TEXTAREA_MAX: u32 = 5000;
/// Default most items in a repeat group.
pub const GROUP_MAX: usize = 50;

/// How many unknown answers one evaluation names before it stops looking.
const UNKNOWN_NAMED: usize = 20;

/// The outcome of evaluating a form.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// The record: visible answers, coerced, plus computed values.
    pub record: Map<String, Value>,
    pub errors: Vec<Problem>,
    /// Photo references in the record: (answer pointer, SHA-256 hex).
    pub photos: Vec<(String, String)>,
    /// What a live page needs to update itself.
    pub state: FormState,
}

/// The live state of a form, keyed by answer pointer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormState {
    pub visible: BTreeMap<String, bool>,
    pub required: BTreeMap<String, bool>,
    pub computed: BTreeMap<String, Value>,
    /// Option values currently offered by cascading selects.
    pub options: BTreeMap<String, Vec<String>>,
}

/// Evaluates `answers` (a JSON object keyed by field key) against `fields` and `rules`.
/// `today` anchors `min: "today"` limits. A rule that names a `field` runs only when that
/// field is among `fields` (so a step's form checks the rules about its own fields).
pub fn evaluate(fields: &[&CompiledField], rules: &[CompiledRule], answers: &Value, today: NaiveDate) -> Evaluation {
    let mut ev = Evaluation::default();
    let Some(answers) = answers.as_object() else {
        ev.errors.push(Problem::new(
            "",
            "not_an_object",
            Text::new("答案应是一个 JSON 对象", "Answers must be a JSON object"),
        ));
        return ev;
    };
    let mut scope = Scope { today, ev: &mut ev };
    let record = scope.fields(fields, answers, "", None);
    // A rule tied to a field runs only where that field is on the form; a rule without one,
    // always. Rules over optional fields guard themselves: `!("b" in record) || record.b < 10`.
    let applies = |r: &&CompiledRule| r.rule.field.as_ref().is_none_or(|k| fields.iter().any(|f| &f.field.key == k));
    for rule in rules.iter().filter(applies) {
        let pointer = rule.rule.field.as_deref().map(|k| answer_pointer("", k)).unwrap_or_default();
        match rule.check.eval_bool(&Value::Object(record.clone()), None) {
            Ok(true) => {}
            Ok(false) => scope.ev.errors.push(Problem::new(pointer, "rule", rule.rule.message.clone())),
            // A rule over answers left empty has nothing to check.
            Err(e) if e.kind == ScriptErrorKind::Runtime => {}
            Err(e) => scope.script_failed(pointer, e),
        }
    }
    ev.record = record;
    ev
}

struct Scope<'e> {
    today: NaiveDate,
    ev: &'e mut Evaluation,
}

fn msg(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text::new(zh, en)
}

impl Scope<'_> {
    fn error(&mut self, pointer: &str, code: &'static str, message: Text) {
        self.ev.errors.push(Problem::new(pointer, code, message));
    }

    fn script_failed(&mut self, pointer: String, e: ScriptError) {
        let mut p = Problem::new(pointer, "script_failed", e.message);
        p.line = e.line;
        p.column = e.column;
        self.ev.errors.push(p);
    }

    /// Evaluates a list of fields. `top` is the record for expressions inside a group item.
    fn fields(
        &mut self,
        fields: &[&CompiledField],
        answers: &Map<String, Value>,
        prefix: &str,
        top: Option<&Value>,
    ) -> Map<String, Value> {
        // Unknown answers: the first few are named; a flood of them costs no more.
        let unknown = answers.keys().filter(|key| !fields.iter().any(|f| &f.field.key == *key && f.ty.holds_value()));
        for key in unknown.take(UNKNOWN_NAMED) {
            self.error(
                &answer_pointer(prefix, key),
                "unknown_answer",
                msg(format!("表单没有“{key}”这一项"), format!("The form has no field “{key}”")),
            );
        }
        // 1. Coerce answers; apply defaults to answers that are absent.
        let mut record = Map::new();
        for f in fields.iter().filter(|f| f.ty.holds_value() && f.compute.is_none()) {
            let pointer = answer_pointer(prefix, &f.field.key);
            let value = match answers.get(&f.field.key) {
                Some(v) => Some(v.clone()),
                None => f.field.default.clone(),
            };
            if let Some(v) = value {
                match coerce(f, v) {
                    Ok(Some(v)) => {
                        record.insert(f.field.key.clone(), v);
                    }
                    Ok(None) => {}
                    Err(m) => self.error(&pointer, "wrong_type", m),
                }
            }
        }
        let context = |record: &Map<String, Value>| -> (Value, Option<Value>) {
            match top {
                Some(top) => (top.clone(), Some(Value::Object(record.clone()))),
                None => (Value::Object(record.clone()), None),
            }
        };
        // 2. Computed fields, in order.
        for f in fields.iter() {
            if let Some(script) = &f.compute {
                let pointer = answer_pointer(prefix, &f.field.key);
                let (r, item) = context(&record);
                match script.eval(&r, item.as_ref()) {
                    Ok(Value::Null) => {}
                    Ok(v) => {
                        self.ev.state.computed.insert(pointer, v.clone());
                        record.insert(f.field.key.clone(), v);
                    }
                    // Computed from answers left empty: no value yet.
                    Err(e) if e.kind == ScriptErrorKind::Runtime => {}
                    Err(e) => self.script_failed(pointer, e),
                }
            }
        }
        // 3. Visibility and requiredness.
        let mut shown = Vec::new();
        for f in fields.iter() {
            let pointer = answer_pointer(prefix, &f.field.key);
            let visible = match &f.visible_if {
                Some(s) => {
                    let (r, item) = context(&record);
                    s.eval_bool(&r, item.as_ref()).unwrap_or_else(|e| {
                        self.script_failed(pointer.clone(), e);
                        false
                    })
                }
                None => true,
            };
            self.ev.state.visible.insert(pointer.clone(), visible);
            if !visible {
                record.remove(&f.field.key);
                continue;
            }
            let required = f.field.required
                || match &f.required_if {
                    Some(s) => {
                        let (r, item) = context(&record);
                        s.eval_bool(&r, item.as_ref()).unwrap_or_else(|e| {
                            self.script_failed(pointer.clone(), e);
                            false
                        })
                    }
                    None => false,
                };
            if f.ty.holds_value() {
                self.ev.state.required.insert(pointer.clone(), required);
            }
            shown.push((*f, pointer, required));
        }
        // 4. Required, limits, formats, options.
        for (f, pointer, required) in shown {
            if let Some(parent) = &f.field.depends_on {
                let parent_value = record.get(parent).and_then(Value::as_str);
                let offered: Vec<String> = f
                    .choices
                    .iter()
                    .filter(|c| parent_value.is_some_and(|p| c.parent() == Some(p)))
                    .map(|c| c.value().to_string())
                    .collect();
                self.ev.state.options.insert(pointer.clone(), offered);
            }
            match record.get(&f.field.key).cloned() {
                None => {
                    if required {
                        self.error(&pointer, "required", msg("此项必填", "This field is required"));
                    }
                }
                Some(v) => {
                    if f.ty == FieldType::Group {
                        let items =
                            self.group(f, &v, &pointer, top.cloned().unwrap_or_else(|| Value::Object(record.clone())));
                        record.insert(f.field.key.clone(), Value::Array(items));
                    } else {
                        self.check(f, &v, &pointer, &record);
                    }
                }
            }
        }
        record
    }

    fn group(&mut self, f: &CompiledField, v: &Value, pointer: &str, top: Value) -> Vec<Value> {
        let items = v.as_array().cloned().unwrap_or_default();
        if !self.count(f, items.len(), pointer, GROUP_MAX) {
            // Too many items: the count is the answer; evaluating each would only cost time.
            return Vec::new();
        }
        let fields: Vec<&CompiledField> = f.items.iter().collect();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            match item.as_object() {
                Some(answers) => out.push(Value::Object(self.fields(&fields, answers, &at, Some(&top)))),
                None => self.error(&at, "wrong_type", msg("每一项应是一个对象", "Each item must be an object")),
            }
        }
        out
    }

    /// Checks the number of items; false when there are too many.
    fn count(&mut self, f: &CompiledField, n: usize, pointer: &str, default_max: usize) -> bool {
        let lo = f.field.min.as_ref().and_then(Limit::as_f64).unwrap_or(0.0) as usize;
        let hi = f.field.max.as_ref().and_then(Limit::as_f64).map(|m| m as usize).unwrap_or(default_max);
        if n < lo {
            self.error(pointer, "too_few", msg(format!("至少需要 {lo} 项"), format!("At least {lo} needed")));
        }
        if n > hi {
            self.error(pointer, "too_many", msg(format!("最多 {hi} 项"), format!("At most {hi} allowed")));
            return false;
        }
        true
    }

    fn check(&mut self, f: &CompiledField, v: &Value, pointer: &str, record: &Map<String, Value>) {
        let field = &f.field;
        if f.ty.is_textual() {
            let s = v.as_str().unwrap_or_default();
            let len = s.chars().count() as u32;
            let max = field.max_length.unwrap_or(if f.ty == FieldType::Textarea { TEXTAREA_MAX } else { TEXT_MAX });
            if len > max {
                self.error(
                    pointer,
                    "too_long",
                    msg(format!("最多 {max} 个字，现在 {len} 个"), format!("At most {max} characters, this has {len}")),
                );
            }
            if let Some(min) = field.min_length
                && len < min
            {
                self.error(pointer, "too_short", msg(format!("至少 {min} 个字"), format!("At least {min} characters")));
            }
            let format_ok = match f.ty {
                FieldType::Phone => is_mobile_phone(s),
                FieldType::IdNumber => is_id_number(s),
                FieldType::Email => is_email(s),
                _ => true,
            };
            if !format_ok {
                let (zh, en) = match f.ty {
                    FieldType::Phone => ("请填写 11 位手机号码", "Enter an 11-digit mobile number"),
                    FieldType::IdNumber => (
                        "身份证号码不正确（18 位，校验位不符）",
                        "Not a valid resident ID number (18 characters, checksum)",
                    ),
                    _ => ("电子邮箱格式不正确", "Not a valid e-mail address"),
                };
                self.error(pointer, "bad_format", msg(zh, en));
            } else if let Some(re) = &f.pattern
                && !re.is_match(s)
            {
                let m = field.pattern_message.clone().unwrap_or_else(|| msg("格式不正确", "Wrong format"));
                self.error(pointer, "pattern", m);
            }
            return;
        }
        match f.ty {
            FieldType::Number | FieldType::Integer | FieldType::Rating | FieldType::Slider => {
                let n = v.as_f64().unwrap_or_default();
                let (lo, hi) = if f.ty == FieldType::Rating {
                    (Some(1.0), Some(field.max.as_ref().and_then(Limit::as_f64).unwrap_or(5.0)))
                } else if f.ty == FieldType::Slider {
                    (
                        Some(field.min.as_ref().and_then(Limit::as_f64).unwrap_or(0.0)),
                        Some(field.max.as_ref().and_then(Limit::as_f64).unwrap_or(100.0)),
                    )
                } else {
                    (field.min.as_ref().and_then(Limit::as_f64), field.max.as_ref().and_then(Limit::as_f64))
                };
                if let Some(lo) = lo
                    && n < lo
                {
                    self.error(pointer, "too_small", msg(format!("不能小于 {lo}"), format!("Must be at least {lo}")));
                }
                if let Some(hi) = hi
                    && n > hi
                {
                    self.error(pointer, "too_large", msg(format!("不能大于 {hi}"), format!("Must be at most {hi}")));
                }
            }
            FieldType::Select => {
                let s = v.as_str().unwrap_or_default();
                self.choice(f, s, pointer, record);
            }
            FieldType::Multiselect => {
                let list = v.as_array().cloned().unwrap_or_default();
                self.count(f, list.len(), pointer, usize::MAX);
                for (i, item) in list.iter().enumerate() {
                    self.choice(f, item.as_str().unwrap_or_default(), &format!("{pointer}/{i}"), record);
                }
            }
            FieldType::Date | FieldType::Datetime => {
                let s = v.as_str().unwrap_or_default();
                let today = self.today;
                let datetime = f.ty == FieldType::Datetime;
                // Limits are brought to the field's shape (a date, or a date and a time) so
                // that ISO strings compare in calendar order.
                let shape = |l: &Limit, end_of_day: bool| -> Option<String> {
                    let t = match l {
                        Limit::Text(t) if t == "today" => today.format("%Y-%m-%d").to_string(),
                        Limit::Text(t) => t.clone(),
                        Limit::Number(_) => return None,
                    };
                    Some(match (datetime, t.len() > 10) {
                        (false, _) => t.get(..10).unwrap_or(&t).to_string(),
                        (true, true) => t.get(..16).unwrap_or(&t).to_string(),
                        (true, false) => format!("{t}T{}", if end_of_day { "23:59" } else { "00:00" }),
                    })
                };
                if let Some(lo) = field.min.as_ref().and_then(|l| shape(l, false))
                    && s < lo.as_str()
                {
                    self.error(pointer, "too_early", msg(format!("不能早于 {lo}"), format!("Must not be before {lo}")));
                }
                if let Some(hi) = field.max.as_ref().and_then(|l| shape(l, true))
                    && s > hi.as_str()
                {
                    self.error(pointer, "too_late", msg(format!("不能晚于 {hi}"), format!("Must not be after {hi}")));
                }
            }
            FieldType::Photo => {
                let list = v.as_array().cloned().unwrap_or_default();
                self.count(f, list.len(), pointer, field.max.as_ref().and_then(Limit::as_f64).unwrap_or(1.0) as usize);
                for (i, item) in list.iter().enumerate() {
                    self.ev.photos.push((format!("{pointer}/{i}"), item.as_str().unwrap_or_default().to_string()));
                }
            }
            FieldType::Location => {
                let lon = v.get("lon").and_then(Value::as_f64).unwrap_or(f64::NAN);
                let lat = v.get("lat").and_then(Value::as_f64).unwrap_or(f64::NAN);
                if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                    self.error(
                        pointer,
                        "bad_location",
                        msg(
                            "经纬度不正确（WGS-84，经度 -180 到 180，纬度 -90 到 90）",
                            "Not a valid WGS-84 position (longitude -180 to 180, latitude -90 to 90)",
                        ),
                    );
                }
                if v.get("address").and_then(Value::as_str).is_some_and(|a| a.chars().count() > TEXT_MAX as usize) {
                    self.error(
                        &format!("{pointer}/address"),
                        "too_long",
                        msg(
                            format!("地址最多 {TEXT_MAX} 个字"),
                            format!("The address has at most {TEXT_MAX} characters"),
                        ),
                    );
                }
            }
            _ => {}
        }
    }

    fn choice(&mut self, f: &CompiledField, value: &str, pointer: &str, record: &Map<String, Value>) {
        let Some(choice) = f.choices.iter().find(|c| c.value() == value) else {
            self.error(
                pointer,
                "not_an_option",
                msg(format!("“{value}”不是可选项"), format!("“{value}” is not one of the options")),
            );
            return;
        };
        if let Some(parent) = &f.field.depends_on {
            let parent_value = record.get(parent).and_then(Value::as_str);
            if choice.parent() != parent_value {
                self.error(
                    pointer,
                    "not_an_option",
                    msg(
                        format!("“{value}”与上一级的选择不匹配"),
                        format!("“{value}” does not belong under the choice made in “{parent}”"),
                    ),
                );
            }
        }
    }
}

/// Coerces one answer to the field's type. `Ok(None)` means "not answered".
fn coerce(f: &CompiledField, v: Value) -> Result<Option<Value>, Text> {
    let wrong =
        |what: (&str, &str)| Err(msg(format!("类型不对，应为{}", what.0), format!("Wrong type, expected {}", what.1)));
    if v.is_null() {
        return Ok(None);
    }
    if let Value::String(s) = &v
        && s.trim().is_empty()
        && f.ty != FieldType::Textarea
    {
        return Ok(None);
    }
    match f.ty {
        FieldType::Select => match v {
            Value::String(s) => Ok(Some(Value::String(s.trim().to_string()))),
            Value::Number(n) => Ok(Some(Value::String(n.to_string()))),
            _ => wrong(("选项", "an option")),
        },
        FieldType::Text | FieldType::Textarea | FieldType::Email => match v {
            Value::String(s) if f.ty == FieldType::Textarea && s.trim().is_empty() => Ok(None),
            Value::String(s) if f.ty == FieldType::Textarea => Ok(Some(Value::String(s.replace("\r\n", "\n")))),
            Value::String(s) => Ok(Some(Value::String(s.trim().to_string()))),
            _ => wrong(("文字", "text")),
        },
        // A number that is not a mobile number is kept as typed (trimmed) for the format check.
        FieldType::Phone => match v {
            Value::String(s) => Ok(Some(Value::String(normalize_phone(&s).unwrap_or_else(|| s.trim().to_string())))),
            _ => wrong(("文字", "text")),
        },
        FieldType::IdNumber => match v {
            Value::String(s) => Ok(Some(Value::String(normalize_id_number(&s)))),
            _ => wrong(("文字", "text")),
        },
        FieldType::Number => match number(&v) {
            Some(n) => Ok(Some(serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null))),
            None => wrong(("数字", "a number")),
        },
        FieldType::Integer | FieldType::Rating => match number(&v) {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Some(Value::from(n as i64))),
            _ => wrong(("整数", "a whole number")),
        },
        FieldType::Multiselect => match v {
            Value::String(s) => Ok(Some(Value::Array(vec![Value::String(s)]))),
            Value::Number(n) => Ok(Some(Value::Array(vec![Value::String(n.to_string())]))),
            Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => {
                let items: Vec<Value> = items
                    .into_iter()
                    .map(|i| if let Value::Number(n) = i { Value::String(n.to_string()) } else { i })
                    .collect();
                Ok((!items.is_empty()).then_some(Value::Array(items)))
            }
            _ => wrong(("选项列表", "a list of options")),
        },
        FieldType::Date => match v.as_str().and_then(parse_date) {
            Some(d) => Ok(Some(Value::String(d.format("%Y-%m-%d").to_string()))),
            None => wrong(("日期（2026-01-31）", "a date (2026-01-31)")),
        },
        FieldType::Time => match v.as_str().and_then(parse_time) {
            Some(t) => Ok(Some(Value::String(t))),
            None => wrong(("时间（09:30）", "a time (09:30)")),
        },
        FieldType::Slider => match number(&v) {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Some(Value::from(n as i64))),
            _ => wrong(("整数", "a whole number")),
        },
        FieldType::Datetime => match v.as_str().and_then(parse_datetime) {
            Some(d) => Ok(Some(Value::String(d.format("%Y-%m-%dT%H:%M").to_string()))),
            None => wrong(("日期时间（2026-01-31T09:30）", "a date and time (2026-01-31T09:30)")),
        },
        FieldType::YesNo => match &v {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            Value::String(s) => match s.as_str() {
                "yes" | "true" | "on" | "1" => Ok(Some(Value::Bool(true))),
                "no" | "false" | "off" | "0" => Ok(Some(Value::Bool(false))),
                _ => wrong(("是或否", "yes or no")),
            },
            _ => wrong(("是或否", "yes or no")),
        },
        FieldType::Photo => {
            let list = match v {
                Value::String(s) => vec![Value::String(s)],
                Value::Array(items) => items,
                _ => return wrong(("照片列表", "a list of photos")),
            };
            let mut out = Vec::new();
            for item in list {
                match item.as_str().map(str::to_ascii_lowercase) {
                    Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => out.push(Value::String(s)),
                    Some(s) if s.is_empty() => {}
                    _ => {
                        return Err(msg(
                            "照片引用不正确，请先上传照片",
                            "Not a photo reference: upload the photo first",
                        ));
                    }
                }
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        FieldType::Location => {
            let Value::Object(map) = v else { return wrong(("位置", "a location {lon, lat, address}")) };
            let lon = map.get("lon").and_then(number);
            let lat = map.get("lat").and_then(number);
            let address = map.get("address").and_then(Value::as_str).map(str::trim).unwrap_or_default().to_string();
            if lon.is_none() && lat.is_none() && address.is_empty() {
                return Ok(None);
            }
            match (lon, lat) {
                (Some(lon), Some(lat)) => Ok(Some(serde_json::json!({"lon": lon, "lat": lat, "address": address}))),
                _ => Err(msg("请填写经度和纬度", "Give both longitude and latitude")),
            }
        }
        FieldType::Group => match v {
            Value::Array(items) => Ok((!items.is_empty()).then_some(Value::Array(items))),
            _ => wrong(("列表", "a list of items")),
        },
        FieldType::Section => Ok(None),
        // The runtime replaces the row named (by its id, or an object's `row`) with the row as
        // it is now before the form is evaluated; here only the shape is kept.
        FieldType::Relation => match v {
            Value::String(id) => Ok(Some(serde_json::json!({"row": id.trim()}))),
            Value::Object(map) => match map.get("row").and_then(Value::as_str) {
                Some(_) => Ok(Some(Value::Object(map))),
                None => wrong(("台账行", "a register row")),
            },
            _ => wrong(("台账行", "a register row")),
        },
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

/// Options to show for a select, given the parent's value (all of them when not cascading).
pub fn offered<'c>(f: &'c CompiledField, parent_value: Option<&str>) -> Vec<&'c Choice> {
    match (&f.field.depends_on, parent_value) {
        (Some(_), Some(p)) => f.choices.iter().filter(|c| c.parent() == Some(p)).collect(),
        _ => f.choices.iter().collect(),
    }
}
