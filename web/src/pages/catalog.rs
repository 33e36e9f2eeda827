//! The catalog's pages, zh-CN first: `/catalog` (browse and search, the caller's installed
//! copies with new versions), `/catalog/{app}` (description, screenshots, versions, who
//! installed it, a preview of its form and flow, install in one action), `/catalog/review`
//! (the district's queue with each submission's timeline) and `/catalog/installs/{app}` (the
//! diff of an upgrade, conflicts side by side, upgrade). They act through the same checks and
//! domain calls as the API in [`crate::api::catalog`].

use baida_core::kinds::EventKind;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baida_blocks::{Lang, Text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::catalog::{CatalogQuery, catalog, entry_view, may_install};
use crate::i18n::{ReqLang, word};
use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, Permission};
use baida_engine::catalog::{Decision, Side};
use baida_store::SubmissionStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/catalog", get(list))
        .route("/catalog/review", get(review_queue))
        .route("/catalog/review/{id}", post(review))
        .route("/catalog/installs/{app}", get(upgrade_page).post(upgrade))
        .route("/catalog/{app}", get(entry))
        .route("/catalog/{app}/install", post(install))
}

fn staff(actor: Result<Actor, ApiError>) -> Option<Actor> {
    match actor {
        Ok(a @ (Actor::Staff(_) | Actor::Root)) => Some(a),
        _ => None,
    }
}

fn text(v: &Value, lang: Lang) -> String {
    serde_json::from_value::<Text>(v.clone()).map_or_else(|_| String::new(), |t| t.get(lang).to_string())
}

fn show(state: &AppState, lang: Lang, uri: &Uri, template: &str, data: &impl Serialize) -> Response {
    match state.pages.render(template, lang, &uri.to_string(), data) {
        Ok(html) => {
            ([(header::CACHE_CONTROL, "no-store"), (header::CONTENT_LANGUAGE, lang.tag())], Html(html)).into_response()
        }
        Err(e) => ApiError::internal(format!("rendering {template}: {e:?}")).into_response(),
    }
}

/// An error as a page with a way back.
fn refused(state: &AppState, lang: Lang, e: ApiError, back: &str) -> Response {
    let status = e.clone().into_response().status();
    let data = json!({"title": word(lang, "cat_refused"), "detail": e.message(lang), "back": back});
    match state.pages.render("message.html", lang, back, &data) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(format!("rendering message.html: {e:?}")).into_response(),
    }
}

