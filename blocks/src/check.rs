//! The semantic checks of an app definition — what the meta-schema cannot say: keys and ids,
//! dictionary references, type-specific attributes, limits, patterns, options and cascades,
//! scripts that must compile — and the compilation that comes with them. The checks of steps
//! and transitions are in `check_steps`.

use std::collections::{HashMap, HashSet};

use regex::Regex;

use crate::compile::{CompiledApp, CompiledField, CompiledRule, CompiledTransition};
use crate::dictionary::Sensitivity;
use crate::script::{Script, ScriptError};
use crate::step::BlockConfig;
use crate::{App, Choice, Dictionary, Field, FieldType, Problem, Text};

const KEY_HINT: (&str, &str) =
    ("只用小写字母、数字和下划线，以字母开头", "Use lower-case letters, digits and _, starting with a letter");

pub(crate) struct Checker<'d> {
    dict: &'d Dictionary,
    pub(crate) problems: Vec<Problem>,
}

impl<'d> Checker<'d> {
    pub(crate) fn new(dict: &'d Dictionary) -> Checker<'d> {
        Checker { dict, problems: Vec::new() }
    }

    pub(crate) fn problem(&mut self, pointer: String, code: &'static str, zh: String, en: String) {
        self.problems.push(Problem::new(pointer, code, Text::new(zh, en)));
    }

    pub(crate) fn hinted(&mut self, pointer: String, code: &'static str, msg: (String, String), hint: (&str, &str)) {
        self.problems.push(Problem::new(pointer, code, Text::new(msg.0, msg.1)).with_hint(Text::new(hint.0, hint.1)));
    }

    pub(crate) fn script(&mut self, source: &Option<String>, pointer: String) -> Option<Script> {
        let source = source.as_ref()?;
        match Script::compile(source) {
            Ok(s) => Some(s),
            Err(e) => {
                self.script_error(pointer, e);
                None
            }
        }
    }

    fn script_error(&mut self, pointer: String, e: ScriptError) {
        let mut p = Problem::new(pointer, "script", e.message).with_hint(Text::new(
            "表达式用 rhai 语言书写，用 record.字段名 读取字段，例如 record.kind == \"other\"",
            "Expressions are rhai; read fields as record.key, e.g. record.kind == \"other\"",
        ));
        p.line = e.line;
        p.column = e.column;
        self.problems.push(p);
    }

    pub(crate) fn app(&mut self, mut app: App) -> CompiledApp {
        let id_ok = app.id.len() >= 2
            && app.id.len() <= 63
            && app.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && app.id.as_bytes()[0].is_ascii_alphanumeric();
        if !id_ok {
            self.hinted(
                "/id".into(),
                "bad_id",
                (format!("应用标识“{}”格式不对", app.id), format!("App id “{}” is not valid", app.id)),
                (
                    "用 2–63 个小写字母、数字或连字符，例如 nuoche-e-zhan",
                    "Use 2–63 lower-case letters, digits or -, e.g. nuoche-e-zhan",
                ),
            );
        }
        let parts: Vec<&str> = app.version.split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.parse::<u64>().is_err()) {
            self.hinted(
                "/version".into(),
                "bad_version",
                (format!("版本号“{}”格式不对", app.version), format!("Version “{}” is not valid", app.version)),
                ("写成 主版本.次版本.修订号，例如 1.0.0", "Write MAJOR.MINOR.PATCH, e.g. 1.0.0"),
            );
        }

        let mut resolved = Vec::new();
        let mut fields = self.fields(&mut app.record.fields, "/record/fields", &mut resolved);
        let keys: HashSet<&str> = fields.iter().map(|f| f.field.key.as_str()).collect();

        let mut rules = Vec::new();
        for (i, rule) in app.record.rules.iter().enumerate() {
            let at = format!("/record/rules/{i}");
            if let Some(f) = &rule.field
                && !keys.contains(f.as_str())
            {
                self.problem(
                    format!("{at}/field"),
                    "unknown_field",
                    format!("规则指向不存在的字段“{f}”"),
                    format!("The rule names a field “{f}” that does not exist"),
                );
            }
            if let Some(check) = self.script(&Some(rule.check.clone()), format!("{at}/check")) {
                rules.push(CompiledRule { rule: rule.clone(), check });
            }
        }

        let registers = self.registers(&mut app);
        self.steps(&app, &keys);
        self.register_steps(&app, &registers);
        self.relations(&app, &fields, &registers);
        // A link to a row whose key is personal (a register keyed by phone) is as personal as
        // the key: masked for readers without need to know, unless the builder says otherwise.
        let personal_links: Vec<String> = fields
            .iter()
            .filter(|f| f.ty == FieldType::Relation && f.field.sensitivity.is_none())
            .filter(|f| {
                registers
                    .iter()
                    .find(|r| Some(&r.register.id) == f.field.register.as_ref())
                    .and_then(|r| r.key_field())
                    .is_some_and(|k| matches!(k.sensitivity, Sensitivity::Personal | Sensitivity::Sensitive))
            })
            .map(|f| f.field.key.clone())
            .collect();
        let schedule_scripts = self.triggers(&app, &keys, &registers);
        self.messages(&app, &fields);
        let mut transitions = Vec::new();
        for (i, t) in app.transitions.iter().enumerate() {
            let when = self.script(&t.when, format!("/transitions/{i}/when"));
            transitions.push(CompiledTransition { transition: t.clone(), when });
        }
        let mut step_scripts = HashMap::new();
        for step in &app.steps {
            let sources: Vec<&str> = match &step.block {
                BlockConfig::Dispatch(c) => c.rules.iter().map(|r| r.when.as_str()).collect(),
                BlockConfig::Script(c) => vec![c.run.as_str()],
                BlockConfig::Ledger(c) => c.approved_if.iter().map(String::as_str).collect(),
                BlockConfig::Register(c) => c.expressions(),
                _ => continue,
            };
            // Each compiled (and reported) in `steps` above; failures leave no entry.
            let scripts: Vec<Script> = sources.iter().filter_map(|s| Script::compile(s).ok()).collect();
            if scripts.len() == sources.len() {
                step_scripts.insert(step.id.clone(), scripts);
            }
        }
        app.record.fields = resolved;
        for f in fields.iter_mut().filter(|f| personal_links.contains(&f.field.key)) {
            f.sensitivity = Sensitivity::Personal;
        }
        CompiledApp { app, fields, rules, transitions, step_scripts, registers, schedule_scripts }
    }

