//! The community ledger over HTTP. Open to everyone, no log-in: the transparency page
//! `/ledger/{community}`, the community's accounts and entries with their decision trails,
//! exports (CSV with a BOM, XLSX), the signed tree head, inclusion and consistency proofs and
//! the raw leaves (for verifiers). For staff with `ledger.manage`: CSV imports and the
//! year-end rule. Residents' personal data never appears: trails show steps, decisions and
//! vote counts, never answers or who filled them.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baida_blocks::{Lang, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access;
use crate::extract::StaffActor;
use crate::i18n::ReqLang;
use crate::{ApiError, AppState};
use baida_core::ledger::TreeHead;
use baida_core::ledger::entry::{Entry, account_name};
use baida_engine::auth::Permission;
use baida_engine::ledger::{InclusionProof, LedgerError, books, export};
use baida_store::ledger::Balance;

/// Leaves one request may read.
const MAX_LEAVES: i64 = 10_000;
/// Entries the page and the JSON list show (the exports have all).
const SHOWN: i64 = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/ledger/{community}", get(page))
        .routes(routes!(head))
        .routes(routes!(leaves))
        .routes(routes!(consistency))
        .routes(routes!(proof))
        .routes(routes!(community_ledger))
        .routes(routes!(entries_csv))
        .routes(routes!(entries_xlsx))
        .routes(routes!(import))
        .routes(routes!(year_end))
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        match e {
            LedgerError::Invalid(why) => ApiError::Invalid {
                code: "ledger_invalid",
                title: Text::new("账目内容有误", "The ledger request is not valid"),
                problems: vec![baida_blocks::Problem::new("", "ledger_invalid", why)],
            },
            LedgerError::UnknownEntry => ApiError::NotFound(Text::new("没有这笔账目", "No such entry")),
            LedgerError::Tampered(report) => ApiError::internal(format!(
                "the ledger log no longer verifies: {}",
                report.first().map(|f| f.message.en().to_string()).unwrap_or_default()
            )),
            LedgerError::Store(e) => e.into(),
        }
    }
}

/// The latest signed tree head with the key that signed it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadView {
    pub head: Option<TreeHead>,
    /// The Ed25519 public key, base64.
    pub public_key: String,
    pub key_id: String,
}

/// The latest signed tree head of the transparency log (signing one first when the log grew).
#[utoipa::path(get, path = "/api/v1/ledger/head", tag = "ledger", responses((status = 200, body = HeadView)))]
pub async fn head(State(state): State<AppState>) -> Result<Json<HeadView>, ApiError> {
    let head = state.ledger.head().await?;
    Ok(Json(HeadView { head, public_key: state.ledger.public_key(), key_id: state.ledger.key_id().into() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// First leaf (inclusive).
    pub from: i64,
    /// Last leaf (exclusive); at most 10,000 after `from`.
    pub to: i64,
}

/// One leaf of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeafView {
    pub index: i64,
    pub kind: String,
    /// The exact text hashed.
    pub data: String,
    pub leaf_hash: String,
}

fn bad_range(zh: &str, en: &str) -> ApiError {
    ApiError::Invalid {
        code: "bad_range",
        title: Text::new("范围不对", "The range is not valid"),
        problems: vec![baida_blocks::Problem::new("/from", "bad_range", Text::new(zh, en))],
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|e| bad_range("参数缺失或不是整数", &format!("missing or not a whole number: {e}")))
}

/// Leaves `from..to` of the log, for verifiers that recompute the tree themselves.
#[utoipa::path(get, path = "/api/v1/ledger/leaves", tag = "ledger", params(Range),
    responses((status = 200, body = Vec<LeafView>), (status = 422, description = "A bad range")))]
pub async fn leaves(
    State(state): State<AppState>,
    q: Result<Query<Range>, QueryRejection>,
) -> Result<Json<Vec<LeafView>>, ApiError> {
    let r = query(q)?;
    if r.from < 0 || r.to < r.from || r.to - r.from > MAX_LEAVES {
        return Err(bad_range("需要 0 ≤ from ≤ to ≤ from + 10000", "it needs 0 ≤ from ≤ to ≤ from + 10000"));
    }
    let leaves = state.ledger.leaves(r.from, r.to).await?;
    Ok(Json(
        leaves
            .into_iter()
            .map(|l| LeafView { index: l.index, kind: l.kind, data: l.data, leaf_hash: l.leaf_hash })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Sizes {
    /// The older tree size (> 0).
    pub from: u64,
    /// The newer tree size (≤ the latest signed size).
    pub to: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyView {
    pub from: u64,
    pub to: u64,
    /// Hex hashes, RFC 6962 `PROOF(from, D[to])`.
    pub proof: Vec<String>,
}

/// The proof that the log at `from` leaves is a prefix of the log at `to` leaves.
#[utoipa::path(get, path = "/api/v1/ledger/consistency", tag = "ledger", params(Sizes),
    responses((status = 200, body = ConsistencyView), (status = 422, description = "Sizes out of range")))]
pub async fn consistency(
    State(state): State<AppState>,
    q: Result<Query<Sizes>, QueryRejection>,
) -> Result<Json<ConsistencyView>, ApiError> {
    let s = query(q)?;
    let proof = state.ledger.consistency(s.from, s.to).await?;
    Ok(Json(ConsistencyView { from: s.from, to: s.to, proof }))
}

/// The proof that an entry is in the log, against the latest signed head.
#[utoipa::path(get, path = "/api/v1/ledger/entries/{id}/proof", tag = "ledger",
    params(("id" = String, Path, description = "The entry id")),
    responses((status = 200, body = InclusionProof), (status = 404, description = "No such entry")))]
