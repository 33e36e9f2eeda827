//! The names of configuration properties in both languages, for the designer's property
//! panel. The panel is generated from each block's config JSON Schema and from the field
//! schema ([`crate::block`], [`field_type_schema`]); [`annotate`] adds `x-label` (and, where
//! the schema's own English description needs a Chinese companion, `x-help`) to every
//! property it knows. A property not listed here still gets a panel entry, labelled by its
//! name and its schema description: a new block kind needs no designer code.

use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use crate::field::{Field, FieldType};

/// (property, zh-CN label, en label, zh-CN help).
const LABELS: &[(&str, &str, &str, &str)] = &[
    (
        "who",
        "谁来办理",
        "Who",
        "可以处理这一步的人：public（任何人）、resident（登录居民）、reporter（报告人）或角色名",
    ),
    ("fields", "字段", "Fields", "这一步填写的记录字段"),
    ("submit_label", "提交按钮文字", "Submit button text", ""),
    ("intro", "表单说明", "Form intro", "显示在表单上方，告诉填写人要做什么"),
    ("rules", "派单规则", "Dispatch rules", "按顺序检查，第一条条件成立的规则决定接收单位"),
    ("when", "条件", "Condition", "rhai 表达式，例如 record.kind == \"fire-lane\""),
    ("to", "接收方", "Receiver", "部门（dept:xxx）、角色（role:xxx）、权责清单（list:responsibility）或记录字段"),
    ("otherwise", "其余情况派给", "Otherwise", "没有规则匹配时的接收方"),
    ("sla", "办理时限", "Time limit (SLA)", ""),
    ("due", "期限", "Due in", "例如 30m、24h、3d、5wd（工作日）"),
    ("calendar", "计时方式", "Calendar", "natural：自然时间；working：工作时间（跳过周末和节假日）"),
    ("ladder", "升级提醒", "Escalation ladder", "例如 remind@80%、urge@100%、supervise@+2h"),
    ("levels", "审核级数", "Review levels", "逐级审核的层级数（1–3）"),
    ("quorum", "法定人数比例", "Quorum", "必须参加投票的比例，0–1"),
    ("pass", "通过比例", "Pass share", "赞成票占投票数的比例，0–1（默认过半）"),
    ("duration", "投票时长", "Vote duration", "例如 7d"),
    ("electorate", "有投票权人数", "Electorate", "一个数字，或保存人数的记录字段（record.xxx）"),
    ("result", "结果写入字段", "Result field", "投票结果（passed / failed / no_quorum）写入的字段"),
    ("account", "账户", "Account", ""),
    ("direction", "收支方向", "Direction", "income：收入；expense：支出"),
    ("amount", "金额字段", "Amount field", "保存金额（元，最多两位小数）的记录字段"),
    ("counterparty", "对方字段", "Counterparty field", ""),
    ("purpose", "用途字段", "Purpose field", ""),
    ("evidence", "凭证照片字段", "Evidence field", ""),
    ("approved_if", "批准条件", "Approved if", "rhai 表达式，成立时才记账"),
    ("channel", "渠道", "Channel", "inbox：站内信；email：邮件；sms：短信；webhook：推送"),
    ("template", "消息模板", "Template", ""),
    ("url", "推送地址", "URL", ""),
    ("after", "等待时长", "Wait for", "例如 30m、24h、3d、5wd（工作日）"),
    ("run", "脚本", "Script", "rhai 脚本，返回的 map 合并进记录"),
    ("plugin", "插件", "Plugin", "name@version 或 sha256:…"),
    ("input", "输入映射", "Input mapping", "插件输入键 → 记录字段"),
    ("params", "固定参数", "Parameters", ""),
    ("output", "输出映射", "Output mapping", "插件输出键 → 记录字段"),
    ("timeout_ms", "超时（毫秒）", "Timeout (ms)", ""),
    ("grants", "授予能力", "Grants", ""),
    ("register", "台账", "Register", "应用中定义的台账标识"),
    (
        "action",
        "写法",
        "Action",
        "create：新建（编号已有则拒绝）；update：更新（没有这一行则拒绝）；upsert：有则更新，无则新建",
    ),
    ("row", "哪一行", "Row", "给出这一行编号的 rhai 表达式，例如 record.volunteer_phone"),
    ("set", "填写", "Set", "台账字段 → rhai 表达式：写入的值"),
    ("add", "累加", "Add", "台账数字字段 → rhai 表达式：加上的数，例如服务时长"),
    ("append", "追加", "Append", "台账多选、重复组或照片字段 → rhai 表达式：追加的一项"),
    ("key", "字段键", "Key", "保存答案用的名字：小写字母、数字和下划线"),
    ("type", "类型", "Type", ""),
    ("dict", "数据字典字段", "Dictionary field", "引用标准字段，自动带出名称、格式和校验"),
    ("sensitivity", "敏感级别", "Sensitivity", "public、internal、personal 或 sensitive"),
    ("label", "标题", "Label", ""),
    ("help", "帮助说明", "Help", "显示在输入框下方"),
    ("placeholder", "占位提示", "Placeholder", ""),
    ("required", "必填", "Required", ""),
    ("required_if", "何时必填", "Required if", "rhai 表达式，成立时必填"),
    ("visible_if", "何时显示", "Visible if", "rhai 表达式，成立时才显示"),
    ("compute", "计算公式", "Computed as", "rhai 表达式，由系统计算，填写人不能修改"),
    ("default", "默认值", "Default", ""),
    ("min", "最小值 / 最少项数", "Minimum", ""),
    ("max", "最大值 / 最多项数", "Maximum", ""),
    ("min_length", "最少字数", "Min length", ""),
    ("max_length", "最多字数", "Max length", ""),
    ("pattern", "格式（正则）", "Pattern", ""),
    ("pattern_message", "格式不符时的提示", "Pattern message", ""),
    ("options", "选项", "Options", ""),
    ("options_dict", "字典选项表", "Options from dictionary", "例如 complaint.category"),
    ("depends_on", "级联上级字段", "Depends on", ""),
    ("unit", "单位", "Unit", "例如 元、m²"),
    ("keep_location", "保留照片位置", "Keep photo location", ""),
    ("id", "标识", "Id", "在应用内唯一：小写字母、数字、下划线或连字符"),
    ("name", "名称", "Name", ""),
    ("description", "说明", "Description", ""),
    (
        "text",
        "正文",
        "Text",
        "可用变量：{{record.字段}}、{{case.number}}、{{app.name}}、{{step.name}}、{{due}}、{{today}}",
    ),
    ("sms", "短信文本", "SMS text", "短信每条 70 字，超出后每条 67 字；短信不能引用居民自由填写的内容"),
    ("subject", "标题", "Subject", "邮件和站内信的标题"),
    ("every", "周期", "Every", "day：每天；week：每周；month：每月"),
    (
        "on",
        "哪一天",
        "On",
        "每周：mon…sun；每月：1–28、first_working_day（第一个工作日）、last_working_day（最后一个工作日）；每天：不填或 working（仅工作日）",
    ),
    ("at", "时间", "At", "时:分，例如 09:00"),
    ("for_each", "逐行生成", "For each row", "为台账中每一行符合条件的记录各生成一件案件"),
    ("where", "条件", "Where", "rhai 表达式，用 row.字段 读取台账行，例如 row.lives_alone == true"),
    ("record", "填写内容", "Answers", "记录字段 → rhai 表达式（可用 row 和 today）"),
    ("catch_up", "停机补跑", "Catch up", "once：停机错过后补跑一次；skip：不补跑"),
    ("confirm_over", "超过多少件需确认", "Confirm over", "一次生成的案件超过这个数时，等待人工确认（默认 1000）"),
    ("access", "权限", "Access", "各项操作允许的角色；不填则用默认"),
    ("filter", "可选范围", "Filter", "rhai 条件，用 row.字段 读取台账行，例如 row.free == true；只列出本社区的行"),
    ("show", "显示列", "Show", "选择时显示、并随案件保存的台账字段"),
    ("read", "可查看", "Read", "可以查看台账行的角色"),
    ("create", "可新增", "Create", "可以在台账页面新增行的角色"),
    ("update", "可修改", "Update", "可以修改、删除行的角色"),
    ("import", "可导入", "Import", "可以从表格导入的角色"),
    ("export", "可导出", "Export", "可以导出的角色"),
];

