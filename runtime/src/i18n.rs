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

mod ledger;

/// Every word: the general ones here, the open ledger's (books, proposals, homes, the owners'
/// register) in [`ledger`].
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    WORDS.iter().chain(ledger::WORDS)
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
    ("fig_title", "办理统计", "Case figures"),
    (
        "fig_intro",
        "按受理日期统计：表中每个数字都只针对所选期间内受理的案件。",
        "Counted by the day cases came in: every figure is about the cases received in the chosen period.",
    ),
    ("fig_bad_query", "查询条件有误", "The filters are not valid"),
    ("fig_group_by", "分组", "Group by"),
    ("fig_by_none", "不分组", "No grouping"),
    ("fig_by_app", "按应用", "By app"),
    ("fig_by_department", "按承办单位", "By department"),
    ("fig_by_category", "按诉求类别", "By category"),
    ("fig_col_none", "范围", "Scope"),
    ("fig_col_app", "应用", "App"),
    ("fig_col_department", "承办单位", "Department"),
    ("fig_col_category", "诉求类别", "Category"),
    ("fig_from", "开始日期", "From"),
    ("fig_to", "结束日期（含当天）", "To (inclusive)"),
    ("fig_app", "应用", "App"),
    ("fig_all_apps", "全部应用", "All apps"),
    ("fig_show", "查询", "Show"),
    ("fig_period", "统计期间", "Period"),
    ("fig_period_is", "统计期间：", "Period: "),
    ("fig_colon", "：", ": "),
    ("fig_beginning", "最早", "the beginning"),
    ("fig_now", "现在", "now"),
    ("fig_received", "受理量", "Received"),
    ("fig_closed", "办结量", "Closed"),
    ("fig_closure_rate", "办结率", "Closure rate"),
    ("fig_on_time_sign", "按时签收率", "Signed on time"),
    ("fig_on_time_reply", "按时答复率", "Replied on time"),
    ("fig_median", "办理时长中位数", "Median handling time"),
    ("fig_overdue_now", "当前超时", "Overdue now"),
    ("fig_total", "合计", "Total"),
    ("fig_all", "全部案件", "All cases"),
    ("fig_no_unit", "无承办单位", "No unit in charge"),
    ("fig_no_category", "未分类", "No category"),
    ("fig_none", "这段时间没有受理案件。", "No cases were received in this period."),
    ("fig_as_json", "JSON 数据", "As JSON"),
    ("fig_definitions", "统计口径", "How the figures are counted"),
    (
        "fig_def_received",
        "所选期间内受理（创建）的案件数，日期按本系统的时区（默认北京时间）计算，结束日期当天也算在内。",
        "Cases created in the period; days are in the deployment's time zone (China Standard Time by default), the last day included.",
    ),
    (
        "fig_def_closed",
        "上述案件中现已办结的数量；办结率 = 办结量 ÷ 受理量。重新打开的案件不算办结。",
        "Of those cases, the ones closed now; closure rate = closed ÷ received. A reopened case is not closed.",
    ),
    (
        "fig_def_sign",
        "上述案件中已完成签收的，在签收环节出现“已超时”之前完成签收的比例；括号内为按时数/签收数。",
        "Of those cases whose sign step was completed, the share completed before any overdue event on that step; in brackets, on time / signed.",
    ),
    (
        "fig_def_reply",
        "同上，针对“办理答复”环节：在该环节出现“已超时”之前完成答复的比例。",
        "The same for the handle-and-reply step: the share replied before any overdue event on that step.",
    ),
    (
        "fig_def_median",
        "上述案件中已办结的，从受理到办结所用时间（自然时间，含挂起）的中位数。",
        "Of those cases that are closed, the median time from creation to closing (calendar time, pauses included).",
    ),
    (
        "fig_def_overdue",
        "上述案件中仍在办理、当前环节已催办、已超时或已督办的数量；暂停中的案件不计。",
        "Of those cases, the open ones whose current step has been urged, is overdue or is under supervision; paused cases are not counted.",
    ),
    ("fig_unit_d", "天", "d"),
    ("fig_unit_h", "小时", "h"),
    ("fig_unit_m", "分钟", "min"),
    ("fig_unit_s", "秒", "s"),
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
    ("adm_title", "管理", "Administration"),
    ("adm_hello", "当前登录：", "Logged in as "),
    ("adm_org", "组织机构", "Organisation"),
    ("adm_add_unit", "新增机构", "Add a unit"),
    ("adm_id", "编号", "Id"),
    ("adm_kind", "类型", "Kind"),
    ("adm_parent", "上级", "Parent"),
    ("adm_name_zh", "中文名称", "Chinese name"),
    ("adm_name_en", "英文名称", "English name"),
    ("adm_rename", "改名或移动", "Rename or move"),
    ("adm_retire", "撤销", "Retire"),
    ("adm_retired", "已撤销", "retired"),
    ("adm_keep", "（不变）", "(unchanged)"),
    ("adm_people", "人员与角色", "People and roles"),
    ("adm_add_user", "新增账号", "Add an account"),
    ("adm_username", "用户名", "Username"),
    ("adm_name", "姓名", "Name"),
    ("adm_phone", "手机号", "Mobile number"),
    ("adm_unit", "所属机构", "Unit"),
    ("adm_password", "初始密码（至少 10 位，含三类字符）", "First password (10+ characters of three kinds)"),
    ("adm_roles", "角色", "Roles"),
    ("adm_grant", "授予", "Grant"),
    ("adm_revoke", "收回", "Revoke"),
    ("adm_reset", "重置密码", "Reset password"),
    ("adm_disable", "停用", "Disable"),
    ("adm_enable", "启用", "Enable"),
    ("adm_unlock", "解锁", "Unlock"),
    ("adm_active", "正常", "active"),
    ("adm_disabled", "已停用", "disabled"),
    ("adm_locked", "已锁定", "locked"),
    ("adm_state", "状态", "State"),
    ("adm_tokens", "接口令牌", "API tokens"),
    ("adm_own_password", "修改我的密码", "Change my password"),
    ("adm_current_password", "当前密码", "Current password"),
    ("adm_new_password", "新密码（至少 10 位，含三类字符）", "New password (10+ characters of three kinds)"),
    ("adm_add_token", "新建令牌", "Create a token"),
    ("adm_token_name", "用途", "What it is for"),
    ("adm_permissions", "权限", "Permissions"),
    ("adm_last_used", "最近使用", "Last used"),
    ("adm_secret", "令牌只显示这一次，请立即复制保存：", "The token is shown this once; copy it now:"),
    ("adm_events", "安全事件", "Security events"),
    ("adm_when", "时间", "When"),
    ("adm_what", "事件", "What"),
    ("adm_who", "操作者", "Who"),
    ("adm_subject", "对象", "Subject"),
    ("adm_client", "地址", "Address"),
    ("adm_done_unit", "机构已保存。", "The unit was saved."),
    ("adm_done_retired", "机构已撤销。", "The unit was retired."),
    ("adm_done_user", "账号已创建。", "The account was created."),
    ("adm_done_grant", "角色已授予。", "The role was granted."),
    ("adm_done_revoke", "角色已收回，下次请求即生效。", "The role was revoked; it stops on the next request."),
    (
        "adm_done_password",
        "密码已重置，该账号的所有会话已结束。",
        "The password was reset; every session of the account ended.",
    ),
    ("adm_done_user_state", "账号状态已更新。", "The account was updated."),
    ("adm_done_token", "令牌已创建。", "The token was created."),
    ("adm_done_token_revoked", "令牌已吊销。", "The token was revoked."),
    ("work_title", "我的工作台", "My workbench"),
    ("work_empty", "现在没有需要您办理的案件。", "Nothing is waiting for you now."),
    ("work_to_sign", "待签收", "To sign"),
    ("work_to_handle", "待办理", "To handle"),
    ("work_to_review", "待审核", "To review"),
    ("work_other", "其他待办", "Other"),
    ("work_waiting", "已等待", "waiting"),
    ("work_left", "剩余", "left:"),
    ("work_late_by", "已超时", "late by"),
    ("work_mark_remind", "提醒", "reminded"),
    ("work_mark_urge", "催办", "urged"),
    ("work_mark_overdue", "超时", "overdue"),
    ("work_mark_supervise", "督办", "supervised"),
    ("work_holder", "承办单位", "Held by"),
    ("work_due", "办理时限", "Due"),
    ("work_record", "诉求内容", "The record"),
    ("work_complete", "提交", "Submit"),
    ("work_actions", "其他操作", "Other actions"),
    ("work_reason", "理由", "Reason"),
    ("work_to", "改派给", "Send to"),
    ("work_return", "退回", "Return"),
    ("work_redispatch", "改派", "Re-dispatch"),
    ("work_suspend", "挂起", "Suspend"),
    ("work_resume", "恢复办理", "Resume"),
    ("work_close", "办结", "Close"),
    ("work_reopen", "重新打开", "Reopen"),
    ("work_retry", "重试插件步骤", "Retry the plugin step"),
    ("work_fix", "请按提示修改后再提交。", "Please fix the marked answers and submit again."),
    (
        "work_moved",
        "案件已被他人推进到下一步，请查看最新状态后再操作。",
        "Someone moved the case on meanwhile; look at it as it is now and act again.",
    ),
    ("work_reason_needed", "请填写理由。", "Give a reason."),
    ("work_unknown_action", "没有这种操作。", "There is no such action."),
    ("work_done_complete", "已提交，案件已进入下一步。", "Done: the case moved on."),
    ("work_done_return", "已退回。", "Returned."),
    ("work_done_redispatch", "已改派，新承办单位需重新签收。", "Re-dispatched; the new unit signs again."),
    ("work_done_suspend", "已挂起，时限暂停计时。", "Suspended; its clocks are paused."),
    ("work_done_resume", "已恢复办理。", "Resumed."),
    ("work_done_close", "已办结。", "Closed."),
    ("work_done_reopen", "已重新打开。", "Reopened."),
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
    ("work_assist", "代居民填写", "Fill in for a resident"),
    (
        "work_assist_intro",
        "上门或电话时替居民填写：输入居民登记住址时用的手机号，经其授权的档案会自动填入，案件归居民本人跟踪。",
        "On a visit or a call, fill in a form for a resident: enter the mobile number of their registered home; their profile fills in what they agreed to share, and the case is theirs to follow.",
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
    ("cat_title", "应用目录", "App catalog"),
    (
        "cat_intro",
        "区级审核发布的应用，社区可一键安装，并在新版本发布时升级、保留本社区的修改。",
        "Apps reviewed and published by the district: a community installs one in one step, and upgrades when a new version comes out while keeping its own changes.",
    ),
    ("cat_none", "没有符合条件的应用。", "No app matches."),
    ("cat_installs", "个社区已安装", "communities installed it"),
    ("cat_version", "版本", "Version"),
    ("cat_origin", "来源", "From"),
    ("cat_review_queue", "审核队列", "Review queue"),
    ("cat_my_installs", "本单位已安装的应用", "Apps installed here"),
    ("cat_update", "有新版本", "New version"),
    ("cat_upgrade_view", "查看差异并升级", "See the changes and upgrade"),
    ("cat_up_to_date", "已是最新", "Up to date"),
    ("cat_description", "介绍", "About"),
    ("cat_screenshots", "截图", "Screenshots"),
    ("cat_versions", "版本记录", "Versions"),
    ("cat_installed_by", "已安装的社区", "Installed by"),
    ("cat_nobody", "还没有社区安装。", "No community has installed it yet."),
    ("cat_preview_form", "表单预览", "Form preview"),
    ("cat_preview_flow", "流程", "Flow"),
    ("cat_install", "安装到社区", "Install into a community"),
    ("cat_install_button", "一键安装", "Install"),
    ("cat_community", "社区", "Community"),
    (
        "cat_no_community",
        "您所在单位没有可安装的社区（或都已安装）。",
        "There is no community here to install into (or all have it).",
    ),
    ("cat_installed_ok", "已安装。", "Installed."),
    ("cat_review_title", "目录审核", "Catalog review"),
    ("cat_review_none", "没有待审核的提交。", "Nothing awaits review."),
    ("cat_changelog", "更新说明", "What's new"),
    ("cat_submitted_by", "提交人", "Submitted by"),
    ("cat_comment", "审核意见", "Comment"),
    ("cat_approve", "通过并发布", "Approve and publish"),
    ("cat_reject", "退回", "Reject"),
    ("cat_timeline", "审核记录", "Review timeline"),
    ("cat_review_case", "审核案件", "Review case"),
    ("cat_event_submitted", "提交目录审核", "Submitted for review"),
    ("cat_reference", "随百搭发布的参考应用，无需审核", "Shipped with Baida as a reference app: not reviewed"),
    ("cat_reviewed_ok", "已记录审核结果。", "The decision is recorded."),
    ("cat_recent", "最近审核", "Recently reviewed"),
    ("cat_status_submitted", "待审核", "Awaiting review"),
    ("cat_status_approved", "已发布", "Published"),
    ("cat_status_rejected", "已退回", "Rejected"),
    ("cat_upgrade_title", "升级已安装的应用", "Upgrade an installed app"),
    ("cat_changes", "新版本的变化", "What the new version changes"),
    ("cat_local", "本社区的修改", "The community's own changes"),
    ("cat_no_changes", "没有变化。", "No changes."),
    ("cat_conflicts", "冲突：双方改了同一处", "Conflicts: both changed the same thing"),
    ("cat_conflicts_help", "请为每处冲突选择保留哪一方，然后升级。", "Choose a side for each conflict, then upgrade."),
    ("cat_mine", "保留本社区的", "Keep ours"),
    ("cat_theirs", "采用新版本的", "Take the new version's"),
    ("cat_base", "原版本", "Original"),
    ("cat_upgrade_button", "升级", "Upgrade"),
    ("cat_upgraded_ok", "已升级，本社区的修改已保留。", "Upgraded; the community's changes are kept."),
    ("cat_from_to", "从 {from} 升级到 {to}", "From {from} to {to}"),
    ("cat_dictionary_link", "数据字典", "Data dictionary"),
    ("cat_refused", "未能完成", "Not done"),
    ("catcat_people", "人员", "People"),
    ("catcat_households", "住户家庭", "Households"),
    ("catcat_housing-buildings", "房屋楼栋", "Housing and buildings"),
    ("catcat_businesses-shops", "商户店铺", "Businesses and shops"),
    ("catcat_vehicles-parking", "车辆停车", "Vehicles and parking"),
    ("catcat_events-complaints", "事件诉求", "Events and complaints"),
    ("catcat_services-volunteers", "服务志愿", "Services and volunteers"),
    ("cat_back", "返回上一页", "Back"),
    ("cat_search", "搜索应用", "Search apps"),
    ("cat_flow_note", "按步骤顺序，箭头表示流转", "Steps in order; arrows show where a case goes next"),
    ("cat_required", "必填", "required"),
    ("cat_personal", "个人信息", "personal data"),
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