pub async fn proof(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<InclusionProof>, ApiError> {
    Ok(Json(state.ledger.inclusion(&id).await?))
}

/// One step of an entry's decision trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrailStep {
    pub at: chrono::DateTime<chrono::Utc>,
    /// `at` in the deployment's time zone, `YYYY-MM-DD HH:MM`.
    pub when: String,
    #[schema(value_type = Object)]
    pub what: Text,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryView {
    #[serde(flatten)]
    pub entry: Entry,
    #[schema(value_type = Object)]
    pub account_name: Text,
    /// The case's steps that authorised it (none for imports and the year-end rule).
    pub trail: Vec<TrailStep>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    #[serde(flatten)]
    pub balance: Balance,
    #[schema(value_type = Object)]
    pub name: Text,
    /// Income minus expense, yuan, exact.
    pub balance_yuan: String,
    pub income_yuan: String,
    pub expense_yuan: String,
}

/// A community's open books.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub community: String,
    #[schema(value_type = Object)]
    pub community_name: Text,
    pub accounts: Vec<AccountView>,
    /// A page of entries, newest last: the latest 50, or the 50 before `?before=` (the
    /// exports have all).
    pub entries: Vec<LedgerEntryView>,
    /// Pass as `before` for the page of older entries; absent on the oldest page.
    pub older: Option<i64>,
    pub head: Option<TreeHead>,
}

/// A page of the books.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Show the entries before this leaf (the `older` of the page after it).
    pub before: Option<i64>,
}

pub(crate) async fn community_name(state: &AppState, community: &str) -> Result<Text, ApiError> {
    match state.engine.community(community).await? {
        Some(u) => Ok(Text::new(u.name_zh, u.name_en)),
        None => Err(ApiError::NotFound(Text::new("没有这个社区", "No such community"))),
    }
}

/// The decision trail of a case, each step with when it happened in the deployment's time zone.
async fn trail(state: &AppState, events: &[baida_store::Event]) -> Result<Vec<TrailStep>, ApiError> {
    Ok(books::trail(&state.apps, events)
        .await?
        .into_iter()
        .map(|s| TrailStep {
            at: s.at,
            when: s.at.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string(),
            what: s.what,
        })
        .collect())
}

async fn view(state: &AppState, community: &str, before: Option<i64>) -> Result<LedgerView, ApiError> {
    let community_name = community_name(state, community).await?;
    let accounts = state
        .ledger
        .balances(community)
        .await?
        .into_iter()
        .map(|b| AccountView {
            name: account_name(&b.account),
            balance_yuan: baida_core::ledger::entry::Amount(b.income_fen - b.expense_fen).yuan(),
            income_yuan: baida_core::ledger::entry::Amount(b.income_fen).yuan(),
            expense_yuan: baida_core::ledger::entry::Amount(b.expense_fen).yuan(),
            balance: b,
        })
        .collect();
    let books::Page { entries: page, events, older } = state.ledger.page(community, before, SHOWN).await?;
    let mut entries = Vec::with_capacity(page.len());
    for entry in page {
        let trail = match entry.case_id.as_ref().and_then(|id| events.get(id)) {
            Some(events) => trail(state, events).await?,
            None => Vec::new(),
        };
        entries.push(LedgerEntryView { account_name: account_name(&entry.account), entry, trail });
    }
    let head = state.ledger.head().await?;
    Ok(LedgerView { community: community.into(), community_name, accounts, entries, older, head })
}

/// A community's accounts with balances, its latest entries with their decision trails, and
/// the signed tree head (public).
#[utoipa::path(get, path = "/api/v1/communities/{community}/ledger", tag = "ledger",
    params(("community" = String, Path, description = "The community's org unit id"), PageQuery),
    responses((status = 200, body = LedgerView), (status = 404, description = "No such community")))]
