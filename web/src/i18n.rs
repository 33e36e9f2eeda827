//! Languages: which one a request wants, and the words of the pages in each.
//!
//! Order of precedence: `?lang=`, then the `baida_lang` cookie, then `Accept-Language`,
//! then zh-CN.

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use baida_blocks::Lang;

/// The cookie that keeps a language chosen with `?lang=`.
pub const COOKIE: &str = "baida_lang";

/// How long the choice is kept: a year.
pub const COOKIE_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The language of the request.
pub fn request_lang(uri_query: Option<&str>, headers: &HeaderMap) -> Lang {
    let from_header = || headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::negotiate);
    query_lang(uri_query).or_else(|| cookie_lang(headers)).or_else(from_header).unwrap_or_default()
}

/// The language `?lang=` asks for. The last `lang=` wins, so a link that adds one to an address
/// that had one works.
pub fn query_lang(uri_query: Option<&str>) -> Option<Lang> {
    uri_query.and_then(|q| q.split('&').filter_map(|kv| kv.strip_prefix("lang=")).next_back()).and_then(Lang::from_tag)
}

/// The language the `baida_lang` cookie keeps.
pub fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("baida_lang="))
        .and_then(Lang::from_tag)
}

/// The `Set-Cookie` value that keeps `lang` for a year on every page.
pub fn lang_cookie(lang: Lang) -> String {
    format!("{COOKIE}={}; Path=/; SameSite=Lax; Max-Age={COOKIE_SECONDS}", lang.tag())
}

/// Middleware: a page asked for with `?lang=` keeps that language in the `baida_lang` cookie,
/// so the next page (a link without `?lang=`, a redirect, a bookmark) stays in it. Only a `GET`
/// of an HTML page outside the JSON API (`/api/v1/`) sets it — an API client's `?lang=`, or the designer's
/// preview of a form in the other language, is about that one answer — and only when the
/// cookie does not already say so.
pub async fn remember(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let page = request.method() == axum::http::Method::GET && !request.uri().path().starts_with("/api/v1/");
    let chosen = query_lang(request.uri().query()).filter(|_| page);
    let kept = cookie_lang(request.headers());
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if let Some(lang) = chosen
        && kept != Some(lang)
        && html
        && let Ok(value) = header::HeaderValue::from_str(&lang_cookie(lang))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Extracts the request's language.
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(request_lang(parts.uri.query(), &parts.headers)))
    }
}

mod catalog;
mod ledger;
mod registers;
mod staff;

/// Every word: the general ones here, the open ledger's (books, proposals, homes, the owners'
/// register) in [`ledger`], the district catalog's in [`catalog`], the staff pages' (workbench,
/// admin, figures) in [`staff`].
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    WORDS.iter().chain(ledger::WORDS).chain(catalog::WORDS).chain(staff::WORDS).chain(registers::WORDS)
}

