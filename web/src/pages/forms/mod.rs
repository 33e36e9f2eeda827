//! The resident form pages: `/a/{community}/{app}` shows the app's intake form; posting it
//! (multipart, photos included) creates a case and redirects to its tracking page, or shows
//! the form again with every error beside its field and everything typed kept.
//! `/a/{community}/{app}/state` gives the live state for pages with JavaScript.

use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use baida_blocks::form::Evaluation;
use baida_blocks::{CompiledField, FieldType, Lang, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::photos::store_photo;
use crate::i18n::ReqLang;
use crate::page_error::PageError;
use crate::pages::form_page::{self, Context, answers_from_posted, element_id};
use crate::pages::home::message_page;
use crate::pages::on_behalf;
use crate::pages::posted_form::PostedForm;
use crate::{ApiError, AppState};
use baida_engine::apps::Loaded;
use baida_engine::submit::{evaluate, evaluate_off_worker};
use baida_engine::{Submission, SubmitError};

mod submission;
pub use submission::{LiveState, read_form};
use submission::{live_state, submit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/a/{community}/{app}", get(show).post(submit))
        .route("/a/{community}/{app}/assist", post(assist))
        .route("/a/{community}/{app}/state", post(live_state))
}

#[derive(Serialize)]
struct SummaryItem {
    href: Option<String>,
    label: String,
    message: String,
}

#[derive(Serialize)]
struct FormPage {
    app_name: String,
    description: Option<String>,
    icon: String,
    community_name: String,
    action: String,
    /// Where staff post the phone number of the resident they fill the form for.
    assist_action: String,
    state_url: String,
    submit_label: String,
    fields: Vec<form_page::FieldView>,
    summary: Vec<SummaryItem>,
    /// "From your profile: …" when a logged-in resident's profile filled some fields.
    profile_note: Option<String>,
    /// For staff: filling the form for a resident ([`crate::pages::on_behalf`]).
    assist: Option<on_behalf::Assist>,
    /// The designer's live preview: nothing can be submitted.
    preview: bool,
}

/// An app for logged-in residents (or staff) sends everyone else to log in first.
fn login_first(loaded: &Loaded, actor: &baida_engine::auth::Actor, uri: &axum::http::Uri) -> Option<Response> {
    use baida_engine::auth::Actor;
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match (loaded.compiled.app.access.submit, actor) {
        (baida_blocks::SubmitAccess::Public, _) => None,
        (_, Actor::Staff(_) | Actor::Root) => None,
        (baida_blocks::SubmitAccess::Resident, Actor::Resident { .. }) => None,
        (baida_blocks::SubmitAccess::Resident, _) => {
            Some(axum::response::Redirect::to(&format!("/my/login?next={}", next.replace('&', "%26"))).into_response())
        }
        (baida_blocks::SubmitAccess::Staff, _) => Some(crate::api::session::to_login(uri)),
    }
}

/// Loads the app and checks it is offered in the community.
async fn load(state: &AppState, lang: Lang, community: &str, app: &str) -> Result<(Loaded, String), PageError> {
    let loaded = state.apps.load(app, None).await?.ok_or_else(PageError::not_found)?;
    match state.engine.offered_in(&loaded, community).await {
        Ok(()) => {}
        Err(SubmitError::Store(e)) => return Err(e.into()),
        Err(_) => return Err(PageError::not_found()),
    }
    let tree = state.engine.org_tree().await?;
    let name = match tree.get(community).cloned() {
        Some(u) => {
            if lang == Lang::En {
                u.name_en
            } else {
                u.name_zh
            }
        }
        _ => community.to_string(),
    };
    Ok((loaded, name))
}

fn labels(fields: &[&CompiledField], prefix: &str, lang: Lang, out: &mut HashMap<String, String>) {
    for f in fields {
        let pointer = format!("{prefix}/{}", f.field.key);
        out.insert(pointer.clone(), f.field.label_text().get(lang).to_string());
        let items: Vec<&CompiledField> = f.items.iter().collect();
        for i in 0..baida_blocks::form::GROUP_MAX {
            labels(&items, &format!("{pointer}/{i}"), lang, out);
        }
    }
}

/// The rows the form's relation fields offer to a case filed at `unit` (a community or grid).
pub(crate) async fn relations_offered(
    state: &AppState,
    loaded: &Loaded,
    unit: &str,
) -> HashMap<String, Vec<baida_engine::register::relation::RowChoice>> {
    let fields = loaded.compiled.intake_fields();
    if !fields.iter().any(|f| f.ty == baida_blocks::FieldType::Relation) {
        return HashMap::new();
    }
    let Ok(tree) = crate::access::tree(state).await else { return HashMap::new() };
    let Some((community, _)) = baida_engine::register::community_of(unit, &tree) else { return HashMap::new() };
    state.engine.relation_choices_of(&loaded.compiled, &fields, &community).await.unwrap_or_default()
}

/// One form page being answered: what every rendering of it shares.
struct Page<'a> {
    state: &'a AppState,
    lang: Lang,
    path: String,
    loaded: &'a Loaded,
    community: &'a str,
    community_name: String,
    profile_note: Option<String>,
    assist: Option<on_behalf::Assist>,
    preview: bool,
    /// The rows each relation field of the form offers.
    relations: HashMap<String, Vec<baida_engine::register::relation::RowChoice>>,
}