/// Properties that hold rhai code: the panel edits them in the expression editor, which shows
/// the runtime's errors at their line and column.
const EXPRESSIONS: &[&str] =
    &["when", "visible_if", "required_if", "compute", "approved_if", "run", "row", "where", "filter"];

/// The labels of a property, if it is a known one.
pub fn label(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    LABELS.iter().find(|(n, ..)| *n == name).map(|(_, zh, en, help)| (*zh, *en, *help))
}

/// Adds `x-label` (`{"zh-CN", "en"}`), `x-help` and, for rhai code, `x-expression` to every
/// known property, at every depth.
pub fn annotate(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, sub) in props.iter_mut() {
                    if let (Some((zh, en, help)), Value::Object(sub)) = (label(name), &mut *sub) {
                        sub.insert("x-label".into(), json!({"zh-CN": zh, "en": en}));
                        let en_help = sub.get("description").cloned().unwrap_or(Value::String(String::new()));
                        if !help.is_empty() {
                            sub.insert("x-help".into(), json!({"zh-CN": help, "en": en_help}));
                        }
                        if EXPRESSIONS.contains(&name.as_str()) {
                            sub.insert("x-expression".into(), Value::Bool(true));
                        }
                    }
                }
            }
            for v in map.values_mut() {
                annotate(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(annotate),
        _ => {}
    }
}

