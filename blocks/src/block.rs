//! The catalog of block kinds: for each, its id, names and help in zh-CN and en, whether a
//! person works on it, and its config JSON Schema (which the designer renders as the
//! property panel and validation checks).

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde::Serialize;
use serde_json::Value;

use crate::Text;
use crate::step::{
    DispatchConfig, FormConfig, HumanTaskConfig, LedgerConfig, NotifyConfig, PluginConfig, RegisterConfig,
    ReviewConfig, ScriptConfig, TimerConfig, VoteConfig, WebhookConfig,
};

/// What the designer and the engine know of one block kind.
#[derive(Debug, Clone, Serialize)]
pub struct BlockInfo {
    pub id: &'static str,
    pub name: Text,
    pub help: Text,
    /// A person must act (the case waits); otherwise the block runs at once.
    pub human: bool,
    pub config_schema: Value,
}

fn info<C: JsonSchema>(id: &'static str, name: (&str, &str), help: (&str, &str), human: bool) -> BlockInfo {
    let generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let mut config_schema = generator.into_root_schema_for::<C>().to_value();
    crate::property::annotate(&mut config_schema);
    BlockInfo { id, name: Text::new(name.0, name.1), help: Text::new(help.0, help.1), human, config_schema }
}

/// Every block kind, in palette order.
pub fn all() -> Vec<BlockInfo> {
    vec![
        info::<FormConfig>(
            "form",
            ("表单", "Form"),
            ("请人填写记录中的字段", "Someone fills in fields of the record"),
            true,
        ),
        info::<DispatchConfig>(
            "dispatch",
            ("派单", "Dispatch"),
            ("按规则或权责清单把案件派给部门", "Send the case to a department by rules or the responsibility list"),
            false,
        ),
        info::<HumanTaskConfig>(
            "sign",
            ("签收", "Sign"),
            ("承办单位确认接收案件", "The receiving unit acknowledges the case"),
            true,
        ),
        info::<HumanTaskConfig>(
            "handle",
            ("办理", "Handle"),
            ("承办人处理并答复", "The handler works on the case and replies"),
            true,
        ),
        info::<ReviewConfig>(
            "review",
            ("审核", "Review"),
            ("逐级审核，通过或退回", "Approve or send back, level by level"),
            true,
        ),
        info::<HumanTaskConfig>(
            "claim",
            ("认领", "Claim"),
            ("志愿者或工作人员认领任务", "A volunteer or staff member takes the task"),
            true,
        ),
        info::<VoteConfig>(
            "vote",
            ("投票", "Vote"),
            ("居民或成员表决，需达到法定人数", "Residents or members vote, with a quorum"),
            true,
        ),
        info::<NotifyConfig>(
            "notify",
            ("通知", "Notify"),
            ("按模板发送站内信、短信或邮件", "Send an inbox message, SMS or e-mail from a template"),
            false,
        ),
        info::<WebhookConfig>(
            "webhook",
            ("推送", "Webhook"),
            ("把案件签名后推送给外部系统", "Post the case, signed, to an outside system"),
            false,
        ),
        info::<TimerConfig>("timer", ("定时", "Timer"), ("等待一段时间后继续", "Wait for a while, then go on"), false),
        info::<ScriptConfig>(
            "script",
            ("脚本", "Script"),
            ("运行 rhai 脚本计算字段", "Run a rhai script to compute fields"),
            false,
        ),
        info::<LedgerConfig>(
            "ledger",
            ("记账", "Ledger"),
            (
                "把经过决定的收支记入社区公开账本，并写入可验证日志",
                "Book the decided income or spending in the community's open ledger and its verifiable log",
            ),
            false,
        ),
        info::<RegisterConfig>(
            "register",
            ("写台账", "Register"),
            (
                "按编号新建或更新应用台账中的一行：填写数值、累加数字、追加记录",
                "Make or change a row of one of the app's registers by its key: set values, add to numbers, append to lists",
            ),
            false,
        ),
        info::<PluginConfig>(
            "plugin",
            ("插件", "Plugin"),
            (
                "调用已上传的 WebAssembly 插件，把它的输出写入指定字段",
                "Call an uploaded WebAssembly plugin and write its output into the fields you map",
            ),
            false,
        ),
    ]
}

/// The ids of every block kind.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|b| b.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::BlockConfig;

    #[test]
    fn every_block_kind_in_the_model_is_in_the_catalog() {
        // serde's list of variants of the closed enum must match the catalog exactly.
        let err = serde_json::from_str::<BlockConfig>(r#"{"block":"nope","config":{}}"#).unwrap_err().to_string();
        for id in ids() {
            assert!(err.contains(&format!("`{id}`")), "{id} missing from BlockConfig: {err}");
        }
        assert_eq!(err.matches('`').count() / 2 - 1, ids().len(), "{err}");
    }
}
