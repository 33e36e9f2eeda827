//! The semantic checks of steps and transitions: ids, the first step, block configs
//! (field references, durations, escalation ladders, review levels, vote shares, dispatch and
//! script expressions, plugin references and mappings), dangling transitions and unreachable steps.

use std::collections::{HashMap, HashSet};

use crate::App;
use crate::check::Checker;
use crate::step::{
    BlockConfig, PLUGIN_GRANTS, PLUGIN_TIMEOUT_MAX_MS, PluginConfig, parse_duration, plugin_reference_ok,
};

impl Checker<'_> {
    pub(crate) fn steps(&mut self, app: &App, keys: &HashSet<&str>) {
        if app.steps.is_empty() {
            self.hinted(
                "/steps".into(),
                "no_steps",
                ("应用至少要有一个步骤".into(), "An app needs at least one step".into()),
                ("第一步通常是表单", "The first step is usually a form"),
            );
            return;
        }
        if !matches!(app.steps[0].block, BlockConfig::Form(_)) {
            self.hinted(
                "/steps/0/block".into(),
                "first_step_not_form",
                (
                    "第一步必须是表单，居民从这里提交".into(),
                    "The first step must be a form: it is where cases come in".into(),
                ),
                ("把表单步骤移到最前面", "Move a form step to the front"),
            );
        }
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, step) in app.steps.iter().enumerate() {
            let at = format!("/steps/{i}");
            let ok = !step.id.is_empty()
                && step.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if !ok {
                self.hinted(
                    format!("{at}/id"),
                    "bad_key",
                    (format!("步骤标识“{}”格式不对", step.id), format!("Step id “{}” is not valid", step.id)),
                    ("只用小写字母、数字、下划线和连字符", "Use lower-case letters, digits, _ and -"),
                );
            }
            if let Some(first) = ids.insert(&step.id, i) {
                self.problem(
                    format!("{at}/id"),
                    "duplicate_step",
                    format!("步骤标识“{}”重复（第 {} 步已使用）", step.id, first + 1),
                    format!("Step id “{}” is used twice (first by step {})", step.id, first + 1),
                );
            }
            self.block(&step.block, &format!("{at}/config"), keys);
        }
        for (i, t) in app.transitions.iter().enumerate() {
            for (end, id) in [("from", &t.from), ("to", &t.to)] {
                if !ids.contains_key(id.as_str()) {
                    let known: Vec<&str> = app.steps.iter().map(|s| s.id.as_str()).collect();
                    let known = known.join(", ");
                    self.hinted(
                        format!("/transitions/{i}/{end}"),
                        "dangling_transition",
                        (
                            format!("流转指向不存在的步骤“{id}”"),
                            format!("The transition points to a step “{id}” that does not exist"),
                        ),
                        (&format!("现有步骤：{known}"), &format!("Existing steps: {known}")),
                    );
                }
            }
        }
        // Every step must be reachable from the first.
        let mut reached: HashSet<&str> = HashSet::from([app.steps[0].id.as_str()]);
        let mut frontier = vec![app.steps[0].id.as_str()];
        while let Some(from) = frontier.pop() {
            for t in app.transitions.iter().filter(|t| t.from == from) {
                if reached.insert(t.to.as_str()) {
                    frontier.push(t.to.as_str());
                }
            }
        }
        for (i, step) in app.steps.iter().enumerate() {
            if !reached.contains(step.id.as_str()) && ids.get(step.id.as_str()) == Some(&i) {
                self.hinted(
                    format!("/steps/{i}"),
                    "unreachable_step",
                    (format!("步骤“{}”无法到达", step.id), format!("Step “{}” can never be reached", step.id)),
                    (
                        "加一条流转从前面的步骤指向它，或删除它",
                        "Add a transition into it from an earlier step, or delete it",
                    ),
                );
            }
        }
    }

    fn block(&mut self, block: &BlockConfig, at: &str, keys: &HashSet<&str>) {
        let field_refs = |this: &mut Self, list: &Option<Vec<String>>| {
            for (j, k) in list.iter().flatten().enumerate() {
                if !keys.contains(k.as_str()) {
                    this.problem(
                        format!("{at}/fields/{j}"),
                        "unknown_field",
                        format!("步骤引用了不存在的字段“{k}”"),
                        format!("The step names a field “{k}” that does not exist"),
                    );
                }
            }
        };
        let duration = |this: &mut Self, s: &str, pointer: String| {
            if parse_duration(s).is_none() {
                this.hinted(
                    pointer,
                    "bad_duration",
                    (format!("时长“{s}”格式不对"), format!("Duration “{s}” is not valid")),
                    ("写成 30m、24h、3d 或 5wd（工作日）", "Write 30m, 24h, 3d or 5wd (working days)"),
                );
            }
        };
        match block {
            BlockConfig::Form(c) => field_refs(self, &c.fields),
            BlockConfig::Sign(c) | BlockConfig::Handle(c) | BlockConfig::Claim(c) => {
                field_refs(self, &c.fields);
                if let Some(sla) = &c.sla {
                    duration(self, &sla.due, format!("{at}/sla/due"));
                    self.ladder(&sla.ladder, &format!("{at}/sla/ladder"));
                }
            }
            BlockConfig::Review(c) => {
                field_refs(self, &c.fields);
                if !(1..=3).contains(&c.levels) {
                    self.problem(
                        format!("{at}/levels"),
                        "bad_limit",
                        "审核级数应为 1 到 3".into(),
                        "Review levels must be 1 to 3".into(),
                    );
                }
                if let Some(sla) = &c.sla {
                    duration(self, &sla.due, format!("{at}/sla/due"));
                    self.ladder(&sla.ladder, &format!("{at}/sla/ladder"));
                }
            }
            BlockConfig::Vote(c) => {
                duration(self, &c.duration, format!("{at}/duration"));
                let electorate_ok = match c.electorate.strip_prefix("record.") {
                    Some(k) => keys.contains(k),
                    None => c.electorate.parse::<u32>().is_ok_and(|n| n > 0),
                };
                if !electorate_ok {
                    self.problem(
                        format!("{at}/electorate"),
                        "bad_electorate",
                        format!("有投票权的人数“{}”应是正整数或已有字段（record.字段）", c.electorate),
                        format!(
                            "The electorate “{}” must be a positive number or an existing field (record.key)",
                            c.electorate
                        ),
                    );
                }
                if !keys.contains(c.result.as_str()) {
                    self.problem(
                        format!("{at}/result"),
                        "unknown_field",
                        format!("投票结果要写入的字段“{}”不存在", c.result),
                        format!("The field “{}” the outcome is written to does not exist", c.result),
                    );
                }
                for (name, v) in [("quorum", Some(c.quorum)), ("pass", c.pass)] {
                    if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                        self.problem(
                            format!("{at}/{name}"),
                            "bad_limit",
                            format!("{name} 应在 0 到 1 之间"),
                            format!("{name} must be between 0 and 1"),
                        );
                    }
                }
            }
            BlockConfig::Timer(c) => duration(self, &c.after, format!("{at}/after")),
            BlockConfig::Dispatch(c) => {
                for (j, rule) in c.rules.iter().enumerate() {
                    self.script(&Some(rule.when.clone()), format!("{at}/rules/{j}/when"));
                }
            }
            BlockConfig::Script(c) => {
                self.script(&Some(c.run.clone()), format!("{at}/run"));
            }
            BlockConfig::Notify(c) => {
                if let Some(k) = c.to.strip_prefix("record.")
                    && !keys.contains(k)
                {
                    self.problem(
                        format!("{at}/to"),
                        "unknown_field",
                        format!("通知对象引用了不存在的字段“{k}”"),
                        format!("The receiver names a field “{k}” that does not exist"),
                    );
                }
            }
            BlockConfig::Ledger(c) => {
                let named = [
                    ("amount", Some(&c.amount)),
                    ("counterparty", Some(&c.counterparty)),
                    ("purpose", Some(&c.purpose)),
                    ("evidence", c.evidence.as_ref()),
                ];
                for (name, key) in named {
                    if let Some(k) = key
                        && !keys.contains(k.as_str())
                    {
                        self.problem(
                            format!("{at}/{name}"),
                            "unknown_field",
                            format!("记账步骤的 {name} 引用了不存在的字段“{k}”"),
                            format!("The ledger step's {name} names a field “{k}” that does not exist"),
                        );
                    }
                }
                let account_ok = match c.account.strip_prefix("record.") {
                    Some(k) => keys.contains(k),
                    None => {
                        (1..=40).contains(&c.account.len())
                            && c.account.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    }
                };
                if !account_ok {
                    self.problem(
                        format!("{at}/account"),
                        "bad_key",
                        format!("账户“{}”应是小写字母、数字和下划线组成的名称，或已有字段（record.字段）", c.account),
                        format!("The account “{}” must be a name of lowercase letters, digits and _, or an existing field (record.key)", c.account),
                    );
                }
                match &c.approved_if {
                    Some(_) => {
                        self.script(&c.approved_if, format!("{at}/approved_if"));
                    }
                    None if c.direction == crate::step::LedgerDirection::Expense => self.hinted(
                        format!("{at}/approved_if"),
                        "unapproved_expense",
                        ("支出必须写明批准条件 approved_if".into(), "An expense needs an approved_if condition".into()),
                        ("例如 record.decision == \"approve\"", "For example record.decision == \"approve\""),
                    ),
                    None => {}
                }
            }
            BlockConfig::Plugin(c) => self.plugin(c, at, keys),
            // Checked against the app's registers in `check_registers`.
            BlockConfig::Register(_) => {}
            BlockConfig::Webhook(c) => {
                if !(c.url.starts_with("https://") || c.url.starts_with("http://")) {
                    self.problem(
                        format!("{at}/url"),
                        "bad_url",
                        "推送地址应以 https:// 开头".into(),
                        "The webhook URL must start with https://".into(),
                    );
                }
            }
        }
    }

    fn ladder(&mut self, ladder: &[String], at: &str) {
        for (i, rung) in ladder.iter().enumerate() {
            let ok = rung.split_once('@').is_some_and(|(what, when)| {
                matches!(what, "remind" | "urge" | "supervise")
                    && (when.strip_suffix('%').is_some_and(|n| n.parse::<u32>().is_ok())
                        || when.strip_prefix('+').is_some_and(|d| parse_duration(d).is_some()))
            });
            if !ok {
                self.hinted(
                    format!("{at}/{i}"),
                    "bad_ladder",
                    (format!("督办阶梯“{rung}”格式不对"), format!("Escalation rung “{rung}” is not valid")),
                    ("写成 remind@80%、urge@100% 或 supervise@+2h", "Write remind@80%, urge@100% or supervise@+2h"),
                );
            }
        }
    }

    fn plugin(&mut self, c: &PluginConfig, at: &str, keys: &HashSet<&str>) {
        if !plugin_reference_ok(&c.plugin) {
            self.hinted(
                format!("{at}/plugin"),
                "bad_plugin_reference",
                (format!("插件引用“{}”格式不对", c.plugin), format!("Plugin reference “{}” is not valid", c.plugin)),
                (
                    "写成 sha256:<64 位十六进制> 或 名称@版本，如 plate@1.0.0",
                    "Write sha256:<64 hex digits> or name@version, e.g. plate@1.0.0",
                ),
            );
        }
        for (side, map) in [("input", &c.input), ("output", &c.output)] {
            for (k, field) in map {
                if !keys.contains(field.as_str()) {
                    self.problem(
                        format!("{at}/{side}/{}", pointer_escape(k)),
                        "unknown_field",
                        format!("插件映射引用了不存在的字段“{field}”"),
                        format!("The plugin mapping names a field “{field}” that does not exist"),
                    );
                }
            }
        }
        if c.timeout_ms.is_some_and(|t| t == 0 || t > PLUGIN_TIMEOUT_MAX_MS) {
            self.problem(
                format!("{at}/timeout_ms"),
                "bad_limit",
                format!("插件超时应在 1 到 {PLUGIN_TIMEOUT_MAX_MS} 毫秒之间"),
                format!("A plugin timeout must be 1 to {PLUGIN_TIMEOUT_MAX_MS} ms"),
            );
        }
        for (j, g) in c.grants.iter().enumerate() {
            if !PLUGIN_GRANTS.contains(&g.as_str()) {
                let known = PLUGIN_GRANTS.join(", ");
                self.hinted(
                    format!("{at}/grants/{j}"),
                    "unknown_grant",
                    (format!("没有“{g}”这种插件能力"), format!("There is no plugin capability “{g}”")),
                    (&format!("可授予的能力：{known}"), &format!("Capabilities that can be granted: {known}")),
                );
            }
        }
    }
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
