//! An app's schedules over the API (`engine::schedule`): when each runs next and how its last
//! run went; pausing, resuming, confirming a run that waits because it would open many cases;
//! and a dry run — the cases a run would open now, and its next three times — that opens
//! nothing. An app one may not see answers 404.

use axum::Json;
use axum::extract::{Path, State};
use baida_blocks::Text;
use baida_engine::schedule::{Acted, Planned, ScheduleAction, ScheduleView, next_run};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::StaffActor;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(confirm))
        .routes(routes!(preview))
}

fn no_app() -> ApiError {
    ApiError::NotFound(Text::new("没有这个应用或定时任务", "No such app or schedule"))
}

/// The app's schedules: their day and time, the next run, whether paused or waiting for a
/// confirmation, and the last run (when, how many cases, what went wrong).
#[utoipa::path(get, path = "/api/v1/apps/{app}/schedules", tag = "apps",
    params(("app" = String, Path)),
    responses((status = 200, description = "The schedules"), (status = 404, description = "No such app for you")),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(app): Path<String>,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    state.engine.schedules_of(&actor, &app).await?.map(Json).ok_or_else(no_app)
}

async fn act(
    state: &AppState,
    actor: &baida_engine::auth::Actor,
    app: &str,
    id: &str,
    action: ScheduleAction,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    match state.engine.act_on_schedule(actor, app, id, action).await? {
        Acted::Done => state.engine.schedules_of(actor, app).await?.map(Json).ok_or_else(no_app),
        Acted::NothingWaiting => Err(ApiError::Conflict(Text::new(
            "这个定时任务没有等待确认的运行",
            "This schedule has no run waiting for a confirmation",
        ))),
        Acted::NotFound => Err(no_app()),
        Acted::Forbidden(why) => Err(ApiError::Forbidden(why)),
    }
}

/// Pauses a schedule: it opens nothing until resumed.
#[utoipa::path(post, path = "/api/v1/apps/{app}/schedules/{schedule}/pause", tag = "apps",
    params(("app" = String, Path), ("schedule" = String, Path)),
    responses((status = 200, description = "The schedules"), (status = 403, description = "Not a builder or administrator of the app's unit"), (status = 404, description = "No such schedule")),
    security(("bearer" = []), ("session" = [])))]
pub async fn pause(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, schedule)): Path<(String, String)>,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    act(&state, &actor, &app, &schedule, ScheduleAction::Pause).await
}

/// Resumes a paused schedule (a run missed while paused is due at once, as after downtime).
#[utoipa::path(post, path = "/api/v1/apps/{app}/schedules/{schedule}/resume", tag = "apps",
    params(("app" = String, Path), ("schedule" = String, Path)),
    responses((status = 200, description = "The schedules"), (status = 403, description = "Not a builder or administrator of the app's unit"), (status = 404, description = "No such schedule")),
    security(("bearer" = []), ("session" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, schedule)): Path<(String, String)>,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    act(&state, &actor, &app, &schedule, ScheduleAction::Resume).await
}

/// Lets a run that waits because it would open more cases than `confirm_over` go ahead.
#[utoipa::path(post, path = "/api/v1/apps/{app}/schedules/{schedule}/confirm", tag = "apps",
    params(("app" = String, Path), ("schedule" = String, Path)),
    responses((status = 200, description = "The schedules"), (status = 409, description = "Nothing waits for a confirmation"), (status = 403, description = "Not a builder or administrator of the app's unit")),
    security(("bearer" = []), ("session" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, schedule)): Path<(String, String)>,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    act(&state, &actor, &app, &schedule, ScheduleAction::Confirm).await
}

/// A dry run.
#[derive(Debug, Serialize)]
pub struct Preview {
    /// The next three times it runs.
    pub next: Vec<DateTime<Utc>>,
    /// How many cases a run now would open.
    pub count: usize,
    /// The first 20 of them: where, for which row, with which answers.
    #[serde(flatten)]
    pub planned: Planned,
}

/// What a run of the schedule would do now — the cases it would open, the rows it could not
/// open one for — and when it runs next; nothing is opened or changed.
#[utoipa::path(post, path = "/api/v1/apps/{app}/schedules/{schedule}/preview", tag = "apps",
    params(("app" = String, Path), ("schedule" = String, Path)),
    responses((status = 200, description = "next, cases, the first cases and problems"), (status = 404, description = "No such schedule for you")),
    security(("bearer" = []), ("session" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path((app, schedule)): Path<(String, String)>,
) -> Result<Json<Preview>, ApiError> {
    if state.engine.schedules_of(&actor, &app).await?.is_none() {
        return Err(no_app());
    }
    let loaded = state.apps.load(&app, None).await?.ok_or_else(no_app)?;
    let s = loaded.compiled.schedules().find(|s| s.id == schedule).cloned().ok_or_else(no_app)?;
    let mut planned = state.engine.plan_run(&loaded, &s).await?;
    let mut next = Vec::new();
    let mut after = state.engine.clock.now();
    for _ in 0..3 {
        match next_run(&s, after, &state.engine.calendar) {
            Some(t) => {
                next.push(t);
                after = t;
            }
            None => break,
        }
    }
    let count = planned.cases.len();
    planned.cases.truncate(20);
    planned.problems.truncate(20);
    Ok(Json(Preview { next, count, planned }))
}
