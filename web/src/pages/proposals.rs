//! The public proposals of a community, linked from its open ledger: `/ledger/{community}/proposals`
//! lists spending proposals (open first), `/ledger/{community}/proposals/{id}` shows one —
//! what, why, account, amount, quotes, the step it is at, the residents' comments and its
//! vote — to anyone, without log-in (`ledger::proposal` keeps personal data out).
//!
//! A logged-in resident of the community comments with the form on the page
//! (`POST …/comments`, field `text`), and a confirmed owner votes with the ballot form
//! (`POST …/ballot`, field `choice`); both work without JavaScript, come back to the page
//! (303) and, when refused, show the page again with the reason and the problem's status.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::Lang;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::i18n::ReqLang;
use crate::{ApiError, AppState, api::comments, api::votes};
use baida_engine::auth::Actor;
use baida_engine::ledger::proposal::{self, Proposal, Summary};
use baida_engine::vote::Choice;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/ledger/{community}/proposals", get(list_page))
        .route("/ledger/{community}/proposals/{id}", get(page))
        .route("/ledger/{community}/proposals/{id}/comments", post(comment_form))
        .route("/ledger/{community}/proposals/{id}/ballot", post(ballot_form))
}

/// `?lang=en` for English pages, so forms and links keep the language.
fn lang_query(lang: Lang) -> &'static str {
    if lang == Lang::En { "?lang=en" } else { "" }
}

fn when(state: &AppState, t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string()
}

