//! Trying an app out before it is published: the live preview of its resident form (the real
//! form page, rendered from the definition being edited) and the test run (a case run through
//! it in memory, see [`baida_engine::test_run`]). Both take the definition in the request
//! and store nothing.

use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use baida_blocks::{CompiledApp, Lang, Problem, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::extract::{ApiJson, StaffActor};
use crate::i18n::{ReqLang, word};
use crate::{ApiError, AppState, access};
use baida_engine::apps::Loaded;
use baida_engine::test_run::StepAnswers;
use baida_store::AppVersion;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview)).routes(routes!(test_run))
}

fn compile(state: &AppState, definition: &Value) -> Result<Loaded, ApiError> {
    let compiled = state.apps.validate(definition).map_err(|problems| ApiError::Invalid {
        code: "invalid_app",
        title: Text::new("应用定义有误", "The app definition is not valid"),
        problems,
    })?;
    let meta = AppVersion {
        app_id: compiled.app.id.clone(),
        owner_id: String::new(),
        version: compiled.app.version.clone(),
        seq: 0,
        definition: definition.clone(),
        digest: String::new(),
        created_at: state.engine.clock.now(),
        created_by: String::new(),
    };
    Ok(Loaded { meta, compiled: Arc::new(compiled) })
}

/// The resident form of a definition, as the designer's phone preview shows it (HTML).
#[utoipa::path(post, path = "/api/v1/apps/preview", tag = "designer", request_body(content = Object, description = "An app definition"), responses((status = 200, description = "The resident form, HTML", content_type = "text/html"), (status = 422, description = "The definition has problems")), security(("bearer" = []), ("session" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ReqLang(lang): ReqLang,
    ApiJson(definition): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let loaded = compile(&state, &definition)?;
    let tree = access::tree(&state).await?;
    let community = baida_engine::drafts::trying_community(&tree, &actor).and_then(|c| tree.get(&c).cloned());
    let name = match (community, lang) {
        (Some(u), Lang::En) => u.name_en,
        (Some(u), _) => u.name_zh,
        (None, _) => word(lang, "preview"),
    };
    let mut page = crate::pages::forms::preview(&state, lang, &loaded, name);
    page.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(page)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRunBody {
    #[schema(value_type = Object)]
    pub definition: Value,
    /// Where the case is filed (default: the builder's community).
    pub community: Option<String>,
    /// Sample answers to the intake form.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Value,
    /// Answers for the human steps the run reaches, in order, to go on past them.
    #[serde(default)]
    pub then: Vec<StepAnswers>,
}

/// One thing that happened, in plain language.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceItem {
    pub kind: String,
    pub step: Option<String>,
    pub text: String,
}

/// A field the builder answers to go on past a human step.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskedField {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// (value, label) of a select's options.
    #[schema(value_type = Vec<Vec<String>>)]
    pub options: Vec<(String, String)>,
}

/// Where the run stopped.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopView {
    pub step: String,
    pub name: String,
    pub block: String,
    /// A person must act here.
    pub human: bool,
    /// The unit holding the case, by name.
    pub holder: Option<String>,
    pub fields: Vec<AskedField>,
}

/// A message that would be sent (nothing is).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub channel: String,
    pub recipient: String,
    pub template: String,
}

/// A clock that would be running.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    pub step: String,
    pub kind: String,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestRunView {
    /// `open` (waiting), or `closed`.
    pub status: String,
    pub stopped_at: Option<StopView>,
    pub trace: Vec<TraceItem>,
    pub messages: Vec<MessageView>,
    pub clocks: Vec<ClockView>,
    /// Ledger entries that would be booked: account, direction, amount.
    #[schema(value_type = Vec<Object>)]
    pub ledger: Vec<Value>,
    #[schema(value_type = Object)]
    pub record: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Problem>,
}

