//! Schedules at work: when each of an app's schedules runs next on the working calendar, and
//! running the due ones — one case, or one per register row that matches — exactly once.
//!
//! The next run is kept in the store (`schedules`), planned when an app's latest version
//! changes (a changed day or time replans it; an unchanged one keeps its time, so runs missed
//! while the service was down are still due when it comes back). A due run is claimed with a
//! lease, its cases are computed here (the schedule's `record` expressions over each row, then
//! the intake's own checks, then the app's flow from its first step), and written with the
//! schedule's next time in one transaction conditional on the time the claim read. After
//! downtime a run missed several times runs once (`catch_up: once`) or not at all (`skip`).
//! A run that would open more cases than `confirm_over` waits for someone to confirm it.

use std::sync::atomic::Ordering;

use baida_blocks::form::evaluate;
use baida_blocks::trigger::{CONFIRM_OVER, CatchUp, Every, Schedule, weekday};
use baida_store::{self as store, RowQuery, ScheduleRun, ScheduleState};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::Engine;
use crate::apps::Loaded;
use crate::calendar::Calendar;
use crate::register::community_of;
use crate::submit::{Opening, SubmitError};

/// How long a claimed run is reserved for its claimer.
const LEASE_MINUTES: i64 = 10;
/// How late a run may start and still count as on time for `catch_up: skip`.
const GRACE_MINUTES: i64 = 60;
/// The most rows one run reads.
pub const ROWS_MAX: usize = 100_000;

/// What a schedule's day and time say, as text: a change of it replans the schedule.
pub fn rule(s: &Schedule) -> String {
    format!("{:?} {} {}", s.every, s.on.as_deref().unwrap_or("-"), s.at.as_deref().unwrap_or("09:00"))
}

/// The first time after `after` that the schedule runs, in the calendar's time zone and on its
/// working days; `None` for a schedule whose day or time cannot be read.
pub fn next_run(s: &Schedule, after: DateTime<Utc>, calendar: &Calendar) -> Option<DateTime<Utc>> {
    let (hour, minute) = s.time()?;
    let tz = calendar.timezone();
    let start = after.with_timezone(&tz).date_naive();
    for offset in 0..=400 {
        let date = start + Duration::days(offset);
        if !runs_on(s, date, calendar)? {
            continue;
        }
        let local = date.and_hms_opt(hour, minute, 0)?;
        let at = tz.from_local_datetime(&local).earliest()?.with_timezone(&Utc);
        if at > after {
            return Some(at);
        }
    }
    None
}

/// Does the schedule run on `date`? `None` when its `on` cannot be read.
fn runs_on(s: &Schedule, date: NaiveDate, calendar: &Calendar) -> Option<bool> {
    let on = s.on.as_deref();
    Some(match s.every {
        Every::Day => match on {
            None => true,
            Some("working") => calendar.is_working_day(date),
            Some(_) => return None,
        },
        Every::Week => date.weekday().num_days_from_monday() == weekday(on?)?,
        Every::Month => match on? {
            "first_working_day" => {
                calendar.is_working_day(date)
                    && (1..date.day()).all(|d| !calendar.is_working_day(date.with_day(d).unwrap_or(date)))
            }
            "last_working_day" => {
                let last = last_day_of_month(date);
                calendar.is_working_day(date)
                    && (date.day() + 1..=last).all(|d| !calendar.is_working_day(date.with_day(d).unwrap_or(date)))
            }
            n => date.day() == n.parse::<u32>().ok()?,
        },
    })
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// A case a run would open: where, and its intake answers (checked).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedCase {
    pub community_id: String,
    pub grid_id: Option<String>,
    /// The register row's key it is for.
    pub row: Option<String>,
    pub record: Map<String, Value>,
}

/// What a run found: the cases it would open, and the rows it could not open one for.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Planned {
    pub cases: Vec<PlannedCase>,
    pub problems: Vec<String>,
}

impl Engine {
    /// Plans the schedules of every app whose latest version changed since the last time
    /// (all of them at start): new schedules get their first run, a changed day or time is
    /// replanned, and schedules no longer in an app are dropped.
    pub async fn plan_schedules(&self) -> Result<(), SubmitError> {
        let generation = self.apps.generation();
        if self.schedules_planned.load(Ordering::Acquire) == generation {
            return Ok(());
        }
        let now = self.clock.now();
        for app in self.apps.summaries().await? {
            let Some(loaded) = self.apps.load(&app.app_id, None).await? else { continue };
            let mut keep = Vec::new();
            for s in loaded.compiled.schedules() {
                if let Some(next) = next_run(s, now, &self.calendar) {
                    self.store.plan_schedule(&app.app_id, &s.id, &rule(s), next).await?;
                    keep.push(s.id.clone());
                }
            }
            self.store.drop_schedules_except(&app.app_id, &keep).await?;
        }
        self.schedules_planned.store(generation, Ordering::Release);
        Ok(())
    }