fn lang_q(lang: Lang, first: bool) -> &'static str {
    match (lang, first) {
        (Lang::En, true) => "?lang=en",
        (Lang::En, false) => "&lang=en",
        _ => "",
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Card {
    app_id: String,
    name: String,
    description: String,
    version: String,
    category: String,
    scenario: String,
    origin: String,
    installs: usize,
}

/// `/catalog`.
pub async fn list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Query(q): Query<CatalogQuery>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let dict = state.apps.dictionary();
    let result = async {
        let entries = catalog(&state)
            .entries(given(&q.q).as_deref(), given(&q.category).as_deref(), given(&q.scenario).as_deref())
            .await?;
        let Json(installs) =
            crate::api::catalog::installs(State(state.clone()), crate::extract::StaffActor(actor.clone())).await?;
        let units = access::tree(&state).await?;
        let mut categories: Vec<String> =
            catalog(&state).entries(None, None, None).await?.into_iter().map(|e| e.latest.category).collect();
        categories.sort();
        categories.dedup();
        Ok::<_, ApiError>((entries, installs, units, categories))
    };
    let (entries, installs, units, categories) = match result.await {
        Ok(x) => x,
        Err(e) => return crate::page_error::PageError::from(e).into_response(),
    };
    let unit_name = |id: &str| {
        units.get(id).map_or(id.to_string(), |u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() })
    };
    // Catalog categories are the apps' own (`vehicles-parking`, …), named in the page's words.
    let category_name = |id: &str| {
        let key = format!("catcat_{id}");
        let name = word(lang, &key);
        if name == key { id.to_string() } else { name }
    };
    let scenario_name =
        |id: &str| dict.scenarios.iter().find(|s| s.id == id).map_or(id.to_string(), |s| s.name.get(lang).to_string());
    let cards: Vec<Card> = entries
        .iter()
        .map(|e| {
            let v = entry_view(e);
            Card {
                name: text(&v.name, lang),
                description: text(&v.description, lang),
                category: category_name(&v.category),
                scenario: v.scenario.as_deref().map(scenario_name).unwrap_or_default(),
                origin: unit_name(&v.origin),
                installs: v.installs,
                version: v.version,
                app_id: v.app_id,
            }
        })
        .collect();
    let mine: Vec<Value> = installs
        .iter()
        .map(|i| {
            json!({"app_id": i.install.app_id, "community": unit_name(&i.install.community_id), "version": i.install.source_version,
                   "latest": i.latest_version, "update": i.update_available})
        })
        .collect();
    let data = json!({
        "q": q.q.clone().unwrap_or_default(),
        "categories": categories.iter().map(|id| Choice { value: id.clone(), label: category_name(id), selected: q.category.as_deref() == Some(id.as_str()) }).collect::<Vec<_>>(),
        "scenarios": dict.scenarios.iter().map(|s| Choice { value: s.id.clone(), label: s.name.get(lang).into(), selected: q.scenario.as_deref() == Some(&s.id) }).collect::<Vec<_>>(),
        "cards": cards,
        "installs": mine,
        "reviewer": actor.has(Permission::CatalogReview),
        "lang_q": lang_q(lang, true),
    });
    show(&state, lang, &uri, "catalog.html", &data)
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// `/catalog/{app}`: a published app and its preview.
pub async fn entry(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(app): Path<String>,
    Query(d): Query<Done>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let e = match catalog(&state).entry(&app).await {
        Ok(e) => e,
        Err(e) => return refused(&state, lang, e.into(), "/catalog"),
    };
    let (tree, communities) = match (access::tree(&state).await, state.engine.open_communities().await) {
        (Ok(t), Ok(u)) => (t, u),
        (Err(e), _) => return e.into_response(),
        (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    let name_of = |id: &str| {
        tree.get(id).map_or(id.to_string(), |u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() })
    };
    // Communities where the caller may install and that do not have it yet.
    let installed: Vec<&str> = e.installs.iter().map(|i| i.community_id.as_str()).collect();
    let targets: Vec<Choice> = communities
        .iter()
        .filter(|u| !installed.contains(&u.id.as_str()))
        .filter(|u| actor.can(Permission::CatalogPublish, &u.id, &tree))
        .map(|u| Choice { value: u.id.clone(), label: name_of(&u.id), selected: false })
        .collect();
    let preview = match state.apps.validate(&e.latest.definition) {
        Ok(c) => c
            .fields
            .iter()
            .filter(|f| f.ty.holds_value() || f.ty == baida_blocks::FieldType::Section)
            .map(|f| {
                json!({
                    "label": f.field.label.as_ref().map_or(f.field.key.clone(), |l| l.get(lang).to_string()),
                    "help": f.field.help.as_ref().map(|h| h.get(lang).to_string()),
                    "ty": f.ty.name().get(lang),
                    "required": f.field.required,
                    "sensitive": matches!(f.sensitivity, baida_blocks::Sensitivity::Personal | baida_blocks::Sensitivity::Sensitive),
                })
            })
            .collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    let palette = baida_blocks::block::all();
    let flow: Vec<Value> = e.latest.definition["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    let block = s["block"].as_str().unwrap_or_default();
                    let kind = palette
                        .iter()
                        .find(|b| b.id == block)
                        .map_or(block.to_string(), |b| b.name.get(lang).to_string());
                    json!({"id": s["id"], "kind": kind})
                })
                .collect()
        })
        .unwrap_or_default();
    let v = entry_view(&e);
    let data = json!({
        "app_id": v.app_id, "name": text(&v.name, lang), "description": text(&v.description, lang),
        "version": v.version, "origin": name_of(&v.origin), "screenshots": v.screenshots, "installs": v.installs,
        "versions": e.versions.iter().map(|s| json!({"version": s.version, "changelog": text(&s.changelog, lang),
            "at": s.reviewed_at.map(|t| t.with_timezone(&state.config.timezone).format("%Y-%m-%d").to_string())})).collect::<Vec<_>>(),
        "installed_by": e.installs.iter().map(|i| json!({"name": name_of(&i.community_id), "version": i.source_version})).collect::<Vec<_>>(),
        "preview": preview, "flow": flow, "targets": targets,
        "done": d.done.is_some(), "lang_q": lang_q(lang, true),
    });
    show(&state, lang, &uri, "catalog_app.html", &data)
}

