//! The data dictionary, open to anyone: `GET /api/v1/dictionary` (fields with their type,
//! format, validation, labels, help and sensitivity; code lists; categories and scenarios),
//! filtered by category, scenario or words, and the page `/dictionary` that browses it.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::{DictField, Dictionary, FieldType, Limit, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::i18n::ReqLang;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dictionary)).route("/dictionary", get(page))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DictionaryQuery {
    /// Only this category, e.g. `vehicle`.
    pub category: Option<String>,
    /// Only fields used in this scenario, e.g. `move-car`.
    pub scenario: Option<String>,
    /// Words in the key, labels or help.
    pub q: Option<String>,
}

/// A dictionary field as the catalog of shared data shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    /// `category.name`: what an app writes in `dict`.
    pub key: String,
    pub category: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// What a valid value looks like, `{"zh-CN": …, "en": …}`.
    #[schema(value_type = Object)]
    pub format: Text,
    /// The checks a value must pass, `{"zh-CN": …, "en": …}`.
    #[schema(value_type = Object)]
    pub validation: Text,
    #[schema(value_type = Object)]
    pub label: Option<Text>,
    #[schema(value_type = Object)]
    pub help: Option<Text>,
    /// `public`, `internal`, `personal` or `sensitive`.
    pub sensitivity: String,
    /// Whose profile remembers its values between apps: `resident` or `household`; absent
    /// for what a case is about, which no profile keeps.
    pub profile: Option<String>,
    pub scenarios: Vec<String>,
    /// The code list of a select field.
    pub options_dict: Option<String>,
}

/// The dictionary, or the part asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct DictionaryView {
    pub version: String,
    /// `[{"id": …, "name": {…}}]`.
    #[schema(value_type = Vec<Object>)]
    pub categories: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub scenarios: Vec<baida_blocks::Scenario>,
    pub fields: Vec<FieldView>,
    /// Code lists used by the fields listed, by key.
    #[schema(value_type = Object)]
    pub code_lists: std::collections::BTreeMap<String, Vec<baida_blocks::Choice>>,
}

fn limit(l: &Option<Limit>) -> Option<String> {
    l.as_ref().map(|l| match l {
        Limit::Number(n) => n.to_string(),
        Limit::Text(t) => t.clone(),
    })
}

/// What a valid value of the field looks like, from its type.
fn format(f: &DictField) -> Text {
    let (zh, en) = match f.field.ty.unwrap_or(FieldType::Text) {
        FieldType::Phone => ("11 位中国大陆手机号码，1 开头", "11-digit mainland mobile number starting with 1"),
        FieldType::IdNumber => (
            "18 位居民身份证号码，末位可为 X（校验 GB 11643）",
            "18-character resident ID, may end in X (GB 11643 checksum)",
        ),
        FieldType::Email => ("电子邮箱地址", "An e-mail address"),
        FieldType::Date => ("日期 YYYY-MM-DD", "Date, YYYY-MM-DD"),
        FieldType::Datetime => ("日期时间 YYYY-MM-DDTHH:MM", "Date and time, YYYY-MM-DDTHH:MM"),
        FieldType::Time => ("时间 HH:MM（24 小时制）", "Time, HH:MM (24-hour)"),
        FieldType::Slider => ("滑块选出的整数", "A whole number picked on a slider"),
        FieldType::Number => ("数字，可带小数", "A number, decimals allowed"),
        FieldType::Integer => ("整数", "A whole number"),
        FieldType::Select => ("代码表中的一个值", "One value of the code list"),
        FieldType::Multiselect => ("代码表中的若干值", "Values of the code list"),
        FieldType::YesNo => ("是 / 否", "Yes / no"),
        FieldType::Rating => ("1 到最高星级的整数", "A whole number of stars"),
        FieldType::Photo => ("JPEG、PNG 或 WebP 照片", "JPEG, PNG or WebP photos"),
        FieldType::Location => ("WGS-84 经纬度和地址", "WGS-84 point and an address"),
        FieldType::Textarea => ("多行文本", "Several lines of text"),
        FieldType::Group => ("重复组", "Repeat group"),
        FieldType::Section => ("说明，不存值", "A note; holds no value"),
        FieldType::Relation => ("台账中的一行", "A row of a register"),
        FieldType::Text => ("单行文本", "One line of text"),
    };
    Text::new(zh, en)
}