/// The schemas of the parts of an app the designer's settings panel edits besides its name and
/// access: its messages, its registers and a schedule (`/designer/app-parts.json`), annotated
/// like the blocks'.
pub fn app_parts() -> Value {
    fn schema<T: schemars::JsonSchema>() -> Value {
        let mut v = SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<T>().to_value();
        annotate(&mut v);
        v
    }
    let mut register = schema::<crate::register::Register>();
    // A register's `key` names the field that identifies a row, not a field's own key.
    register["properties"]["key"]["x-label"] = json!({"zh-CN": "编号字段", "en": "Key field"});
    register["properties"]["key"]["x-help"] = json!({"zh-CN": "哪个字段的值在一个社区内标识一行，例如车位号、手机号", "en": "The field whose value identifies a row in a community, e.g. the space number or phone"});
    json!({
        "messages": schema::<crate::message::MessageDef>(),
        "registers": register,
        "schedule": schema::<crate::trigger::Schedule>(),
    })
}

/// The properties a field of this type can have, beyond those every field has.
fn applies(ty: FieldType, property: &str) -> bool {
    match property {
        "min_length" | "max_length" | "pattern" | "pattern_message" | "placeholder" => ty.is_textual(),
        "options" | "options_dict" | "depends_on" => ty.has_options(),
        "min" | "max" => matches!(
            ty,
            FieldType::Number
                | FieldType::Integer
                | FieldType::Slider
                | FieldType::Date
                | FieldType::Datetime
                | FieldType::Rating
                | FieldType::Multiselect
                | FieldType::Photo
                | FieldType::Group
        ),
        "unit" => matches!(ty, FieldType::Number | FieldType::Integer | FieldType::Slider),
        "keep_location" => ty == FieldType::Photo,
        "fields" => ty == FieldType::Group,
        "register" | "filter" | "show" => ty == FieldType::Relation,
        "required" | "required_if" | "default" | "compute" | "sensitivity" | "dict" => ty.holds_value(),
        _ => true,
    }
}

/// The JSON Schema of a field of type `ty`: the field schema with only the properties that
/// type can have, annotated for the property panel.
pub fn field_type_schema(ty: FieldType) -> Value {
    let generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let mut schema = generator.into_root_schema_for::<Field>().to_value();
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        let kept: Map<String, Value> =
            std::mem::take(props).into_iter().filter(|(name, _)| applies(ty, name)).collect();
        *props = kept;
    }
    annotate(&mut schema);
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_property_has_a_chinese_label() {
        for block in crate::block::all() {
            let props = block.config_schema["properties"].as_object().cloned().unwrap_or_default();
            for (name, p) in props {
                assert!(p.get("x-label").is_some(), "{}.{name} has no label", block.id);
            }
        }
    }

    #[test]
    fn a_field_type_offers_only_what_applies() {
        let photo = field_type_schema(FieldType::Photo);
        let props = photo["properties"].as_object().unwrap();
        assert!(props.contains_key("max") && props.contains_key("keep_location"));
        assert!(!props.contains_key("options") && !props.contains_key("pattern"));
        let select = field_type_schema(FieldType::Select);
        assert!(select["properties"]["options"]["x-label"]["zh-CN"] == "选项");
        for ty in FieldType::ALL {
            for (name, p) in field_type_schema(ty)["properties"].as_object().unwrap() {
                assert!(p.get("x-label").is_some(), "{}.{name} has no label", ty.id());
            }
        }
    }
}
