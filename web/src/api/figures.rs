//! Figures (办理统计) over HTTP: `GET /api/v1/figures` (JSON) and `GET /figures` (a page, a
//! table and a GET form, no JavaScript), grouped by app, department or category over a period
//! of days. The definitions are in `docs/figures.md`; the counting is in `store::figures`,
//! the naming of the groups in `engine::figures`.
//!
//! Both need staff with `figures.read` (a log-in or a token); each counts only the cases the
//! caller may see: a community admin their community's, a department its own.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::{Lang, Text};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access;
use crate::extract::StaffActor;
use crate::i18n::{ReqLang, word};
use crate::pages::home::message_page;
use crate::{ApiError, AppState};
use baida_engine::auth::{Actor, Permission};
use baida_engine::figures::Counted;
use baida_store::{Figures, FiguresQuery, FiguresRow, GroupBy};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(figures)).route("/figures", get(figures_page))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    /// `app`, `department` (the unit holding the case now) or `category` (`record.category`);
    /// absent or `none`: one row.
    pub by: Option<String>,
    /// First day of the period (`YYYY-MM-DD`, deployment time zone), inclusive.
    pub from: Option<String>,
    /// Last day of the period, inclusive.
    pub to: Option<String>,
    /// Only cases of this app.
    pub app: Option<String>,
}

/// The figures of one group (or of all the cases).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureRow {
    /// App id, department org unit id or category code; null for cases with no department or
    /// no category, and for the total.
    pub key: Option<String>,
    /// The group's name in both languages, when known.
    #[schema(value_type = Option<Object>)]
    pub name: Option<Text>,
    /// Cases created in the period.
    pub received: i64,
    /// Of those, the ones closed now.
    pub closed: i64,
    /// `closed / received`; null when nothing was received.
    pub closure_rate: Option<f64>,
    /// Of those received, the ones whose `sign` step was completed.
    pub signed: i64,
    /// Of the signed, those completed before any `sla.overdue` event of the `sign` step.
    pub signed_on_time: i64,
    /// `signed_on_time / signed`; null when none was signed.
    pub on_time_sign_rate: Option<f64>,
    /// Of those received, the ones whose `handle` step was completed.
    pub replied: i64,
    /// Of the replied, those completed before any `sla.overdue` event of the `handle` step.
    pub replied_on_time: i64,
    /// `replied_on_time / replied`; null when none was replied.
    pub on_time_reply_rate: Option<f64>,
    /// Median of `closed_at − created_at` over the closed cases, in seconds; null when none is closed.
    pub median_handling_seconds: Option<f64>,
    /// Of those received, open cases whose escalation is `overdue`, `urge` or `supervise`.
    pub overdue_now: i64,
}

/// Figures for a period, a row per group and the total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    /// `none`, `app`, `department` or `category`.
    pub by: String,
    /// The first day counted, as asked.
    pub from: Option<NaiveDate>,
    /// The last day counted, as asked (inclusive).
    pub to: Option<NaiveDate>,
    /// Cases created at or after this instant were counted (the start of `from`).
    pub since: Option<DateTime<Utc>>,
    /// …and before this one (the end of `to`).
    pub until: Option<DateTime<Utc>>,
    /// The app the cases were limited to.
    pub app: Option<String>,
    /// Groups with cases in the period: most cases first, the group without a key last.
    pub rows: Vec<FigureRow>,
    pub total: FigureRow,
}

/// The parameters, checked.
struct Asked {
    query: FiguresQuery,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse(state: &AppState, p: &FiguresParams) -> Result<Asked, Text> {
    let by = GroupBy::parse(given(&p.by).unwrap_or("")).ok_or_else(|| {
        Text::new("参数 by 应为 app、department 或 category", "by must be app, department or category")
    })?;
    let day = |name: &str, s: Option<&str>| -> Result<Option<NaiveDate>, Text> {
        s.map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                Text::new(
                    format!("参数 {name} 应为日期，例如 2026-01-31"),
                    format!("{name} must be a date like 2026-01-31"),
                )
            })
        })
        .transpose()
    };
    let from = day("from", given(&p.from))?;
    let to = day("to", given(&p.to))?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Text::new("开始日期晚于结束日期", "from is after to"));
    }
    let tz = state.config.timezone;
    let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(tz).earliest());
    let out_of_range = || Text::new("日期超出范围", "The date is out of range");
    let since = from.map(|d| start(d).ok_or_else(out_of_range)).transpose()?;
    let until = to.map(|d| d.checked_add_days(Days::new(1)).and_then(start).ok_or_else(out_of_range)).transpose()?;
    Ok(Asked {
        query: FiguresQuery {
            by,
            since: since.map(|t| t.with_timezone(&Utc)),
            until: until.map(|t| t.with_timezone(&Utc)),
            app_id: given(&p.app).map(str::to_string),
            scope: None,
        },
        from,
        to,
    })
}