fn asked_fields(app: &CompiledApp, lang: Lang, step: &str) -> Vec<AskedField> {
    app.step_fields(step)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.ty.holds_value())
        .map(|f| AskedField {
            key: f.field.key.clone(),
            label: f.field.label_text().get(lang).to_string(),
            ty: f.ty.id(),
            options: f.choices.iter().map(|c| (c.value().to_string(), c.label().get(lang).to_string())).collect(),
        })
        .collect()
}

/// Runs a case through a definition with sample answers, in memory: what would fire, be
/// dispatched and notified (nothing is sent), and where it stops.
#[utoipa::path(post, path = "/api/v1/apps/test-run", tag = "designer", request_body = TestRunBody, responses((status = 200, body = TestRunView), (status = 422, description = "The definition has problems")), security(("bearer" = []), ("session" = [])))]
pub async fn test_run(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ReqLang(lang): ReqLang,
    ApiJson(body): ApiJson<TestRunBody>,
) -> Result<Json<TestRunView>, ApiError> {
    let loaded = compile(&state, &body.definition)?;
    let app = &loaded.compiled;
    let tree = access::tree(&state).await?;
    if let Some(c) = &body.community
        && !crate::api::org::visible(&actor, c, &tree)
    {
        return Err(ApiError::NotFound(Text::new(format!("没有社区“{c}”"), format!("No community “{c}”"))));
    }
    let community = match body.community.or_else(|| baida_engine::drafts::trying_community(&tree, &actor)) {
        Some(c) => c,
        None => {
            return Err(ApiError::BadRequest {
                code: "no_community",
                detail: Text::new("没有可以试运行的社区", "There is no community to run the test in"),
            });
        }
    };
    let answers = if body.answers.is_null() { Value::Object(Map::new()) } else { body.answers };
    let run = state.engine.test_run(app, &community, &answers, &body.then).await?;
    let unit_name = |id: &str| {
        tree.get(id)
            .map(|u| if lang == Lang::En { u.name_en.clone() } else { u.name_zh.clone() })
            .unwrap_or_else(|| id.to_string())
    };
    let trace = run
        .events
        .iter()
        .map(|e| {
            let step = e.data.get("step").and_then(Value::as_str).map(str::to_string);
            let mut text = word(lang, &format!("event_{}", e.kind));
            if let Some(s) = &step
                && e.kind != EventKind::CaseSubmitted
            {
                text = format!("{text}：{}", app.step_name(s, lang));
            }
            if let Some(to) = e.data.get("assignee").or_else(|| e.data.get("to")).and_then(Value::as_str)
                && e.kind == EventKind::CaseDispatched
            {
                text = format!("{text} → {}", unit_name(to));
            }
            TraceItem { kind: e.kind.to_string(), step, text }
        })
        .collect();
    let stopped_at = run.current_step.as_ref().filter(|_| run.status != CaseStatus::Closed).map(|s| {
        let block = app.app.step(s).map(|st| st.block.kind().to_string()).unwrap_or_default();
        StopView {
            human: app.app.step(s).is_some_and(|st| baida_engine::actions::is_human(&st.block)),
            name: app.step_name(s, lang),
            fields: asked_fields(app, lang, s),
            holder: run.assignee.as_deref().map(unit_name),
            step: s.clone(),
            block,
        }
    });
    Ok(Json(TestRunView {
        status: run.status.to_string(),
        stopped_at,
        trace,
        messages: run
            .messages
            .into_iter()
            .map(|m| MessageView { channel: m.channel, recipient: m.recipient, template: m.template })
            .collect(),
        clocks: run.timers.into_iter().map(|t| ClockView { step: t.step, kind: t.kind, due_at: t.due_at }).collect(),
        ledger: run
            .ledger
            .iter()
            .map(
                |e| serde_json::json!({"account": e.account, "direction": e.direction, "amount": e.amount.to_string()}),
            )
            .collect(),
        record: run.record,
        problems: run.problems,
    }))
}