pub async fn community_ledger(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<LedgerView>, ApiError> {
    Ok(Json(view(&state, &community, q.before).await?))
}

/// Every entry of a community, in log order.
async fn all_entries(state: &AppState, community: &str) -> Result<Vec<Entry>, ApiError> {
    community_name(state, community).await?;
    Ok(state.ledger.all_entries(community).await?)
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// Every entry of a community as CSV (UTF-8 with a BOM).
#[utoipa::path(get, path = "/api/v1/communities/{community}/ledger/entries.csv", tag = "ledger",
    params(("community" = String, Path, description = "The community's org unit id")),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 404, description = "No such community")))]
pub async fn entries_csv(State(state): State<AppState>, Path(community): Path<String>) -> Result<Response, ApiError> {
    let entries = all_entries(&state, &community).await?;
    Ok(download(export::csv(&entries), "text/csv; charset=utf-8", format!("ledger-{community}.csv")))
}

/// Every entry of a community as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/communities/{community}/ledger/entries.xlsx", tag = "ledger",
    params(("community" = String, Path, description = "The community's org unit id")),
    responses((status = 200, description = "XLSX"), (status = 404, description = "No such community")))]
pub async fn entries_xlsx(State(state): State<AppState>, Path(community): Path<String>) -> Result<Response, ApiError> {
    let entries = all_entries(&state, &community).await?;
    let bytes = export::xlsx(&entries).map_err(|e| ApiError::internal(format!("writing XLSX: {e}")))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("ledger-{community}.xlsx"),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The account the rows go to, e.g. `property_fees`.
    pub account: String,
}

/// Imports entries from CSV (`date,direction,amount,counterparty,purpose`, a header row first)
/// into one account. All rows are checked before any is booked; the import is recorded in
/// each entry (source `import`, the file's digest).
#[utoipa::path(post, path = "/api/v1/communities/{community}/ledger/imports", tag = "ledger",
    params(("community" = String, Path, description = "The community's org unit id"), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Vec<Entry>), (status = 422, description = "A row is not valid; nothing was booked"),
        (status = 403, description = "No ledger.manage here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn import(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(community): Path<String>,
    q: Result<Query<ImportParams>, QueryRejection>,
    body: Bytes,
) -> Result<(StatusCode, Json<Vec<Entry>>), ApiError> {
    access::require(&state, &actor, Permission::LedgerManage, Some(&community)).await?;
    community_name(&state, &community).await?;
    let p = q.map(|Query(p)| p).map_err(|_| bad_range("缺少账户 account", "the account parameter is missing"))?;
    let entries = state.ledger.import_csv(&community, &p.account, &body, &actor.label()).await?;
    Ok((StatusCode::CREATED, Json(entries)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearEnd {
    pub year: i32,
    /// Share of the surplus, 0–1 (default 0.3).
    pub share: Option<f64>,
    /// The account whose surplus is shared (default `public_income`).
    pub from: Option<String>,
}

/// Applies the year-end rule: a share of the year's surplus moves into the community fund, as
/// two entries (once per community and year).
#[utoipa::path(post, path = "/api/v1/communities/{community}/ledger/year-end", tag = "ledger",
    params(("community" = String, Path, description = "The community's org unit id")),
    request_body = YearEnd,
    responses((status = 201, body = Vec<Entry>), (status = 422, description = "No surplus, or already done"),
        (status = 403, description = "No ledger.manage here")),
    security(("bearer" = []), ("session" = [])))]
pub async fn year_end(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(community): Path<String>,
    crate::extract::ApiJson(y): crate::extract::ApiJson<YearEnd>,
) -> Result<(StatusCode, Json<Vec<Entry>>), ApiError> {
    access::require(&state, &actor, Permission::LedgerManage, Some(&community)).await?;
    community_name(&state, &community).await?;
    let from = y.from.unwrap_or_else(|| "public_income".into());
    let entries = state
        .ledger
        .close_year(&community, y.year, &from, y.share.unwrap_or(baida_engine::ledger::year_end::DEFAULT_SHARE))
        .await?;
    Ok((StatusCode::CREATED, Json(entries)))
}

/// The public transparency page.
async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(community): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let path = format!("/ledger/{community}");
    match view(&state, &community, q.before).await {
        Ok(v) => {
            let data = serde_json::json!({
                "ledger": v,
                "en": lang == Lang::En,
            });
            match state.pages.render("ledger.html", lang, &path, &data) {
                Ok(html) => Html(html).into_response(),
                Err(e) => ApiError::internal(format!("rendering ledger.html: {e:?}")).into_response(),
            }
        }
        Err(ApiError::NotFound(_)) => crate::pages::home::message_page(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            "ledger_no_community",
            "ledger_no_community_detail",
        ),
        Err(e) => crate::page_error::PageError::from(e).into_response(),
    }
}
