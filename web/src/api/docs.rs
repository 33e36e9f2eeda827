//! `/api/docs`: the JSON API as a page people read — on a phone too — generated on the server
//! from the same OpenAPI document as `/api/v1/openapi.json` ([`crate::openapi::ApiDoc`]), so it
//! cannot say something the document does not. Each operation (method, path, summary,
//! parameters, request body, answers) under its tag, in the document's order. No CDN and no
//! script: one tera template and the site's stylesheet.
//!
//! The page's own words are zh-CN first with English (`?lang=en`); the operations' summaries
//! and descriptions are the document's, written in English in the handlers' annotations.

use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use baida_blocks::{Lang, Text};
use serde::Serialize;
use serde_json::{Value, json};

use crate::i18n::ReqLang;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/api/docs", get(page))
}

/// The tags' names in both languages and what they hold in Chinese (in English, the document's
/// description says it, or [`EN_ONLY_HERE`] where the document has none); a tag not listed
/// here shows its own name (a unit test keeps the list complete).
const TAGS: &[(&str, &str, &str, &str)] = &[
    ("apps", "应用", "Apps", "应用定义及其版本"),
    ("cases", "案件", "Cases", "提交与案件办理"),
    ("photos", "照片", "Photos", "照片上传"),
    ("figures", "统计", "Figures", "按应用、部门或类别统计一段时间的数字"),
    ("people", "人员与权限", "People", "登录、组织架构、账号与角色、接口令牌、安全事件"),
    ("ledger", "公开账本", "Ledger", "社区公开账本：账户与分录、签名的透明日志及其证明"),
    ("dictionary", "数据字典", "Dictionary", "数据字典：共享字段、代码表、分类与场景"),
    ("catalog", "应用目录", "Catalog", "区级应用目录：提交、审核、浏览、安装、升级"),
    ("plugins", "插件", "Plugins", "WebAssembly 插件：上传、版本、哪些应用在用"),
    ("registers", "台账", "Registers", "台账：比案件存续更久的数据行，变更历史，导入导出"),
    ("health", "健康检查", "Health", "服务是否在运行、是否可以接收请求"),
    ("designer", "设计器", "Designer", "设计器的草稿、发布、版本历史、预览与试运行"),
    ("dispatch", "派单", "Dispatch", "各部门负责的事项类别：自动派单依据的责任清单"),
    ("inbox", "站内消息", "Inbox", "发给单位的站内消息"),
];

/// English descriptions of the tags the document names only on operations.
const EN_ONLY_HERE: &[(&str, &str)] = &[
    ("designer", "The designer's drafts, publishing, version history, preview and test run"),
    ("dispatch", "Which department handles which category: the list automatic dispatch follows"),
    ("inbox", "In-app messages to a unit"),
];

#[derive(Debug, Serialize, PartialEq)]
pub struct TagView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub operations: Vec<OperationView>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct OperationView {
    /// `GET`, `POST`, …
    pub method: String,
    pub path: String,
    /// An HTML id for a link to this operation.
    pub anchor: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<ParameterView>,
    /// The request body's schema name (or type) and content types, when it takes one.
    pub body: Option<BodyView>,
    pub responses: Vec<ResponseView>,
    /// Needs a log-in (session or bearer token).
    pub secured: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ParameterView {
    pub name: String,
    /// `path`, `query`, `header`, `cookie`.
    pub location: String,
    pub required: bool,
    pub schema: String,
    pub description: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct BodyView {
    pub schema: String,
    pub content_types: Vec<String>,
    pub required: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub schema: String,
}

/// The document as JSON, made once per process.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(crate::openapi::document()).unwrap_or(Value::Null))
}

/// A schema's name: the last segment of a `$ref`, `[Item]` for an array of one, or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(items) = schema.get("items") {
        return format!("[{}]", schema_name(items));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let names: Vec<String> = options.iter().map(schema_name).filter(|n| !n.is_empty() && n != "null").collect();
            return names.join(" | ");
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) => {
            schema.get("format").and_then(Value::as_str).map(|f| format!("{t} ({f})")).unwrap_or_else(|| t.clone())
        }
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join(" | ")
        }
        _ => String::new(),
    }
}