fn html(
    state: &AppState,
    lang: Lang,
    template: &str,
    path: &str,
    data: &impl Serialize,
    status: StatusCode,
) -> Response {
    match state.pages.render(template, lang, path, data) {
        Ok(page) => (status, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response(),
        Err(e) => ApiError::internal(format!("rendering {template}: {e:?}")).into_response(),
    }
}

fn no_community(state: &AppState, lang: Lang) -> Response {
    crate::pages::home::message_page(
        state,
        lang,
        StatusCode::NOT_FOUND,
        "ledger_no_community",
        "ledger_no_community_detail",
    )
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    summary: Summary,
    when: String,
}

#[derive(Serialize)]
struct ListPage {
    community: String,
    community_name: String,
    q: &'static str,
    proposals: Vec<Row>,
}

/// The community's spending proposals.
async fn list_page(State(state): State<AppState>, ReqLang(lang): ReqLang, Path(community): Path<String>) -> Response {
    let Ok(name) = crate::api::ledger::community_name(&state, &community).await else {
        return no_community(&state, lang);
    };
    let list = match state.engine.proposals(&community, lang).await {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let data = ListPage {
        community_name: name.get(lang).to_string(),
        q: lang_query(lang),
        proposals: list.into_iter().map(|s| Row { when: when(&state, s.proposed_at), summary: s }).collect(),
        community: community.clone(),
    };
    html(&state, lang, "proposals.html", &format!("/ledger/{community}/proposals"), &data, StatusCode::OK)
}

/// Who reads the page, as far as the forms go.
#[derive(Serialize, Default)]
struct Reader {
    logged_in: bool,
    resident: bool,
    /// A resident whose declared home is in this community.
    lives_here: bool,
    /// …and whom the community confirmed as an owner.
    owner_here: bool,
    can_comment: bool,
    can_vote: bool,
    voted: bool,
}

#[derive(Serialize)]
struct CommentRow {
    author: String,
    text: String,
    when: String,
}

#[derive(Serialize)]
struct ProposalPage {
    community: String,
    community_name: String,
    q: &'static str,
    p: Proposal,
    proposed_at: String,
    closes_at: Option<String>,
    comments: Vec<CommentRow>,
    reader: Reader,
    /// Why the last form was refused.
    error: Option<String>,
    /// The comment as typed, shown again after a refusal.
    draft: String,
}

/// The page of one proposal; `refused` is a form's problem to show with what was typed.
async fn show(
    state: &AppState,
    lang: Lang,
    community: &str,
    id: &str,
    actor: &Actor,
    refused: Option<(ApiError, String)>,
) -> Response {
    let Ok(name) = crate::api::ledger::community_name(state, community).await else { return no_community(state, lang) };
    let found = match state.engine.proposal(community, id, lang).await {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some((p, events)) = found else {
        return crate::pages::home::message_page(state, lang, StatusCode::NOT_FOUND, "not_found", "not_found_detail");
    };
    let home = match actor {
        Actor::Resident { home, .. } => home.as_ref(),
        _ => None,
    };
    let lives_here = home.is_some_and(|h| h.community_id == community);
    let owner_here = home.is_some_and(|h| h.owner_in(community));
    let vote_open = p.vote.as_ref().is_some_and(|v| v.open);
    let reader = Reader {
        logged_in: !matches!(actor, Actor::Anonymous | Actor::Reporter),
        resident: matches!(actor, Actor::Resident { .. }),
        lives_here,
        owner_here,
        can_comment: p.comments_open && (lives_here || matches!(actor, Actor::Staff(_) | Actor::Root)),
        can_vote: vote_open && owner_here,
        voted: proposal::has_voted(&events, &actor.label()),
    };
    let (status, retry, error, draft) = match refused {
        Some((e, draft)) => (e.status(), e.retry_after(), Some(e.message(lang)), draft),
        None => (StatusCode::OK, None, None, String::new()),
    };
    let data = ProposalPage {
        community: community.to_string(),
        community_name: name.get(lang).to_string(),
        q: lang_query(lang),
        proposed_at: when(state, p.summary.proposed_at),
        closes_at: p.vote.as_ref().and_then(|v| v.closes_at).map(|t| when(state, t)),
        comments: p
            .comments
            .iter()
            .map(|c| CommentRow { author: c.author.clone(), text: c.text.clone(), when: when(state, c.at) })
            .collect(),
        p,
        reader,
        error,
        draft,
    };
    let mut response =
        html(state, lang, "proposal.html", &format!("/ledger/{community}/proposals/{id}"), &data, status);
    if let Some(secs) = retry
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    Path((community, id)): Path<(String, String)>,
) -> Response {
    show(&state, lang, &community, &id, &actor, None).await
}

/// Where the forms send someone who is not logged in: the log-in, then back here.
fn to_login(community: &str, id: &str) -> Response {
    Redirect::to(&format!("/my/login?next=/ledger/{community}/proposals/{id}")).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    pub text: String,
}

/// The comment form.
async fn comment_form(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    Path((community, id)): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> Response {
    if matches!(actor, Actor::Anonymous | Actor::Reporter) {
        return to_login(&community, &id);
    }
    if !matches!(state.engine.proposal(&community, &id, lang).await, Ok(Some(_))) {
        return show(&state, lang, &community, &id, &actor, None).await;
    }
    match comments::add(&state, &actor, &id, &f.text, lang).await {
        Ok(_) => {
            Redirect::to(&format!("/ledger/{community}/proposals/{id}{}#comments", lang_query(lang))).into_response()
        }
        Err(e @ ApiError::Internal(_)) => e.into_response(),
        Err(e) => show(&state, lang, &community, &id, &actor, Some((e, f.text))).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct BallotForm {
    pub choice: Option<String>,
}

/// The ballot form.
async fn ballot_form(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Actor,
    Path((community, id)): Path<(String, String)>,
    Form(f): Form<BallotForm>,
) -> Response {
    if matches!(actor, Actor::Anonymous | Actor::Reporter) {
        return to_login(&community, &id);
    }
    if !matches!(state.engine.proposal(&community, &id, lang).await, Ok(Some(_))) {
        return show(&state, lang, &community, &id, &actor, None).await;
    }
    let choice = match f.choice.as_deref() {
        Some("yes") => Choice::Yes,
        Some("no") => Choice::No,
        Some("abstain") => Choice::Abstain,
        _ => {
            let e = ApiError::Invalid {
                code: "bad_choice",
                title: baida_blocks::Text::new("选票无效", "Not a ballot"),
                problems: vec![baida_blocks::Problem::new(
                    "/choice",
                    "bad_choice",
                    baida_blocks::Text::new("请选择赞成、反对或弃权", "Choose yes, no or abstain"),
                )],
            };
            return show(&state, lang, &community, &id, &actor, Some((e, String::new()))).await;
        }
    };
    match votes::cast(&state, &actor, &id, choice).await {
        Ok(_) => Redirect::to(&format!("/ledger/{community}/proposals/{id}{}#vote", lang_query(lang))).into_response(),
        Err(e @ ApiError::Internal(_)) => e.into_response(),
        Err(e) => show(&state, lang, &community, &id, &actor, Some((e, String::new()))).await,
    }
}