/// The field's checks in words.
fn validation(f: &DictField) -> Text {
    let x = &f.field;
    let (mut zh, mut en) = (Vec::new(), Vec::new());
    if let (Some(a), Some(b)) = (x.min_length, x.max_length) {
        zh.push(format!("{a}–{b} 个字"));
        en.push(format!("{a}–{b} characters"));
    } else if let Some(b) = x.max_length {
        zh.push(format!("最多 {b} 个字"));
        en.push(format!("at most {b} characters"));
    }
    let counts = f.field.ty.is_some_and(FieldType::counts_items);
    if let Some(a) = limit(&x.min) {
        zh.push(if counts { format!("至少 {a} 项") } else { format!("不小于 {a}") });
        en.push(if counts { format!("at least {a} items") } else { format!("at least {a}") });
    }
    if let Some(b) = limit(&x.max) {
        zh.push(if counts { format!("最多 {b} 项") } else { format!("不大于 {b}") });
        en.push(if counts { format!("at most {b} items") } else { format!("at most {b}") });
    }
    if let Some(m) = &x.pattern_message {
        zh.push(m.zh().to_string());
        en.push(m.en().to_string());
    } else if x.pattern.is_some() {
        zh.push("须符合格式规则".into());
        en.push("must match a pattern".into());
    }
    if zh.is_empty() {
        return Text::new("按类型校验", "Checked by type");
    }
    Text::new(zh.join("；"), en.join("; "))
}

fn sensitivity(s: baida_blocks::Sensitivity) -> &'static str {
    use baida_blocks::Sensitivity as S;
    match s {
        S::Public => "public",
        S::Internal => "internal",
        S::Personal => "personal",
        S::Sensitive => "sensitive",
    }
}

fn view(dict: &Dictionary, q: &DictionaryQuery) -> DictionaryView {
    let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let (category, scenario, words) = (given(&q.category), given(&q.scenario), given(&q.q));
    let mut fields = Vec::new();
    let mut code_lists = std::collections::BTreeMap::new();
    for (key, f) in &dict.fields {
        let cat = key.split('.').next().unwrap_or_default();
        let text = format!(
            "{key} {} {}",
            f.field.label.as_ref().map_or(String::new(), |l| format!("{} {}", l.zh(), l.en())),
            f.field.help.as_ref().map_or(String::new(), |l| format!("{} {}", l.zh(), l.en()))
        )
        .to_lowercase();
        if category.as_ref().is_some_and(|c| c != cat)
            || scenario.as_ref().is_some_and(|s| !f.scenarios.contains(s))
            || words.as_ref().is_some_and(|w| !text.contains(w))
        {
            continue;
        }
        if let Some(list) = f.field.options_dict.as_ref().and_then(|k| dict.code_list(k).map(|l| (k, l))) {
            code_lists.insert(list.0.clone(), list.1.to_vec());
        }
        fields.push(FieldView {
            key: key.clone(),
            category: cat.to_string(),
            ty: f.field.ty.map_or("text", FieldType::id).to_string(),
            format: format(f),
            validation: validation(f),
            label: f.field.label.clone(),
            help: f.field.help.clone(),
            sensitivity: sensitivity(f.sensitivity).to_string(),
            profile: f.profile.map(|p| {
                match p {
                    baida_blocks::ProfileScope::Resident => "resident",
                    baida_blocks::ProfileScope::Household => "household",
                }
                .to_string()
            }),
            scenarios: f.scenarios.clone(),
            options_dict: f.field.options_dict.clone(),
        });
    }
    DictionaryView {
        version: dict.version.clone(),
        categories: dict.categories.iter().map(|(id, name)| serde_json::json!({"id": id, "name": name})).collect(),
        scenarios: dict.scenarios.clone(),
        fields,
        code_lists,
    }
}