/// The schema of the first content type of a body or an answer.
fn content_schema(content: Option<&Value>) -> String {
    content
        .and_then(Value::as_object)
        .and_then(|c| c.values().next())
        .and_then(|m| m.get("schema"))
        .map(schema_name)
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn operation(method: &str, path: &str, op: &Value) -> OperationView {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| ParameterView {
            name: text(p, "name"),
            location: text(p, "in"),
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            schema: p.get("schema").map(schema_name).unwrap_or_default(),
            description: text(p, "description"),
        })
        .collect();
    let body = op.get("requestBody").map(|b| BodyView {
        schema: content_schema(b.get("content")),
        content_types: b
            .get("content")
            .and_then(Value::as_object)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default(),
        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
    });
    let mut responses: Vec<ResponseView> = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, r)| ResponseView {
            status: status.clone(),
            description: text(r, "description"),
            schema: content_schema(r.get("content")),
        })
        .collect();
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    let anchor: String = format!("{method}-{path}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    OperationView {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        anchor,
        summary: text(op, "summary"),
        description: text(op, "description"),
        parameters,
        body,
        responses,
        secured: op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty()),
    }
}

/// Every operation of `doc` under its (first) tag: the tags in the document's order, then any
/// tag only an operation names, then the untagged operations under `other`.
pub fn tags(doc: &Value, lang: Lang) -> Vec<TagView> {
    let mut out: Vec<TagView> = Vec::new();
    let view = |id: &str, described: &str| {
        let known = TAGS.iter().find(|(t, ..)| *t == id);
        let name = match (known, lang) {
            (Some((_, zh, _, _)), Lang::ZhCn) => format!("{zh} {id}"),
            (Some((_, _, en, _)), _) => en.to_string(),
            (None, _) => id.to_string(),
        };
        let description = match (known, lang) {
            (Some((_, _, _, zh)), Lang::ZhCn) => zh.to_string(),
            _ if described.is_empty() => {
                EN_ONLY_HERE.iter().find(|(t, _)| *t == id).map(|(_, en)| en.to_string()).unwrap_or_default()
            }
            _ => described.to_string(),
        };
        TagView { id: id.to_string(), name, description, operations: Vec::new() }
    };
    for t in doc.get("tags").and_then(Value::as_array).into_iter().flatten() {
        out.push(view(&text(t, "name"), &text(t, "description")));
    }
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in ["get", "put", "post", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let tag = op.get("tags").and_then(|t| t.get(0)).and_then(Value::as_str).unwrap_or("other");
            let index = match out.iter().position(|t| t.id == tag) {
                Some(i) => i,
                None => {
                    out.push(view(tag, ""));
                    out.len() - 1
                }
            };
            out[index].operations.push(operation(method, path, op));
        }
    }
    out.retain(|t| !t.operations.is_empty());
    out
}

/// The page.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    uri: axum::http::Uri,
) -> Result<Html<String>, ApiError> {
    let doc = document();
    let tags = tags(doc, lang);
    let count: usize = tags.iter().map(|t| t.operations.len()).sum();
    let title = doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("Baida API");
    let version = doc.pointer("/info/version").and_then(Value::as_str).unwrap_or_default();
    let note = Text::new(
        format!("共 {count} 个接口。各接口的摘要和说明取自 OpenAPI 文档，为英文。"),
        format!("{count} operations. Their summaries and descriptions are the OpenAPI document's."),
    );
    let data = json!({"tags": tags, "title": title, "version": version, "note": note.get(lang)});
    state
        .pages
        .render("api_docs.html", lang, &uri.to_string(), &data)
        .map(Html)
        .map_err(|e| ApiError::internal(format!("rendering api_docs.html: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_document_is_on_the_page() {
        let doc = document();
        let mut in_doc = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            in_doc += ["get", "put", "post", "patch", "delete"].iter().filter(|m| item.get(**m).is_some()).count();
        }
        let tags = tags(doc, Lang::ZhCn);
        assert_eq!(tags.iter().map(|t| t.operations.len()).sum::<usize>(), in_doc);
        let submit = tags
            .iter()
            .flat_map(|t| &t.operations)
            .find(|o| o.method == "POST" && o.path == "/api/v1/apps/{app}/submissions")
            .expect("the submission operation");
        assert_eq!(submit.body.as_ref().map(|b| b.schema.as_str()), Some("SubmissionBody"));
        assert!(submit.parameters.iter().any(|p| p.name == "app" && p.location == "path" && p.required));
        assert!(submit.responses.iter().any(|r| r.status == "201"));
    }

    #[test]
    fn every_tag_has_a_chinese_name() {
        for t in tags(document(), Lang::ZhCn) {
            assert!(TAGS.iter().any(|(id, ..)| *id == t.id), "tag {} has no zh-CN name in api_docs::TAGS", t.id);
        }
    }

    #[test]
    fn schema_names_are_read() {
        assert_eq!(schema_name(&json!({"$ref": "#/components/schemas/CaseView"})), "CaseView");
        assert_eq!(schema_name(&json!({"type": "array", "items": {"$ref": "#/components/schemas/X"}})), "[X]");
        assert_eq!(schema_name(&json!({"type": ["string", "null"]})), "string");
        assert_eq!(schema_name(&json!({"type": "string", "format": "date"})), "string (date)");
    }
}