    /// Runs every schedule due now, at most `limit`; returns how many ran.
    pub async fn run_due_schedules(&self, limit: i64) -> Result<usize, SubmitError> {
        self.plan_schedules().await?;
        let now = self.clock.now();
        let due = self.store.claim_due_schedules(now, now + Duration::minutes(LEASE_MINUTES), limit).await?;
        let mut ran = 0;
        for state in due {
            match self.run_schedule(&state, now).await {
                Ok(true) => ran += 1,
                Ok(false) => {}
                // Someone else ran it first.
                Err(SubmitError::Store(store::Error::Conflict(_))) => {}
                Err(e) => {
                    tracing::warn!(app = %state.app_id, schedule = %state.schedule_id, error = %e, "a schedule's run failed; it is retried when its lease ends")
                }
            }
        }
        Ok(ran)
    }

    /// Runs one claimed schedule: opens its cases and sets its next time, or leaves it waiting
    /// for a confirmation. False when it opened nothing (skipped, waiting, or gone).
    async fn run_schedule(&self, state: &ScheduleState, now: DateTime<Utc>) -> Result<bool, SubmitError> {
        let Some(loaded) = self.apps.load(&state.app_id, None).await? else { return Ok(false) };
        let Some(schedule) = loaded.compiled.schedules().find(|s| s.id == state.schedule_id).cloned() else {
            self.store.drop_schedules_except(&state.app_id, &[]).await?;
            return Ok(false);
        };
        let next_at = next_run(&schedule, now, &self.calendar).unwrap_or(now + Duration::days(365));
        let late = now - state.next_at > Duration::minutes(GRACE_MINUTES);
        let mut run = ScheduleRun {
            app_id: state.app_id.clone(),
            schedule_id: state.schedule_id.clone(),
            claimed_next_at: state.next_at,
            next_at,
            at: now,
            cases: Vec::new(),
            error: None,
        };
        if self.store.is_archived(&state.app_id).await? {
            run.error = Some("skipped: the app is archived".into());
            self.store.record_run(&run).await?;
            return Ok(false);
        }
        if late && schedule.catch_up == CatchUp::Skip {
            run.error = Some("skipped: missed while the service was down (catch_up: skip)".into());
            self.store.record_run(&run).await?;
            return Ok(false);
        }
        let planned = self.plan_run(&loaded, &schedule).await?;
        let threshold = schedule.confirm_over.unwrap_or(CONFIRM_OVER) as usize;
        if planned.cases.len() > threshold && state.confirmed_at.is_none() {
            self.store
                .wait_for_confirmation(&state.app_id, &state.schedule_id, planned.cases.len() as i64, now)
                .await?;
            return Ok(false);
        }
        let actor = format!("schedule:{}", schedule.id);
        for c in planned.cases {
            let opening = Opening {
                loaded: &loaded,
                id: Uuid::now_v7().to_string(),
                record: c.record,
                community_id: c.community_id,
                grid_id: c.grid_id,
                resident_id: None,
                actor: &actor,
                channel: "schedule",
                tracking_hash: baida_core::hash::sha256_hex(baida_core::secret::token()),
            };
            run.cases.push(self.open_case(opening).await?);
        }
        if !planned.problems.is_empty() {
            run.error = Some(planned.problems.join("; "));
        }
        self.store.record_run(&run).await?;
        metrics::counter!("baida_schedule_cases_total").increment(run.cases.len() as u64);
        Ok(true)
    }

