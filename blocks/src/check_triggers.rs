//! The semantic checks of triggers: a schedule's id, day and time, the register it runs over,
//! the record fields it fills and its expressions; a `field_changed` trigger's field.

use std::collections::{HashMap, HashSet};

use crate::check::Checker;
use crate::compile::CompiledRegister;
use crate::script::Script;
use crate::trigger::{Every, Schedule, Trigger, weekday};
use crate::{App, problem::pointer_token};

impl Checker<'_> {
    /// Checks the app's triggers and compiles its schedules' expressions, by schedule id.
    pub(crate) fn triggers(
        &mut self,
        app: &App,
        keys: &HashSet<&str>,
        registers: &[CompiledRegister],
    ) -> HashMap<String, Vec<Script>> {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut scripts = HashMap::new();
        for (i, trigger) in app.triggers.iter().enumerate() {
            let at = format!("/triggers/{i}");
            match trigger {
                Trigger::FieldChanged { field } if !keys.contains(field.as_str()) => self.problem(
                    format!("{at}/field"),
                    "unknown_field",
                    format!("触发条件引用了不存在的字段“{field}”"),
                    format!("The trigger names a field “{field}” that does not exist"),
                ),
                Trigger::Schedule(s) => {
                    if let Some(first) = ids.insert(&s.id, i) {
                        self.problem(
                            format!("{at}/id"),
                            "duplicate_schedule",
                            format!("定时任务标识“{}”重复（第 {} 个触发条件已使用）", s.id, first + 1),
                            format!("Schedule id “{}” is used twice (first by trigger {})", s.id, first + 1),
                        );
                    }
                    if let Some(compiled) = self.schedule(s, &at, keys, registers) {
                        scripts.insert(s.id.clone(), compiled);
                    }
                }
                _ => {}
            }
        }
        scripts
    }

    fn schedule(
        &mut self,
        s: &Schedule,
        at: &str,
        keys: &HashSet<&str>,
        registers: &[CompiledRegister],
    ) -> Option<Vec<Script>> {
        let id_ok = (2..=40).contains(&s.id.len())
            && s.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            self.hinted(
                format!("{at}/id"),
                "bad_key",
                (format!("定时任务标识“{}”格式不对", s.id), format!("Schedule id “{}” is not valid", s.id)),
                (
                    "用 2–40 个小写字母、数字、下划线或连字符，例如 monthly-visit",
                    "Use 2–40 lower-case letters, digits, _ or -, e.g. monthly-visit",
                ),
            );
        }
        if s.time().is_none() {
            self.hinted(
                format!("{at}/at"),
                "bad_time",
                (
                    format!("时间“{}”格式不对", s.at.as_deref().unwrap_or_default()),
                    format!("Time “{}” is not valid", s.at.as_deref().unwrap_or_default()),
                ),
                ("写成 时:分，例如 09:00", "Write HH:MM, e.g. 09:00"),
            );
        }
        let on = s.on.as_deref();
        let day_ok = match s.every {
            Every::Day => matches!(on, None | Some("working")),
            Every::Week => on.and_then(weekday).is_some(),
            Every::Month => match on {
                Some("first_working_day" | "last_working_day") => true,
                Some(n) => n.parse::<u32>().is_ok_and(|d| (1..=28).contains(&d)),
                None => false,
            },
        };
        if !day_ok {
            let (zh, en) = match s.every {
                Every::Day => (
                    "每天的任务：on 不写（每天）或写 working（仅工作日）",
                    "A daily schedule: leave on out (every day) or write working (working days only)",
                ),
                Every::Week => {
                    ("每周的任务：on 写星期几，mon 到 sun", "A weekly schedule: on names a weekday, mon to sun")
                }
                Every::Month => (
                    "每月的任务：on 写 1–28 日，或 first_working_day（第一个工作日）、last_working_day（最后一个工作日）",
                    "A monthly schedule: on is a day 1–28, first_working_day or last_working_day",
                ),
            };
            self.hinted(
                format!("{at}/on"),
                "bad_schedule_day",
                (
                    format!("“{}”不是这种周期可用的日子", on.unwrap_or("")),
                    format!("“{}” is not a day this schedule can run on", on.unwrap_or("")),
                ),
                (zh, en),
            );
        }
        if let Some(each) = &s.for_each
            && !registers.iter().any(|r| r.register.id == each.register)
        {
            let known: Vec<&str> = registers.iter().map(|r| r.register.id.as_str()).collect();
            let known = if known.is_empty() { "—".to_string() } else { known.join(", ") };
            self.hinted(
                format!("{at}/for_each/register"),
                "unknown_register",
                (format!("没有台账“{}”", each.register), format!("There is no register “{}”", each.register)),
                (&format!("现有台账：{known}"), &format!("Existing registers: {known}")),
            );
        }
        for key in s.record.keys() {
            if !keys.contains(key.as_str()) {
                self.problem(
                    format!("{at}/record/{}", pointer_token(key)),
                    "unknown_field",
                    format!("定时任务填写了不存在的字段“{key}”"),
                    format!("The schedule fills a field “{key}” that does not exist"),
                );
            }
        }
        let mut sources: Vec<(String, &String)> = Vec::new();
        if let Some(w) = s.for_each.as_ref().and_then(|f| f.when.as_ref()) {
            sources.push((format!("{at}/for_each/where"), w));
        }
        for (k, v) in &s.record {
            sources.push((format!("{at}/record/{}", pointer_token(k)), v));
        }
        let mut compiled = Vec::new();
        for (pointer, source) in sources {
            compiled.push(self.script(&Some(source.clone()), pointer));
        }
        compiled.into_iter().collect()
    }
}