#[derive(Deserialize)]
pub struct InstallForm {
    community: String,
}

/// Installs from the entry page.
pub async fn install(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(app): Path<String>,
    uri: Uri,
    Form(f): Form<InstallForm>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let back = format!("/catalog/{app}{}", lang_q(lang, true));
    if let Err(e) = may_install(&state, &actor, &f.community).await {
        return refused(&state, lang, e, &back);
    }
    match catalog(&state).install(&app, None, &f.community, &actor.label()).await {
        Ok(_) => Redirect::to(&format!("/catalog/{app}?done=installed{}", lang_q(lang, false))).into_response(),
        Err(e) => refused(&state, lang, e.into(), &back),
    }
}

/// `/catalog/review`: submissions awaiting the district, with their timelines, and the latest
/// decisions.
pub async fn review_queue(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Query(d): Query<Done>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    if let Err(e) = access::require(&state, &actor, Permission::CatalogReview, None).await {
        return refused(&state, lang, e, "/catalog");
    }
    let tree = match access::tree(&state).await {
        Ok(t) => t,
        Err(e) => return crate::page_error::PageError::from(e).into_response(),
    };
    let all = match catalog(&state).submissions_seen_by(&actor, &tree, None).await {
        Ok(x) => x,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let units = &tree;
    let unit_name = |id: &str| {
        units.get(id).map_or(id.to_string(), |u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() })
    };
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M").to_string();
    let review_app = state.apps.load(baida_engine::catalog::review::APP_ID, None).await.ok().flatten();
    let catalog = catalog(&state);
    let mut pending = Vec::new();
    let mut recent = Vec::new();
    // People by name, not by account id.
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    for s in all {
        if s.status != SubmissionStatus::Submitted && recent.len() >= 10 {
            continue;
        }
        let events = catalog.timeline(&s).await.unwrap_or_default();
        let unnamed: Vec<&str> = events
            .iter()
            .map(|e| e.actor.as_str())
            .chain([s.submitted_by.as_str()])
            .filter(|id| !people.contains_key(*id))
            .collect();
        people.extend(state.engine.names_of(unnamed).await);
        let person = |id: &str| people.get(id).cloned().unwrap_or_else(|| id.to_string());
        let timeline: Vec<Value> = events
            .iter()
            .map(|e| {
                let (what, comment) = match (&review_app, &s.review_case_id) {
                    (Some(app), Some(_)) => {
                        let answers = &e.data["answers"];
                        let mut what = match e.kind {
                            // The resident's wording ("your request") does not fit a unit's submission.
                            EventKind::CaseSubmitted => word(lang, "cat_event_submitted"),
                            _ => crate::pages::track::timeline_item(&state, app, lang, e).text,
                        };
                        if let Some(d) = answers["decision"].as_str() {
                            let status = if d == "approve" { "approved" } else { "rejected" };
                            what = format!("{what}：{}", word(lang, &format!("cat_status_{status}")));
                        }
                        (what, answers["comment"].clone())
                    }
                    _ => (word(lang, &format!("cat_status_{}", e.kind)), e.data["comment"].clone()),
                };
                json!({"kind": what, "actor": person(&e.actor), "at": when(e.at), "comment": comment, "hash": &e.hash[..12]})
            })
            .collect();
        let item = json!({
            "id": s.id, "app_id": s.app_id, "version": s.version, "name": text(&s.name, lang),
            "description": text(&s.description, lang), "changelog": text(&s.changelog, lang), "origin": unit_name(&s.origin_id),
            "submitted_by": person(&s.submitted_by), "screenshots": s.screenshots, "status": word(lang, &format!("cat_status_{}", s.status.as_str())),
            "reference": s.review_case_id.is_none() && timeline.is_empty(),
            "timeline": timeline, "case": s.review_case_id,
        });
        if s.status == SubmissionStatus::Submitted { pending.push(item) } else { recent.push(item) }
    }
    let data = json!({"pending": pending, "recent": recent, "done": d.done.is_some(), "lang_q": lang_q(lang, true)});
    show(&state, lang, &uri, "catalog_review.html", &data)
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: Decision,
    #[serde(default)]
    comment: String,
}