    /// The cases a run of `schedule` would open now, without opening them: for the run itself
    /// and for the designer's test run.
    pub async fn plan_run(&self, loaded: &Loaded, schedule: &Schedule) -> Result<Planned, SubmitError> {
        let compiled = &loaded.compiled;
        let scripts = compiled.schedule_scripts.get(&schedule.id).cloned().unwrap_or_default();
        let (filter, mapping) = match schedule.for_each.as_ref().and_then(|f| f.when.as_ref()) {
            Some(_) => (scripts.first().cloned(), scripts.get(1..).unwrap_or_default().to_vec()),
            None => (None, scripts),
        };
        let today = Value::String(self.today().format("%Y-%m-%d").to_string());
        let tree = self.org_tree().await?;
        let mut targets: Vec<(String, Option<String>, Value)> = Vec::new();
        let mut problems = Vec::new();
        match &schedule.for_each {
            Some(each) => {
                let mut offset = 0;
                loop {
                    let page = self
                        .store
                        .rows(&RowQuery {
                            app_id: compiled.app.id.clone(),
                            register_id: each.register.clone(),
                            offset,
                            limit: store::registers::PAGE_MAX,
                            ..RowQuery::default()
                        })
                        .await?;
                    offset += page.rows.len() as i64;
                    for row in &page.rows {
                        let mut values = row.values.clone();
                        values.insert("key".into(), Value::String(row.key.clone()));
                        let value = Value::Object(values);
                        let take = match &filter {
                            Some(f) => f.eval_with(&[("row", &value), ("today", &today)]),
                            None => Ok(Value::Bool(true)),
                        };
                        match take {
                            Ok(Value::Bool(true)) => targets.push((row.community_id.clone(), row.grid_id.clone(), value)),
                            Ok(_) => {}
                            Err(e) => problems.push(format!("row {}: {}", row.key, e.message.en())),
                        }
                    }
                    if page.rows.is_empty() || targets.len() + problems.len() >= ROWS_MAX || offset >= page.total {
                        break;
                    }
                }
            }
            None => match community_of(&loaded.meta.owner_id, &tree) {
                Some((community, grid)) => targets.push((community, grid, Value::Object(Map::new()))),
                None => problems.push(format!(
                    "a schedule without for_each opens its case where the app is owned, and {} is not a community or grid",
                    loaded.meta.owner_id
                )),
            },
        }
        let intake = compiled.intake_fields();
        let keys: Vec<&String> = schedule.record.keys().collect();
        let mut cases = Vec::new();
        for (community_id, grid_id, row) in targets {
            let mut answers = Map::new();
            let mut failed = None;
            for (key, script) in keys.iter().zip(&mapping) {
                match script.eval_with(&[("row", &row), ("today", &today)]) {
                    Ok(Value::Null) => {}
                    Ok(v) => {
                        answers.insert((*key).clone(), v);
                    }
                    Err(e) => failed = Some(format!("{key}: {}", e.message.en())),
                }
            }
            let ev = evaluate(&intake, &compiled.rules, &Value::Object(answers), self.today());
            let key = row.get("key").and_then(Value::as_str).map(str::to_string);
            let label = key.clone().unwrap_or_else(|| community_id.clone());
            if let Some(why) = failed {
                problems.push(format!("row {label}: {why}"));
                continue;
            }
            if let Some(p) = ev.errors.first() {
                problems.push(format!("row {label}: {} {}", p.pointer, p.message.en()));
                continue;
            }
            cases.push(PlannedCase { community_id, grid_id, row: key, record: ev.record });
        }
        Ok(Planned { cases, problems })
    }
}

/// A schedule as its app's page shows it: the definition's words and the runtime's state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScheduleView {
    pub id: String,
    pub name: Option<baida_blocks::Text>,
    pub every: Every,
    pub on: Option<String>,
    pub at: String,
    /// The register it opens a case per row of.
    pub register: Option<String>,
    pub state: Option<ScheduleState>,
}

/// How staff's action on a schedule went.
#[derive(Debug, Clone, PartialEq)]
pub enum Acted {
    Done,
    /// No such app or schedule for this person.
    NotFound,
    /// Confirm, with no run waiting.
    NothingWaiting,
    /// They may see the app but not change its schedules.
    Forbidden(baida_blocks::Text),
}

/// What staff may do to a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleAction {
    Pause,
    Resume,
    /// Let a run waiting for a confirmation (too many cases at once) go ahead.
    Confirm,
}

impl Engine {
    /// The schedules of an app the actor may see (its builders and the staff of the units it is
    /// offered to), with when each runs next; `None` when there is no such app for them.
    pub async fn schedules_of(
        &self,
        actor: &crate::auth::Actor,
        app_id: &str,
    ) -> Result<Option<Vec<ScheduleView>>, SubmitError> {
        let tree = self.org_tree().await?;
        let Some(loaded) = self.apps.load(app_id, None).await? else { return Ok(None) };
        if !crate::apps::visible(actor, &loaded.meta.owner_id, &tree) {
            return Ok(None);
        }
        self.plan_schedules().await?;
        let states = self.store.schedules(app_id).await?;
        Ok(Some(
            loaded
                .compiled
                .schedules()
                .map(|s| ScheduleView {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    every: s.every,
                    on: s.on.clone(),
                    at: s.at.clone().unwrap_or_else(|| "09:00".into()),
                    register: s.for_each.as_ref().map(|f| f.register.clone()),
                    state: states.iter().find(|st| st.schedule_id == s.id).cloned(),
                })
                .collect(),
        ))
    }