    /// Resolves and checks a list of fields; `resolved` receives the fields as resolved.
    pub(crate) fn fields(&mut self, list: &mut [Field], at: &str, resolved: &mut Vec<Field>) -> Vec<CompiledField> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out: Vec<CompiledField> = Vec::new();
        for (i, field) in list.iter_mut().enumerate() {
            let here = format!("{at}/{i}");
            let key_ok = field.key.len() <= 64
                && field.key.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && field.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                self.hinted(
                    format!("{here}/key"),
                    "bad_key",
                    (format!("字段名“{}”格式不对", field.key), format!("Field key “{}” is not valid", field.key)),
                    KEY_HINT,
                );
            }
            if let Some(first) = seen.insert(field.key.clone(), i) {
                self.hinted(
                    format!("{here}/key"),
                    "duplicate_key",
                    (
                        format!("字段名“{}”重复（第 {} 个字段已使用）", field.key, first + 1),
                        format!("Field key “{}” is used twice (first by field {})", field.key, first + 1),
                    ),
                    ("给每个字段起不同的名字", "Give every field its own key"),
                );
            }
            let mut sensitivity = Sensitivity::Internal;
            if let Some(dict_key) = field.dict.clone() {
                match self.dict.field(&dict_key) {
                    Some(d) => {
                        if let (Some(mine), Some(theirs)) = (field.ty, d.field.ty)
                            && mine != theirs
                        {
                            self.problem(
                                format!("{here}/type"),
                                "dict_type_mismatch",
                                format!("字段类型 {} 与数据字典“{dict_key}”的类型 {} 不一致", mine.id(), theirs.id()),
                                format!(
                                    "Type {} differs from dictionary field “{dict_key}” ({})",
                                    mine.id(),
                                    theirs.id()
                                ),
                            );
                        }
                        field.inherit(&d.field);
                        sensitivity = d.sensitivity;
                    }
                    None => self.hinted(
                        format!("{here}/dict"),
                        "unknown_dict_field",
                        (
                            format!("数据字典里没有“{dict_key}”"),
                            format!("The data dictionary has no field “{dict_key}”"),
                        ),
                        (
                            "在数据字典页面查找正确的字段名，例如 vehicle.plate_number",
                            "Look the key up in the data dictionary, e.g. vehicle.plate_number",
                        ),
                    ),
                }
            }
            let Some(ty) = field.ty else {
                if field.dict.is_none() {
                    self.hinted(
                        format!("{here}/type"),
                        "missing_type",
                        (format!("字段“{}”没有类型", field.key), format!("Field “{}” has no type", field.key)),
                        (
                            "写明 type，或用 dict 引用数据字典字段",
                            "State a type, or reference a dictionary field with dict",
                        ),
                    );
                }
                resolved.push(field.clone());
                continue;
            };
            let sensitivity = field.sensitivity.unwrap_or(match (field.dict.is_some(), ty) {
                (true, _) => sensitivity,
                (false, FieldType::Phone) => Sensitivity::Personal,
                (false, FieldType::IdNumber) => Sensitivity::Sensitive,
                (false, _) => Sensitivity::Internal,
            });
            let compiled = self.field(field, ty, &here, sensitivity, &out);
            resolved.push(field.clone());
            out.push(compiled);
        }
        out
    }

    fn field(
        &mut self,
        field: &mut Field,
        ty: FieldType,
        here: &str,
        sensitivity: Sensitivity,
        earlier: &[CompiledField],
    ) -> CompiledField {
        let tname = ty.id();
        let misplaced = |this: &mut Self, name: &str, present: bool| {
            if present {
                this.hinted(
                    format!("{here}/{name}"),
                    "not_for_type",
                    (format!("{tname} 类型的字段不支持 {name}"), format!("A {tname} field does not take {name}")),
                    ("删除该属性，或换一种字段类型", "Remove it or choose another field type"),
                );
            }
        };
        misplaced(self, "options", !ty.has_options() && field.options.is_some());
        misplaced(self, "options_dict", !ty.has_options() && field.options_dict.is_some());
        misplaced(self, "depends_on", !ty.has_options() && field.depends_on.is_some());
        misplaced(self, "pattern", !ty.is_textual() && field.pattern.is_some());
        misplaced(self, "min_length", !ty.is_textual() && field.min_length.is_some());
        misplaced(self, "max_length", !ty.is_textual() && field.max_length.is_some());
        misplaced(self, "keep_location", ty != FieldType::Photo && field.keep_location);
        misplaced(self, "fields", ty != FieldType::Group && field.fields.is_some());
        misplaced(self, "compute", !ty.holds_value() && field.compute.is_some());
        misplaced(self, "required", !ty.holds_value() && field.required);
        misplaced(self, "register", ty != FieldType::Relation && field.register.is_some());
        misplaced(self, "filter", ty != FieldType::Relation && field.filter.is_some());
        misplaced(self, "show", ty != FieldType::Relation && field.show.is_some());
        let filter = self.script(&field.filter, format!("{here}/filter"));

        // Limits.
        let numeric = matches!(ty, FieldType::Number | FieldType::Integer | FieldType::Rating | FieldType::Slider)
            || ty.counts_items();
        let dated = matches!(ty, FieldType::Date | FieldType::Datetime);
        for (name, limit) in [("min", &field.min), ("max", &field.max)] {
            let Some(limit) = limit else { continue };
            let ok = match limit {
                crate::Limit::Number(n) => numeric && (!ty.counts_items() || (*n >= 0.0 && n.fract() == 0.0)),
                crate::Limit::Text(s) => {
                    dated
                        && (s == "today"
                            || crate::formats::parse_date(s).is_some()
                            || crate::formats::parse_datetime(s).is_some())
                }
            };
            if !ok {
                self.hinted(
                    format!("{here}/{name}"),
                    "bad_limit",
                    (format!("{tname} 类型字段的 {name} 取值不对"), format!("{name} does not fit a {tname} field")),
                    ("数字字段用数字；日期字段用 2026-01-01 或 today；照片、多选、重复组用非负整数表示数量", "Numbers for numbers; 2026-01-01 or today for dates; a whole count for photos, multiple choice and groups"),
                );
            }
        }
        if let (Some(lo), Some(hi)) =
            (field.min.as_ref().and_then(crate::Limit::as_f64), field.max.as_ref().and_then(crate::Limit::as_f64))
            && lo > hi
        {
            self.problem(
                format!("{here}/min"),
                "bad_limit",
                format!("min（{lo}）大于 max（{hi}）"),
                format!("min ({lo}) is greater than max ({hi})"),
            );
        }
        if let (Some(lo), Some(hi)) = (field.min_length, field.max_length)
            && lo > hi
        {
            self.problem(
                format!("{here}/min_length"),
                "bad_limit",
                format!("min_length（{lo}）大于 max_length（{hi}）"),
                format!("min_length ({lo}) is greater than max_length ({hi})"),
            );
        }

        let pattern = field.pattern.as_ref().and_then(|p| match Regex::new(&format!("^(?:{p})$")) {
            Ok(r) => Some(r),
            Err(e) => {
                self.problem(
                    format!("{here}/pattern"),
                    "bad_pattern",
                    format!("正则表达式有误：{e}"),
                    format!("The pattern is not a valid regular expression: {e}"),
                );
                None
            }
        });

        // Options.
        let mut choices = Vec::new();
        if ty.has_options() {
            if let Some(list) = &field.options {
                choices = list.clone();
            } else if let Some(code) = &field.options_dict {
                match self.dict.code_list(code) {
                    Some(list) => choices = list.to_vec(),
                    None => self.hinted(
                        format!("{here}/options_dict"),
                        "unknown_code_list",
                        (
                            format!("数据字典里没有代码表“{code}”"),
                            format!("The data dictionary has no code list “{code}”"),
                        ),
                        (
                            "在数据字典页面查找代码表，例如 complaint.category",
                            "Look the code list up in the data dictionary, e.g. complaint.category",
                        ),
                    ),
                }
            } else {
                self.hinted(
                    format!("{here}/options"),
                    "missing_options",
                    (
                        format!("选择字段“{}”没有选项", field.key),
                        format!("Choice field “{}” has no options", field.key),
                    ),
                    (
                        "用 options 列出选项，或用 options_dict 引用数据字典代码表",
                        "List options, or reference a dictionary code list with options_dict",
                    ),
                );
            }
            let mut values = HashSet::new();
            for (j, c) in choices.iter().enumerate() {
                if !values.insert(c.value().to_string()) {
                    self.problem(
                        format!("{here}/options/{j}"),
                        "duplicate_option",
                        format!("选项“{}”重复", c.value()),
                        format!("Option “{}” appears twice", c.value()),
                    );
                }
            }
            if let Some(parent) = &field.depends_on {
                match earlier.iter().find(|f| &f.field.key == parent) {
                    Some(p) if p.ty == FieldType::Select => {
                        let parents: HashSet<&str> = p.choices.iter().map(Choice::value).collect();
                        for (j, c) in choices.iter().enumerate() {
                            if c.parent().is_none_or(|v| !parents.contains(v)) {
                                self.problem(
                                    format!("{here}/options/{j}"),
                                    "bad_parent_option",
                                    format!("选项“{}”的 parent 不是“{parent}”的选项", c.value()),
                                    format!("Option “{}” needs a parent that is an option of “{parent}”", c.value()),
                                );
                            }
                        }
                    }
                    _ => self.hinted(
                        format!("{here}/depends_on"),
                        "bad_depends_on",
                        (
                            format!("depends_on 应指向前面的单选字段，“{parent}”不是"),
                            format!("depends_on must name an earlier single-choice field; “{parent}” is not one"),
                        ),
                        ("级联选择的上级字段要放在前面", "Put the parent select before this field"),
                    ),
                }
            }
        }

        let visible_if = self.script(&field.visible_if, format!("{here}/visible_if"));
        let required_if = self.script(&field.required_if, format!("{here}/required_if"));
        let compute = self.script(&field.compute, format!("{here}/compute"));

        let mut items = Vec::new();
        if ty == FieldType::Group {
            match field.fields.as_mut() {
                Some(sub) if !sub.is_empty() => {
                    let mut resolved = Vec::new();
                    items = self.fields(sub, &format!("{here}/fields"), &mut resolved);
                    *sub = resolved;
                }
                _ => self.hinted(
                    format!("{here}/fields"),
                    "empty_group",
                    (format!("重复组“{}”没有字段", field.key), format!("Repeat group “{}” has no fields", field.key)),
                    ("在 fields 中加入每一项要填的字段", "Add the fields of each item under fields"),
                ),
            }
        }
        CompiledField {
            field: field.clone(),
            ty,
            choices,
            pattern,
            visible_if,
            required_if,
            compute,
            items,
            sensitivity,
            filter,
        }
    }
}