fn bad_query(detail: Text) -> ApiError {
    ApiError::BadRequest { code: "bad_query", detail }
}

fn query_params(q: Result<Query<FiguresParams>, QueryRejection>) -> Result<FiguresParams, Text> {
    q.map(|Query(p)| p).map_err(|e| Text::new(format!("查询参数有误：{e}"), format!("Bad query parameters: {e}")))
}

/// A word as a text in both languages.
fn both(key: &str) -> Text {
    Text::new(word(Lang::ZhCn, key), word(Lang::En, key))
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn row_view(r: &FiguresRow, name: Option<Text>) -> FigureRow {
    FigureRow {
        key: r.key.clone(),
        name,
        received: r.received,
        closed: r.closed,
        closure_rate: ratio(r.closed, r.received),
        signed: r.signed,
        signed_on_time: r.signed_on_time,
        on_time_sign_rate: ratio(r.signed_on_time, r.signed),
        replied: r.replied,
        replied_on_time: r.replied_on_time,
        on_time_reply_rate: ratio(r.replied_on_time, r.replied),
        median_handling_seconds: r.median_handling_ms.map(|ms| ms / 1000.0),
        overdue_now: r.overdue_now,
    }
}

async fn compute(state: &AppState, asked: &Asked) -> Result<FiguresView, ApiError> {
    let Counted { figures: Figures { rows, total }, names } = state.engine.figures(&asked.query).await?;
    let by = asked.query.by;
    let keyless = match by {
        // App ids are never missing.
        GroupBy::None | GroupBy::App => "fig_all",
        GroupBy::Department => "fig_no_unit",
        GroupBy::Category => "fig_no_category",
    };
    let name = |key: &Option<String>| match key {
        Some(k) => names.get(k).cloned(),
        None => Some(both(keyless)),
    };
    Ok(FiguresView {
        by: by.as_str().to_string(),
        from: asked.from,
        to: asked.to,
        since: asked.query.since,
        until: asked.query.until,
        app: asked.query.app_id.clone(),
        rows: rows.iter().map(|r| row_view(r, name(&r.key))).collect(),
        total: row_view(&total, Some(both("fig_total"))),
    })
}

/// Figures per app, department or category for a period: received, closed, closure rate,
/// on-time sign and reply rates, median handling time, overdue now. Every figure is about
/// the cases created in the period (days in the deployment's time zone, `to` inclusive).
#[utoipa::path(get, path = "/api/v1/figures", tag = "figures", params(FiguresParams),
    responses((status = 200, body = FiguresView), (status = 400, description = "A parameter is not valid"), (status = 401, description = "No or wrong admin token")),
    security(("bearer" = []), ("session" = [])))]
pub async fn figures(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    q: Result<Query<FiguresParams>, QueryRejection>,
) -> Result<Json<FiguresView>, ApiError> {
    access::require(&state, &actor, Permission::FiguresRead, None).await?;
    let p = query_params(q).map_err(bad_query)?;
    let mut asked = parse(&state, &p).map_err(bad_query)?;
    asked.query.scope = state.engine.case_scope(&actor, Permission::FiguresRead).await?;
    Ok(Json(compute(&state, &asked).await?))
}

// ---- The page ----

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct PageRow {
    name: String,
    received: i64,
    closed: i64,
    closure_rate: String,
    sign_rate: String,
    sign_count: String,
    reply_rate: String,
    reply_count: String,
    median: String,
    overdue_now: i64,
}