/// What one rendering shows: the answers as typed, their evaluation, the errors.
struct Shown<'a> {
    raw: &'a Map<String, Value>,
    ev: &'a Evaluation,
    errors: &'a [Problem],
    add_item_to: Option<&'a str>,
}

fn render(page: &Page<'_>, shown: Shown<'_>, status: StatusCode) -> Response {
    let Page { state, lang, path, loaded, community, .. } = page;
    let (lang, community) = (*lang, *community);
    let Shown { raw, ev, errors, add_item_to } = shown;
    let app = &loaded.compiled.app;
    let fields = loaded.compiled.intake_fields();
    let messages: HashMap<String, String> =
        errors.iter().map(|p| (p.pointer.clone(), p.message.get(lang).to_string())).collect();
    let mut names = HashMap::new();
    labels(&fields, "", lang, &mut names);
    let summary = errors
        .iter()
        .map(|p| {
            // The nearest field at or above the pointer gets the link.
            let mut at = p.pointer.as_str();
            let label = loop {
                if let Some(l) = names.get(at) {
                    break Some((at.to_string(), l.clone()));
                }
                match at.rsplit_once('/') {
                    Some((up, _)) if !up.is_empty() => at = up,
                    _ => break None,
                }
            };
            match label {
                Some((ptr, label)) => SummaryItem {
                    href: Some(format!("#{}", element_id(&ptr))),
                    label,
                    message: p.message.get(lang).to_string(),
                },
                None => SummaryItem { href: None, label: String::new(), message: p.message.get(lang).to_string() },
            }
        })
        .collect();
    let ctx = Context { lang, state: &ev.state, errors: &messages, add_item_to, relations: Some(&page.relations) };
    let (submit_label, intro) = match app.steps.first().map(|s| &s.block) {
        Some(baida_blocks::BlockConfig::Form(c)) => (
            c.submit_label.as_ref().map(|t| t.get(lang).to_string()),
            c.intro.as_ref().map(|t| t.get(lang).to_string()),
        ),
        _ => (None, None),
    };
    let view = FormPage {
        app_name: app.name.get(lang).to_string(),
        description: intro.or_else(|| app.description.as_ref().map(|d| d.get(lang).to_string())),
        icon: app.icon.clone().unwrap_or_default(),
        community_name: page.community_name.clone(),
        action: format!("/a/{community}/{}{}", app.id, if lang == Lang::En { "?lang=en" } else { "" }),
        assist_action: format!("/a/{community}/{}/assist?lang={}", app.id, lang.tag()),
        state_url: format!("/a/{community}/{}/state?lang={}", app.id, lang.tag()),
        submit_label: submit_label.unwrap_or_else(|| crate::i18n::word(lang, "submit")),
        fields: form_page::build(&fields, raw, &ctx, "", ""),
        summary,
        profile_note: page.profile_note.clone(),
        assist: page.assist.clone(),
        preview: page.preview,
    };
    match state.pages.render("form.html", lang, path, &view) {
        Ok(html) => (status, [(header::CONTENT_LANGUAGE, lang.tag())], Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering form.html: {e:?}")).into_response(),
    }
}

/// The staff's look-up of the resident they fill a form for: the phone number of their
/// declared home. Posted (never in a URL, where browsers, proxies and referrers keep it).
#[derive(Debug, Default, Deserialize)]
pub struct AssistForm {
    #[serde(rename = "for")]
    for_phone: Option<String>,
}

/// The note above a pre-filled form: which fields came from whose profile.
fn prefill_note(lang: Lang, pre: &baida_engine::profile::Prefill, for_resident: Option<&str>) -> Option<String> {
    let sep = if lang == Lang::En { ", " } else { "、" };
    let names = |fields: &[baida_blocks::Text]| fields.iter().map(|t| t.get(lang)).collect::<Vec<_>>().join(sep);
    let mut parts = Vec::new();
    if !pre.mine.is_empty() {
        let intro = match for_resident {
            Some(phone) => crate::i18n::word(lang, "assist_note").replace("{phone}", phone),
            None => crate::i18n::word(lang, "profile_note"),
        };
        parts.push(format!("{intro}{}", names(&pre.mine)));
    }
    if !pre.household.is_empty() {
        let intro = if for_resident.is_some() { "assist_note_household" } else { "profile_note_household" };
        parts.push(format!("{}{}", crate::i18n::word(lang, intro), names(&pre.household)));
    }
    (!parts.is_empty()).then(|| parts.join(if lang == Lang::En { "; " } else { "；" }))
}

/// The form, with its defaults.
pub async fn show(
    State(state): State<AppState>,
    actor: baida_engine::auth::Actor,
    ReqLang(lang): ReqLang,
    Path((community, app)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    form_for(&state, actor, lang, &community, &app, &uri, None).await
}

/// The form filled from the profile of the resident that staff look up by phone number.
pub async fn assist(
    State(state): State<AppState>,
    actor: baida_engine::auth::Actor,
    ReqLang(lang): ReqLang,
    Path((community, app)): Path<(String, String)>,
    axum::extract::Form(q): axum::extract::Form<AssistForm>,
) -> Result<Response, PageError> {
    let uri: axum::http::Uri = format!("/a/{community}/{app}").parse().map_err(|_| PageError::not_found())?;
    form_for(&state, actor, lang, &community, &app, &uri, Some(q.for_phone.unwrap_or_default())).await
}

/// The form page at `uri`, with its defaults and the profile it may be filled from (the
/// resident's own, or the looked-up resident's when staff fill it for `for_phone`).
async fn form_for(
    state: &AppState,
    actor: baida_engine::auth::Actor,
    lang: Lang,
    community: &str,
    app: &str,
    uri: &axum::http::Uri,
    for_phone: Option<String>,
) -> Result<Response, PageError> {
    let (state, community, app) = (state.clone(), community.to_string(), app.to_string());
    let (loaded, community_name) = load(&state, lang, &community, &app).await?;
    if let Some(to_login) = login_first(&loaded, &actor, uri) {
        return Ok(to_login);
    }
    let mut raw: Map<String, Value> = loaded
        .compiled
        .intake_fields()
        .iter()
        .filter_map(|f| Some((f.field.key.clone(), f.field.default.clone()?)))
        .collect();
    // A logged-in resident's profile (or, for staff filling for a resident, that resident's)
    // fills what it knows, within the resident's consent; each read is recorded.
    let (mut assist, reading) = match &actor {
        baida_engine::auth::Actor::Resident { id, .. } => {
            let reader = format!("form:{}", loaded.meta.app_id);
            (None, Some(on_behalf::Reading { resident: id.clone(), reader, for_resident: None }))
        }
        _ => match on_behalf::lookup(&state, &actor, &community, for_phone, lang).await? {
            Some(found) => (Some(found.assist.clone()), found.reading(&actor)),
            None => (None, None),
        },
    };
    let mut profile_note = None;
    if let Some(r) = reading {
        let pre = state.engine.prefill(&r.resident, &loaded.compiled, &r.reader).await.map_err(ApiError::from)?;
        profile_note = prefill_note(lang, &pre, r.for_resident.as_deref());
        if let (Some(a), None) = (assist.as_mut(), &profile_note) {
            a.message = Some(crate::i18n::word(lang, "assist_nothing_shared"));
        }
        raw.extend(pre.answers);
    }
    let ev = evaluate(&loaded, &Value::Object(raw.clone()), state.engine.today());
    let page = Page {
        state: &state,
        lang,
        path: uri.to_string(),
        loaded: &loaded,
        community: &community,
        community_name,
        profile_note,
        assist,
        preview: false,
        relations: relations_offered(&state, &loaded, &community).await,
    };
    Ok(render(&page, Shown { raw: &raw, ev: &ev, errors: &[], add_item_to: None }, StatusCode::OK))
}

/// The intake form of `loaded` (a definition being designed, not necessarily published) as
/// residents would see it, with its defaults, for the designer's live preview.
pub(crate) fn preview(state: &AppState, lang: Lang, loaded: &Loaded, community_name: String) -> Response {
    let raw: Map<String, Value> = loaded
        .compiled
        .intake_fields()
        .iter()
        .filter_map(|f| Some((f.field.key.clone(), f.field.default.clone()?)))
        .collect();
    let ev = evaluate(loaded, &Value::Object(raw.clone()), state.engine.today());
    let page = Page {
        state,
        lang,
        path: "/designer/preview".into(),
        loaded,
        community: "preview",
        community_name,
        profile_note: None,
        assist: None,
        preview: true,
        relations: HashMap::new(),
    };
    render(&page, Shown { raw: &raw, ev: &ev, errors: &[], add_item_to: None }, StatusCode::OK)
}