    /// Pauses, resumes or confirms an app's schedule, for those who build the app or administer
    /// cases where it is owned.
    pub async fn act_on_schedule(
        &self,
        actor: &crate::auth::Actor,
        app_id: &str,
        schedule_id: &str,
        action: ScheduleAction,
    ) -> Result<Acted, SubmitError> {
        use crate::auth::Permission;
        let tree = self.org_tree().await?;
        let Some(loaded) = self.apps.load(app_id, None).await? else { return Ok(Acted::NotFound) };
        let owner = &loaded.meta.owner_id;
        if !crate::apps::visible(actor, owner, &tree) || !loaded.compiled.schedules().any(|s| s.id == schedule_id) {
            return Ok(Acted::NotFound);
        }
        if !(actor.can(Permission::AppsBuild, owner, &tree) || actor.can(Permission::CasesAdminister, owner, &tree)) {
            return Ok(Acted::Forbidden(baida_blocks::Text::new(
                "只有应用的搭建者或应用所属单位的管理员可以暂停、恢复或确认定时任务",
                "Only the app's builders or the administrators of its unit may pause, resume or confirm its schedules",
            )));
        }
        self.plan_schedules().await?;
        let now = self.clock.now();
        let by = actor.label();
        let done = match action {
            ScheduleAction::Pause => self.store.pause_schedule(app_id, schedule_id, Some(&by), now).await?,
            ScheduleAction::Resume => self.store.pause_schedule(app_id, schedule_id, None, now).await?,
            ScheduleAction::Confirm => self.store.confirm_schedule(app_id, schedule_id, &by, now).await?,
        };
        tracing::info!(app = app_id, schedule = schedule_id, ?action, by, done, "schedule changed by staff");
        Ok(match (done, action) {
            (true, _) => Acted::Done,
            (false, ScheduleAction::Confirm) => Acted::NothingWaiting,
            (false, _) => Acted::NotFound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, CalendarConfig};

    fn schedule(every: &str, on: Option<&str>, at: &str) -> Schedule {
        serde_json::from_value(serde_json::json!({"id": "s", "every": every, "on": on, "at": at})).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn runs_fall_on_the_working_calendar_in_local_time() {
        let cal = Calendar::new(&CalendarConfig::default()).unwrap();
        // National Day: 1–7 October 2026 are holidays (engine/calendar/cn-2026.json), so
        // October's first working day is Thursday the 8th.
        let first = schedule("month", Some("first_working_day"), "09:00");
        let next = next_run(&first, utc("2026-09-30T12:00:00Z"), &cal).unwrap();
        assert_eq!(next.with_timezone(&cal.timezone()).format("%Y-%m-%d %H:%M").to_string(), "2026-10-08 09:00");
        // 09:00 in Shanghai is 01:00 UTC.
        assert_eq!(next, utc("2026-10-08T01:00:00Z"));
        let weekly = schedule("week", Some("mon"), "08:30");
        let next = next_run(&weekly, utc("2026-12-07T01:00:00Z"), &cal).unwrap();
        assert_eq!(next, utc("2026-12-14T00:30:00Z"), "Monday 7 December 09:00 local has passed at 08:30");
        let daily = schedule("day", None, "09:00");
        assert_eq!(next_run(&daily, utc("2026-12-07T00:59:00Z"), &cal), Some(utc("2026-12-07T01:00:00Z")));
        let last = schedule("month", Some("last_working_day"), "17:00");
        let next = next_run(&last, utc("2026-12-01T00:00:00Z"), &cal).unwrap();
        assert_eq!(next.with_timezone(&cal.timezone()).format("%Y-%m-%d").to_string(), "2026-12-31");
        let fifteenth = schedule("month", Some("15"), "09:00");
        let next = next_run(&fifteenth, utc("2026-12-15T02:00:00Z"), &cal).unwrap();
        assert_eq!(next.with_timezone(&cal.timezone()).format("%Y-%m-%d").to_string(), "2027-01-15");
    }
}