/// The data dictionary: shared field definitions that forms reference with `dict`.
#[utoipa::path(get, path = "/api/v1/dictionary", tag = "dictionary", params(DictionaryQuery),
    responses((status = 200, body = DictionaryView)))]
pub async fn dictionary(State(state): State<AppState>, Query(q): Query<DictionaryQuery>) -> Json<DictionaryView> {
    Json(view(state.apps.dictionary(), &q))
}

#[derive(Serialize)]
struct PageRow {
    key: String,
    ty: String,
    label: String,
    help: String,
    format: String,
    validation: String,
    sensitivity: String,
    /// The level's id, for the badge's class.
    level: String,
    /// Whose profile keeps it, in words; empty when none does.
    profile: String,
    scenarios: Vec<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Page {
    version: String,
    categories: Vec<Choice>,
    scenarios: Vec<Choice>,
    q: String,
    rows: Vec<PageRow>,
    json_href: String,
}

/// `/dictionary`: the fields in a table, filtered by category, scenario and words.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Query(q): Query<DictionaryQuery>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let dict = state.apps.dictionary();
    let v = view(dict, &q);
    let pick = |v: &Option<String>, id: &str| v.as_deref() == Some(id);
    let scenario_name =
        |id: &str| dict.scenarios.iter().find(|s| s.id == id).map_or(id.to_string(), |s| s.name.get(lang).to_string());
    let data = Page {
        version: v.version.clone(),
        categories: dict
            .categories
            .iter()
            .map(|(id, name)| Choice {
                value: id.clone(),
                label: name.get(lang).into(),
                selected: pick(&q.category, id),
            })
            .collect(),
        scenarios: dict
            .scenarios
            .iter()
            .map(|s| Choice { value: s.id.clone(), label: s.name.get(lang).into(), selected: pick(&q.scenario, &s.id) })
            .collect(),
        q: q.q.clone().unwrap_or_default(),
        json_href: format!("/api/v1/dictionary{}", uri.query().map_or(String::new(), |q| format!("?{q}"))),
        rows: v
            .fields
            .into_iter()
            .map(|f| PageRow {
                label: f.label.as_ref().map_or(f.key.clone(), |l| l.get(lang).into()),
                help: f.help.as_ref().map_or(String::new(), |l| l.get(lang).into()),
                format: f.format.get(lang).into(),
                validation: f.validation.get(lang).into(),
                sensitivity: crate::i18n::word(lang, &format!("sens_{}", f.sensitivity)),
                level: f.sensitivity.clone(),
                profile: f
                    .profile
                    .as_ref()
                    .map_or(String::new(), |p| crate::i18n::word(lang, &format!("dict_profile_{p}"))),
                scenarios: f.scenarios.iter().map(|s| scenario_name(s)).collect(),
                key: f.key,
                ty: f.ty,
            })
            .collect(),
    };
    let html = state
        .pages
        .render("dictionary.html", lang, &uri.to_string(), &data)
        .map_err(|e| ApiError::internal(format!("rendering dictionary.html: {e:?}")))?;
    Ok(([(header::CONTENT_LANGUAGE, lang.tag())], Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_says_its_format_and_checks_in_both_languages() {
        let dict = baida_catalog::dictionary();
        let v = view(&dict, &DictionaryQuery::default());
        assert_eq!(v.fields.len(), dict.fields.len());
        let plate = v.fields.iter().find(|f| f.key == "vehicle.plate_number").unwrap();
        assert!(plate.validation.zh().contains("7–8 个字") && plate.validation.en().contains("粤B12345"));
        assert_eq!(plate.sensitivity, "personal");
        let only = view(&dict, &DictionaryQuery { scenario: Some("move-car".into()), ..Default::default() });
        assert!(only.fields.iter().all(|f| f.scenarios.iter().any(|s| s == "move-car")));
        assert!(only.fields.len() >= 3 && only.fields.len() < v.fields.len());
    }
}