/// A decision from the review page.
pub async fn review(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(id): Path<String>,
    uri: Uri,
    Form(f): Form<ReviewForm>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let back = format!("/catalog/review{}", lang_q(lang, true));
    let body = crate::api::catalog::ReviewBody { decision: f.decision, comment: Some(f.comment) };
    match crate::api::catalog::review(
        State(state.clone()),
        crate::extract::StaffActor(actor),
        Path(id),
        crate::extract::ApiJson(body),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/catalog/review?done=1{}", lang_q(lang, false))).into_response(),
        Err(e) => refused(&state, lang, e, &back),
    }
}

/// `/catalog/installs/{app}`: what an upgrade changes, conflicts side by side.
pub async fn upgrade_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(app): Path<String>,
    Query(d): Query<Done>,
    uri: Uri,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let plan = match crate::api::catalog::upgrade_plan(
        State(state.clone()),
        crate::extract::StaffActor(actor),
        Path(app.clone()),
    )
    .await
    {
        Ok(Json(p)) => p,
        Err(e) => return refused(&state, lang, e, "/catalog"),
    };
    let pretty = |v: &Option<Value>| {
        v.as_ref().map_or("—".to_string(), |v| match v {
            Value::String(s) => s.clone(),
            Value::Object(o) if o.keys().all(|k| k == "zh-CN" || k == "en") => text(v, lang),
            Value::Object(o) if o.contains_key("key") || o.contains_key("block") => {
                let name = o.get("label").map(|l| text(l, lang)).filter(|l| !l.is_empty());
                let what = o.get("key").or_else(|| o.get("id")).and_then(Value::as_str).unwrap_or_default();
                let kind = o
                    .get("dict")
                    .or_else(|| o.get("type"))
                    .or_else(|| o.get("block"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                format!(
                    "{} ({what}{}{kind})",
                    name.unwrap_or_else(|| what.to_string()),
                    if kind.is_empty() { "" } else { " · " }
                )
            }
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        })
    };
    let change = |c: &baida_engine::catalog::Change| json!({"kind": c.kind, "summary": c.summary.get(lang), "before": pretty(&c.before), "after": pretty(&c.after)});
    let data = json!({
        "app_id": plan.app_id, "source": plan.source_app_id, "from": plan.from_version, "to": plan.to_version,
        "up_to_date": plan.up_to_date, "changelog": text(&plan.changelog, lang),
        "changes": plan.changes.iter().map(change).collect::<Vec<_>>(),
        "local": plan.local_changes.iter().map(change).collect::<Vec<_>>(),
        "conflicts": plan.conflicts.iter().map(|c| json!({"path": c.path, "summary": c.summary.get(lang),
            "base": pretty(&c.base), "mine": pretty(&c.mine), "theirs": pretty(&c.theirs)})).collect::<Vec<_>>(),
        "from_to": word(lang, "cat_from_to").replace("{from}", &plan.from_version).replace("{to}", &plan.to_version),
        "done": d.done.is_some(), "lang_q": lang_q(lang, true),
    });
    show(&state, lang, &uri, "catalog_upgrade.html", &data)
}

/// Upgrades from the upgrade page; each conflict's choice comes as `r:<path>` = mine | theirs.
pub async fn upgrade(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    actor: Result<Actor, ApiError>,
    Path(app): Path<String>,
    uri: Uri,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(actor) = staff(actor) else { return crate::api::session::to_login(&uri) };
    let resolutions: BTreeMap<String, Side> = fields
        .into_iter()
        .filter_map(|(k, v)| {
            let side = match v.as_str() {
                "mine" => Side::Mine,
                "theirs" => Side::Theirs,
                _ => return None,
            };
            k.strip_prefix("r:").map(|p| (p.to_string(), side))
        })
        .collect();
    let back = format!("/catalog/installs/{app}{}", lang_q(lang, true));
    let body = crate::api::catalog::UpgradeBody { resolutions };
    match crate::api::catalog::upgrade(
        State(state.clone()),
        crate::extract::StaffActor(actor),
        Path(app.clone()),
        crate::extract::ApiJson(body),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/catalog/installs/{app}?done=1{}", lang_q(lang, false))).into_response(),
        Err(e) => refused(&state, lang, e, &back),
    }
}