#[derive(Serialize)]
struct FiguresPage {
    by_choices: Vec<Choice>,
    app_choices: Vec<Choice>,
    from: String,
    to: String,
    error: Option<String>,
    group_heading: String,
    period: String,
    rows: Vec<PageRow>,
    total: Option<PageRow>,
    json_href: String,
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A duration for people: `1 天 2 小时`, `25 min`; seconds only under a minute.
fn human_duration(seconds: f64, lang: Lang) -> String {
    let s = seconds.round() as i64;
    if s < 60 {
        return format!("{s} {}", word(lang, "fig_unit_s"));
    }
    let parts = [(s / 86_400, "fig_unit_d"), (s % 86_400 / 3_600, "fig_unit_h"), (s % 3_600 / 60, "fig_unit_m")];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {}", word(lang, unit)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn page_row(r: &FigureRow, lang: Lang) -> PageRow {
    PageRow {
        name: r.name.as_ref().map_or_else(|| r.key.clone().unwrap_or_default(), |n| n.get(lang).to_string()),
        received: r.received,
        closed: r.closed,
        closure_rate: percent(r.closure_rate),
        sign_rate: percent(r.on_time_sign_rate),
        sign_count: format!("{}/{}", r.signed_on_time, r.signed),
        reply_rate: percent(r.on_time_reply_rate),
        reply_count: format!("{}/{}", r.replied_on_time, r.replied),
        median: r.median_handling_seconds.map_or_else(|| "—".into(), |s| human_duration(s, lang)),
        overdue_now: r.overdue_now,
    }
}

/// The page: the filters as a GET form, and the figures as a table.
pub async fn figures_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    q: Result<Query<FiguresParams>, QueryRejection>,
    uri: axum::http::Uri,
) -> Response {
    let actor = match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => a,
        _ => return crate::api::session::to_login(&uri),
    };
    let tree = match access::require(&state, &actor, Permission::FiguresRead, None).await {
        Ok(t) => t,
        Err(_) => return message_page(&state, lang, StatusCode::FORBIDDEN, "forbidden", "forbidden_detail"),
    };
    let scope = match state.engine.case_scope(&actor, Permission::FiguresRead).await {
        Ok(scope) => scope,
        Err(e) => return crate::page_error::PageError::from(e).into_response(),
    };
    let (p, bad) = match query_params(q) {
        Ok(p) => (p, None),
        Err(why) => (FiguresParams::default(), Some(why)),
    };
    let apps = match state.apps.visible_to(&actor, &tree).await {
        Ok(apps) => apps,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match page(&state, lang, &p, bad, &uri.to_string(), scope, apps).await {
        Ok((status, html)) => {
            (status, [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_LANGUAGE, lang.tag())], Html(html))
                .into_response()
        }
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    p: &FiguresParams,
    bad: Option<Text>,
    path: &str,
    scope: Option<baida_store::CaseScope>,
    apps: Vec<baida_store::AppSummary>,
) -> Result<(StatusCode, String), ApiError> {
    let asked = match bad {
        Some(why) => Err(why),
        None => parse(state, p).map(|mut a| {
            a.query.scope = scope;
            a
        }),
    };
    let by = asked.as_ref().map(|a| a.query.by).unwrap_or_default();
    let app = given(&p.app);
    let by_choices = [GroupBy::None, GroupBy::App, GroupBy::Department, GroupBy::Category]
        .into_iter()
        .map(|b| Choice {
            value: b.as_str().to_string(),
            label: word(lang, &format!("fig_by_{}", b.as_str())),
            selected: b == by,
        })
        .collect();
    let mut app_choices =
        vec![Choice { value: String::new(), label: word(lang, "fig_all_apps"), selected: app.is_none() }];
    for a in apps {
        let name =
            serde_json::from_value::<Text>(a.name.clone()).map_or_else(|_| a.app_id.clone(), |n| n.get(lang).into());
        app_choices.push(Choice { selected: app == Some(a.app_id.as_str()), value: a.app_id, label: name });
    }
    let mut data = FiguresPage {
        by_choices,
        app_choices,
        from: given(&p.from).unwrap_or_default().to_string(),
        to: given(&p.to).unwrap_or_default().to_string(),
        error: None,
        group_heading: word(lang, &format!("fig_col_{}", by.as_str())),
        period: String::new(),
        rows: Vec::new(),
        total: None,
        json_href: String::new(),
    };
    let status = match asked {
        Err(why) => {
            data.error = Some(why.get(lang).to_string());
            StatusCode::BAD_REQUEST
        }
        Ok(asked) => {
            let view = compute(state, &asked).await?;
            let day = |d: Option<NaiveDate>, or: &str| d.map_or_else(|| word(lang, or), |d| d.to_string());
            data.period = format!("{} — {}", day(view.from, "fig_beginning"), day(view.to, "fig_now"));
            let mut query: Vec<String> = vec![format!("by={}", view.by)];
            query.extend(view.from.map(|d| format!("from={d}")));
            query.extend(view.to.map(|d| format!("to={d}")));
            query.extend(view.app.as_deref().map(|a| format!("app={}", encode(a))));
            data.json_href = format!("/api/v1/figures?{}", query.join("&"));
            data.rows = view.rows.iter().map(|r| page_row(r, lang)).collect();
            data.total = (by != GroupBy::None && view.total.received > 0).then(|| page_row(&view.total, lang));
            StatusCode::OK
        }
    };
    let html = state
        .pages
        .render("figures.html", lang, path, &data)
        .map_err(|e| ApiError::internal(format!("rendering figures.html: {e:?}")))?;
    Ok((status, html))
}

/// Percent-encodes a query value (app ids are plain, but the page must not trust that).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(25.0, Lang::En), "25 s");
        assert_eq!(human_duration(1500.0, Lang::En), "25 min");
        assert_eq!(human_duration(3600.0, Lang::ZhCn), "1 小时");
        assert_eq!(human_duration(90_000.0, Lang::ZhCn), "1 天 1 小时");
        assert_eq!(human_duration(90_061.0, Lang::En), "1 d 1 h 1 min");
    }

    #[test]
    fn rates_are_absent_without_a_denominator() {
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(2, 4), Some(0.5));
        assert_eq!(percent(Some(2.0 / 3.0)), "66.7%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("minyi-suban"), "minyi-suban");
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
    }
}