/// The words of the pages: (key, zh-CN, en).
const WORDS: &[(&str, &str, &str)] = &[
    ("site_name", "百搭", "Baida"),
    ("tagline", "社区治理低代码平台", "Low-code forms and workflows for communities"),
    ("switch_lang", "English", "中文"),
    ("required", "必填", "required"),
    ("optional", "选填", "optional"),
    ("submit", "提交", "Submit"),
    ("errors_title", "提交未成功，请修改以下问题：", "The form was not sent. Please fix these problems:"),
    ("choose", "请选择", "Choose…"),
    ("search_rows", "输入文字筛选", "Type to narrow"),
    ("choose_parent_first", "请先选择上一级", "Choose the level above first"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("longitude", "经度", "Longitude"),
    ("latitude", "纬度", "Latitude"),
    ("address", "地址", "Address"),
    ("locate_me", "使用当前位置", "Use my location"),
    ("photo_hint", "可拍照或从相册选择", "Take a photo or choose one"),
    ("photos_kept", "已上传的照片", "Photos uploaded"),
    ("remove", "删除", "Remove"),
    ("add_item", "添加一项", "Add an item"),
    ("item", "第 {n} 项", "Item {n}"),
    ("computed", "自动计算", "calculated"),
    ("stars", "星", "stars"),
    ("apps", "办事服务", "Services"),
    ("communities", "社区", "Communities"),
    ("open_form", "填写", "Open"),
    ("case_number", "案件编号", "Case number"),
    ("submitted_ok", "提交成功", "Submitted"),
    (
        "keep_number",
        "请记下案件编号，并收藏下面的链接：凭链接可随时查看办理进度。",
        "Note the case number and bookmark the link below: it shows the progress at any time.",
    ),
    ("track_link", "本案件的进度页（请收藏）", "This case's progress page (bookmark it)"),
    ("status", "状态", "Status"),
    ("current_step", "当前环节", "Current step"),
    ("timeline", "办理经过", "Timeline"),
    ("submitted_at", "提交时间", "Submitted"),
    ("not_found", "找不到页面", "Page not found"),
    ("not_found_detail", "链接可能有误，或者内容已不存在。", "The link may be wrong, or what it pointed to is gone."),
    ("too_many", "提交过于频繁", "Too many submissions"),
    (
        "too_many_submissions",
        "这个网络提交得太频繁了，请过一会儿再试；登录后提交不受此限制。您填写的内容没有保存。",
        "Too many submissions came from this network; try again in a while, or log in first. What you entered was not saved.",
    ),
    ("back_home", "返回首页", "Back to the start"),
    ("status_open", "办理中", "In progress"),
    ("status_closed", "已办结", "Closed"),
    ("event_case.submitted", "您的诉求已提交", "Your request was submitted"),
    ("event_step.entered", "转到", "Moved on to"),
    ("event_case.dispatched", "已派给承办单位", "Sent to the unit in charge"),
    ("event_dispatch.unmatched", "等待人工派单", "Waiting to be dispatched by hand"),
    ("event_step.completed", "完成环节", "Step completed"),
    ("event_case.returned", "退回重办", "Sent back"),
    ("event_case.redispatched", "改派给其他单位", "Sent to another unit"),
    ("event_case.suspended", "暂停办理", "Paused"),
    ("event_case.resumed", "恢复办理", "Resumed"),
    ("event_case.closed", "已办结", "Closed"),
    ("event_case.reopened", "重新办理", "Reopened"),
    ("event_review.level_approved", "一级审核通过", "Approved at one level"),
    ("event_sla.remind", "临近时限，已发提醒函", "Deadline near: reminder sent"),
    ("event_sla.urge", "已到时限，已发催办函", "Deadline reached: urging letter sent"),
    ("event_sla.overdue", "已超时", "Overdue"),
    ("event_sla.supervise", "超时未办，已发督办函", "Overdue: supervision letter sent to the level above"),
    ("event_notify.queued", "已发送通知", "Notification sent"),
    ("event_webhook.queued", "已推送给外部系统", "Sent to an outside system"),
    ("event_script.ran", "系统自动处理", "Processed automatically"),
    ("event_timer.fired", "等待结束", "Waiting time over"),
    ("event_plugin.ran", "系统自动处理", "Processed automatically"),
    (
        "event_plugin.failed",
        "自动处理未成功，等待工作人员重试",
        "Automatic processing did not succeed; waiting for staff to retry",
    ),
    ("event_step.retried", "重试自动处理", "Automatic processing retried"),
    ("event_comment.added", "评论", "Comment"),
    ("event_vote.opened", "投票开始", "Vote opened"),
    ("event_vote.cast", "有人投票", "A ballot was cast"),
    ("event_vote.closed", "投票结束", "Vote closed"),
    ("event_ledger.booked", "记入公开账本", "Booked in the open ledger"),
    ("event_register.written", "写入台账", "Written to a register"),
    ("status_suspended", "暂停中", "Paused"),
    ("photo_keep", "已上传，提交时一并发送", "Uploaded; sent with the form"),
    ("photo_drop", "删除这张", "Remove this one"),
    ("coordinates", "经纬度（可选）", "Coordinates (optional)"),
    ("locate_failed", "无法获取位置，请手动填写地址", "Could not get your position; please type the address"),
    ("service", "事项", "Service"),
    ("designer", "应用设计器", "App designer"),
    ("api", "接口文档", "API"),
    ("api_title", "接口文档", "API reference"),
    (
        "api_intro",
        "百搭的 JSON 接口：每个接口的方法、路径、参数、请求体和应答，按类别排列。出错时返回 application/problem+json，含稳定的 code 和出错字段的 JSON 指针。",
        "Baida's JSON API: each operation's method, path, parameters, request body and answers, by category. Errors come back as application/problem+json with a stable code and the JSON pointer of each bad field.",
    ),
    ("api_json_doc", "OpenAPI 文档（JSON）", "The OpenAPI document (JSON)"),
    ("api_contents", "目录", "Contents"),
    ("api_params", "参数", "Parameters"),
    ("api_body", "请求体", "Request body"),
    ("api_responses", "应答", "Responses"),
    ("api_login", "需登录", "Log-in needed"),
    ("api_in_path", "路径", "path"),
    ("api_in_query", "查询", "query"),
    ("api_in_header", "请求头", "header"),
    ("forbidden", "无权查看", "Not allowed"),
    ("forbidden_detail", "你的角色没有查看这个页面的权限。", "Your roles do not allow you to see this page."),
    ("login_title", "工作人员登录", "Staff log-in"),
    (
        "login_intro",
        "网格员、社区和街道管理员、部门办理人请用用户名或手机号登录。",
        "Grid workers, community and street admins and department handlers: log in with your username or mobile number.",
    ),
    ("login_name", "用户名或手机号", "Username or mobile number"),
    ("login_password", "密码", "Password"),
    ("login_submit", "登录", "Log in"),
    ("login_resident_hint", "居民查看自己的诉求：", "Residents following their own requests:"),
    ("login_resident_link", "用手机验证码登录", "log in with a code sent to your phone"),
    ("logout", "退出登录", "Log out"),
    ("kind_district", "区", "District"),
    ("kind_street", "街道", "Street"),
    ("kind_community", "社区", "Community"),
    ("kind_grid", "网格", "Grid"),
    ("kind_department", "职能部门", "Department"),
    ("my_login_title", "居民登录", "Resident log-in"),
    (
        "my_login_intro",
        "输入手机号，我们会发送 6 位验证码。登录后可以查看您提交过的全部诉求。",
        "Enter your mobile number and we send you a 6-digit code. Once logged in you see every request you have filed.",
    ),
    ("my_phone", "手机号", "Mobile number"),
    ("my_send_code", "获取验证码", "Send me a code"),
    ("my_code", "验证码", "Code"),
    ("my_code_sent", "验证码已发送至", "We sent a code to"),
    ("my_code_again", "没收到？重新获取", "Nothing came? Ask again"),
    ("my_title", "我的诉求", "My requests"),
    ("my_none", "您还没有提交过诉求。", "You have not filed any requests yet."),
    (
        "profile_note",
        "以下信息来自您的个人档案，如有不对可直接修改：",
        "From your profile (change anything that is wrong): ",
    ),
    ("profile_note_household", "来自您家庭的共享档案：", "From your household's shared profile: "),
    (
        "assist_note",
        "以下信息来自居民 {phone} 的档案（本人已授权共享，这次读取会记入其档案记录）：",
        "From the profile of the resident {phone} (shared with their consent; this read is recorded for them): ",
    ),
    ("assist_note_household", "来自其家庭的共享档案：", "From their household's shared profile: "),
    ("assist_label", "代居民填写：居民手机号", "Filling in for a resident: their mobile number"),
    ("assist_placeholder", "在本社区登记过住址的手机号", "The number of a home registered in this community"),
    ("assist_find", "查找居民档案", "Find their profile"),
    (
        "assist_not_found",
        "本社区没有用这个手机号登记住址的居民。可以直接填写，案件不会关联到居民。",
        "No resident registered a home in this community with this number. You may fill in the form; the case will not be linked to a resident.",
    ),
    (
        "assist_not_allowed",
        "已找到居民，但其未允许工作人员代填时读取档案，请当面询问后填写。提交后案件会出现在居民的“我的诉求”里。",
        "Resident found, but they have not let staff read their profile when filling in for them: ask them. The case will appear in their requests once submitted.",
    ),
    (
        "assist_nothing_shared",
        "已找到居民，但其档案没有可共享的内容（未授权或尚未填写过）。提交后案件会出现在居民的“我的诉求”里。",
        "Resident found, but their profile shares nothing (no consent, or nothing entered yet). The case will appear in their requests once submitted.",
    ),
    (
        "assist_correct",
        "请向居民核对后提交；修改的内容在其授权范围内更新到其档案，案件会出现在居民的“我的诉求”里。",
        "Check with the resident before submitting: what you change updates their profile within their consent, and the case appears in their requests.",
    ),
    ("preview", "预览", "Preview"),
    (
        "preview_note",
        "预览：居民在手机上看到的就是这个表单。预览中不能提交。",
        "Preview: this is the form residents see on their phones. It cannot be submitted here.",
    ),
    ("profile_correct", "修改后提交，档案会一并更新。", "What you change is saved to your profile when you submit."),
    ("profile_manage", "管理共享授权和读取记录", "Manage sharing and see every read"),
    ("profile_title", "我的共享档案", "My shared profile"),
    (
        "profile_intro",
        "您在一个应用里填过的姓名、电话等信息，经您授权后可以自动填入其他应用，免得重复填写。每次读取都有记录。",
        "With your consent, what you entered in one app (name, phone…) fills the same questions in other apps, so you need not type it again. Every read is recorded.",
    ),
    ("profile_consent", "共享授权", "Sharing"),
    ("profile_level_none", "不共享（已存的信息会删除）", "Do not share (what is stored is deleted)"),
    ("profile_level_personal", "共享一般个人信息（姓名、电话、地址等）", "Share personal data (name, phone, address…)"),
    (
        "profile_level_sensitive",
        "也共享敏感个人信息（如身份证号）",
        "Also share sensitive data (such as the ID number)",
    ),
    ("profile_save", "保存", "Save"),
    ("profile_values", "档案中的信息", "What the profile holds"),
    ("profile_empty", "档案是空的。", "The profile is empty."),
    ("profile_reads", "读取记录", "Reads"),
    ("profile_household", "我家的共享档案", "My household's shared profile"),
    ("profile_assisted_title", "工作人员代填", "Staff filling in for me"),
    (
        "profile_assisted",
        "上门或电话办事时，允许本社区工作人员代我填写表单时读取这些信息（每次读取都会记录）",
        "On a visit or a call, let my community's staff read this when they fill in a form for me (every read is recorded)",
    ),
    (
        "profile_household_intro",
        "住址、家庭人数等家庭信息由登记在同一住址的家人共享，各自按自己的授权使用。住址：",
        "Household facts (address, household size…) are shared by everyone registered at the same home, each within their own consent. Home:",
    ),
    (
        "profile_no_home",
        "登记住址后，住址、家庭人数等家庭信息可以在家人之间共享。",
        "Once you register your home, household facts (address, household size…) are shared with your family.",
    ),
    ("profile_declare_home", "登记住址", "Register my home"),
    (
        "profile_home_unconfirmed",
        "社区确认您住在这里之后，家庭信息才会在家人之间共享；在此之前，您填写的家庭信息只保存在您自己的档案中。",
        "Household facts are shared with your family once the community confirms you live here; until then, what you enter is kept in your own profile only.",
    ),
    ("profile_by_you", "您填写", "entered by you"),
    ("profile_by_family", "家人填写", "entered by family"),
    ("profile_read_by_you", "您打开表单时读取", "read when you opened the form"),
    ("profile_read_by_staff", "{name} 代您填写时读取", "read by {name}, filling in for you"),
    ("profile_no_reads", "还没有应用读取过。", "No app has read it yet."),
    ("my_profile_link", "我的共享档案", "My shared profile"),
    ("dict_title", "数据字典", "Data dictionary"),
    (
        "dict_intro",
        "各应用共用的字段定义：表单用 dict 引用这里的字段，居民填过一次的信息才能在各应用间共享。",
        "Field definitions shared by every app: forms reference them with dict, so what residents enter once can be shared between apps.",
    ),
    ("dict_version", "版本", "Version"),
    ("dict_category", "分类", "Category"),
    ("dict_scenario", "场景", "Scenario"),
    ("dict_search", "搜索", "Search"),
    ("dict_all", "全部", "All"),
    ("dict_show", "筛选", "Show"),
    ("dict_fields_found", "个字段", "fields"),
    ("dict_col_key", "字段标识", "Key"),
    ("dict_col_label", "名称和说明", "Label and help"),
    ("dict_col_type", "类型", "Type"),
    ("dict_col_format", "格式", "Format"),
    ("dict_col_validation", "校验", "Validation"),
    ("dict_col_sensitivity", "敏感级别", "Sensitivity"),
    ("dict_col_profile", "共享档案", "Kept in profile"),
    ("dict_profile_resident", "居民本人", "The resident's"),
    ("dict_profile_household", "家庭（同住址家人共享）", "The household's (shared at home)"),
    ("dict_col_scenarios", "使用场景", "Scenarios"),
    ("sens_public", "公开", "Public"),
    ("sens_internal", "内部", "Internal"),
    ("sens_personal", "个人信息", "Personal"),
    ("sens_sensitive", "敏感个人信息", "Sensitive"),
];

/// The words of the pages in `lang`, for templates.
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    all().map(|(k, zh, en)| (*k, if lang == Lang::En { *en } else { *zh })).collect()
}

/// One word in `lang`; the key itself when unknown.
pub fn word(lang: Lang, key: &str) -> String {
    all()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| if lang == Lang::En { *en } else { *zh })
        .unwrap_or(key)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_beats_header() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, "en-US".parse().unwrap());
        assert_eq!(request_lang(None, &h), Lang::En);
        h.insert(header::COOKIE, "a=b; baida_lang=zh-CN".parse().unwrap());
        assert_eq!(request_lang(None, &h), Lang::ZhCn);
        assert_eq!(request_lang(Some("x=1&lang=en"), &h), Lang::En);
        assert_eq!(request_lang(Some("lang=en&lang=zh-CN"), &h), Lang::ZhCn, "the last one wins");
        assert_eq!(request_lang(None, &HeaderMap::new()), Lang::ZhCn);
    }

    #[test]
    fn every_word_has_both_languages() {
        for (k, zh, en) in all() {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
