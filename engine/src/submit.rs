//! From a form submission to a durable case.
//!
//! The answers are evaluated by the form block; the case and its first events (hash-chained)
//! are built here and handed to the [`Committer`], which writes concurrent submissions in one
//! transaction (group commit) and answers each only after the commit. A failed batch is
//! retried case by case, so one bad case never fails its neighbours.

use baida_core::kinds::EventKind;
use std::sync::Arc;

use baida_blocks::form::{self, Evaluation};
use baida_blocks::{Problem, SubmitAccess, Text};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::Engine;
use super::flow::{Flow, FlowError};
use crate::apps::{self, Loaded};
use baida_core::kinds::UnitKind;
use baida_store::{self as store, Case, NewCase, Store};

/// A submission of an intake form.
#[derive(Debug, Clone)]
pub struct Submission {
    pub app_id: String,
    /// A version to submit to; the latest when `None`.
    pub version: Option<String>,
    /// The community, or a grid of it, where the case is filed.
    pub community_id: String,
    pub answers: Value,
    /// Engine channel, e.g. `web`, `api`, `hotline`.
    pub channel: String,
    /// Who submits, for the event log: `public` for anonymous residents.
    pub actor: String,
    /// The logged-in resident who submits.
    pub resident_id: Option<String>,
    /// Submitted by staff allowed to file cases here.
    pub staff: bool,
    /// The new case's id, when the caller needs to know it before the case exists (the
    /// catalog gives a submission's review case the submission's id); a fresh one otherwise.
    pub case_id: Option<String>,
    /// The submitter's upload identity (`http::upload_key`): each photo of the answers must
    /// have been uploaded under it (or be public already), so that knowing a photo's hash does
    /// not let anyone attach it to a case of theirs and read it. `None`: not checked (the
    /// admin token, the server's own submissions).
    pub uploader: Option<String>,
}

/// A created case and the secret token that lets the resident follow it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub case: Case,
    pub tracking_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("no such app")]
    UnknownApp,
    #[error("no such app version")]
    UnknownVersion,
    #[error("no such community")]
    UnknownCommunity,
    #[error("the app is not offered in this community")]
    NotOffered,
    #[error("the app needs a log-in to submit")]
    LoginRequired,
    #[error("the answers have {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    App(#[from] apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Writes new cases, batching concurrent ones into one transaction.
#[derive(Clone)]
pub enum Committer {
    /// Each case in its own transaction.
    Direct(Arc<dyn Store>),
    /// Group commit through writer tasks.
    Batched(mpsc::Sender<Job>),
}

pub struct Job {
    case: NewCase,
    reply: oneshot::Sender<Result<Case, store::Error>>,
}

impl Committer {
    /// Starts `writers` writer tasks that each commit up to `max_batch` cases at a time.
    pub fn batched(store: Arc<dyn Store>, writers: usize, max_batch: usize) -> Committer {
        let (tx, rx) = mpsc::channel::<Job>(max_batch * writers * 4);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers.max(1) {
            let (store, rx) = (store.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let mut jobs = Vec::with_capacity(max_batch);
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        jobs.push(first);
                        while jobs.len() < max_batch {
                            match rx.try_recv() {
                                Ok(job) => jobs.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    commit_batch(store.as_ref(), jobs).await;
                }
            });
        }
        Committer::Batched(tx)
    }

    /// Writes `case`; returns once it is committed.
    pub async fn commit(&self, case: NewCase) -> Result<Case, store::Error> {
        match self {
            Committer::Direct(store) => Ok(store.create_cases(std::slice::from_ref(&case)).await?.remove(0)),
            Committer::Batched(tx) => {
                let (reply, answer) = oneshot::channel();
                tx.send(Job { case, reply })
                    .await
                    .map_err(|_| store::Error::Conflict("the case writer has stopped".into()))?;
                answer.await.map_err(|_| store::Error::Conflict("the case writer has stopped".into()))?
            }
        }
    }
}

async fn commit_batch(store: &dyn Store, jobs: Vec<Job>) {
    metrics::histogram!("baida_group_commit_batch_size").record(jobs.len() as f64);
    let cases: Vec<NewCase> = jobs.iter().map(|j| j.case.clone()).collect();
    match store.create_cases(&cases).await {
        Ok(created) => {
            for (job, case) in jobs.into_iter().zip(created) {
                let _ = job.reply.send(Ok(case));
            }
        }
        Err(e) if jobs.len() == 1 => {
            if let Some(job) = jobs.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, batch = jobs.len(), "group commit failed; committing the batch case by case");
            for job in jobs {
                let result = store.create_cases(std::slice::from_ref(&job.case)).await.map(|mut v| v.remove(0));
                let _ = job.reply.send(result);
            }
        }
    }
}

/// Evaluates answers against an app version's intake form.
pub fn evaluate(loaded: &Loaded, answers: &Value, today: chrono::NaiveDate) -> Evaluation {
    let c = &loaded.compiled;
    form::evaluate(&c.intake_fields(), &c.rules, answers, today)
}

/// [`evaluate`] on a blocking thread: scripts in a form (conditions, computed values, rules)
/// may use their whole operation budget for every field and group item, which must not hold
/// up an async worker that other requests are waiting on.
pub async fn evaluate_off_worker(loaded: &Loaded, answers: Value, today: chrono::NaiveDate) -> Evaluation {
    let compiled = loaded.compiled.clone();
    let run = move || form::evaluate(&compiled.intake_fields(), &compiled.rules, &answers, today);
    match tokio::task::spawn_blocking(run).await {
        Ok(ev) => ev,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only when the runtime shuts down.
        Err(_) => Evaluation {
            errors: vec![Problem::new(
                "",
                "shutting_down",
                Text::new("服务器正在停止，请稍后再试", "The server is stopping; try again later"),
            )],
            ..Evaluation::default()
        },
    }
}

impl Engine {
    /// The community and grid a case filed at `unit` (a community or one of its grids)
    /// belongs to. Retired units take nothing new.
    pub async fn filed_in(&self, unit: &str) -> Result<(String, Option<String>), SubmitError> {
        let units = self.org_tree().await?;
        match units.get(unit) {
            Some(u) if u.retired_at.is_some() => Err(SubmitError::UnknownCommunity),
            Some(u) if u.kind == UnitKind::Community => Ok((u.id.clone(), None)),
            Some(u) if u.kind == UnitKind::Grid => match u.parent_id.as_ref().and_then(|p| units.get(p)) {
                Some(c) if c.kind == UnitKind::Community && c.retired_at.is_none() => {
                    Ok((c.id.clone(), Some(u.id.clone())))
                }
                _ => Err(SubmitError::UnknownCommunity),
            },
            _ => Err(SubmitError::UnknownCommunity),
        }
    }

    /// Checks that `community_id` is a community (or a grid of one) where `loaded` is offered.
    pub async fn offered_in(&self, loaded: &Loaded, community_id: &str) -> Result<(), SubmitError> {
        // An archived app takes nothing new (its cases go on).
        if self.store.is_archived(&loaded.meta.app_id).await? {
            return Err(SubmitError::NotOffered);
        }
        let units = self.org_tree().await?;
        let (community_id, _) = self.filed_in(community_id).await?;
        // Offered where the owner is the community itself or one of its ancestors.
        let mut unit = units.get(&community_id);
        for _ in 0..16 {
            let Some(u) = unit else { break };
            if u.id == loaded.meta.owner_id {
                return Ok(());
            }
            unit = u.parent_id.as_ref().and_then(|p| units.get(p));
        }
        Err(SubmitError::NotOffered)
    }

    /// Validates a submission and creates its case; returns after the commit.
    pub async fn submit(&self, s: Submission) -> Result<Submitted, SubmitError> {
        let _in_flight = self.intake.begin();
        let loaded = match self.apps.load(&s.app_id, s.version.as_deref()).await? {
            Some(l) => l,
            None if s.version.is_some() && self.apps.load(&s.app_id, None).await?.is_some() => {
                return Err(SubmitError::UnknownVersion);
            }
            None => return Err(SubmitError::UnknownApp),
        };
        // Staff may file a case at the unit that owns the app (a district's own workflow, such
        // as the catalog review); everyone else files in a community or one of its grids.
        let (community_id, grid_id) = if s.staff && s.community_id == loaded.meta.owner_id {
            if self.store.is_archived(&loaded.meta.app_id).await? {
                return Err(SubmitError::NotOffered);
            }
            (s.community_id.clone(), None)
        } else {
            let filed = self.filed_in(&s.community_id).await?;
            self.offered_in(&loaded, &s.community_id).await?;
            filed
        };
        // Who may submit is the latest version's rule, whatever version is asked for: an old
        // version must not reopen what the builder has since closed.
        let latest = match s.version {
            Some(_) => self.apps.load(&s.app_id, None).await?,
            None => None,
        };
        let rules = latest.as_ref().unwrap_or(&loaded);
        let allowed = match rules.compiled.app.access.submit {
            SubmitAccess::Public => true,
            SubmitAccess::Resident => s.resident_id.is_some() || s.staff,
            SubmitAccess::Staff => s.staff,
        };
        if !allowed {
            return Err(SubmitError::LoginRequired);
        }
        // Linked register rows as they are now, whatever the answers say of them.
        let mut answers = s.answers.clone();
        let unknown_rows = self
            .resolve_relations(&loaded.compiled, &loaded.compiled.intake_fields(), &mut answers, &community_id)
            .await?;
        let mut ev = evaluate_off_worker(&loaded, answers, self.today()).await;
        // A refused row is the field's one problem (not also "required").
        ev.errors.retain(|e| !unknown_rows.iter().any(|u| u.pointer == e.pointer));
        ev.errors.splice(0..0, unknown_rows);
        if !ev.errors.is_empty() {
            return Err(SubmitError::Invalid(ev.errors));
        }
        let shas: Vec<String> = ev.photos.iter().map(|(_, sha)| sha.clone()).collect();
        let missing = self.store.missing_photos(&shas).await?;
        if !missing.is_empty() {
            let problems = ev
                .photos
                .iter()
                .filter(|(_, sha)| missing.contains(sha))
                .map(|(pointer, _)| {
                    Problem::new(
                        pointer.clone(),
                        "unknown_photo",
                        Text::new("找不到这张照片，请重新上传", "This photo was not uploaded; upload it again"),
                    )
                })
                .collect();
            return Err(SubmitError::Invalid(problems));
        }
        if let Some(uploader) = &s.uploader {
            let foreign = self.foreign_photos(None, &ev.photos, uploader).await?;
            if !foreign.is_empty() {
                return Err(SubmitError::Invalid(foreign));
            }
        }
        let token = baida_core::secret::token();
        let new = self
            .open_case(Opening {
                loaded: &loaded,
                id: s.case_id.clone().unwrap_or_else(|| Uuid::now_v7().to_string()),
                record: ev.record,
                community_id,
                grid_id,
                resident_id: s.resident_id,
                actor: &s.actor,
                channel: &s.channel,
                tracking_hash: baida_core::hash::sha256_hex(&token),
            })
            .await?;
        let case = self.committer.commit(new).await?;
        metrics::counter!("baida_submissions_total").increment(1);
        Ok(Submitted { case, tracking_token: token })
    }
}

/// A new case before its first transition: the intake's record (evaluated) filed in a
/// community (and grid), by whom and through which channel.
pub(crate) struct Opening<'a> {
    pub loaded: &'a Loaded,
    pub id: String,
    pub record: serde_json::Map<String, Value>,
    pub community_id: String,
    pub grid_id: Option<String>,
    pub resident_id: Option<String>,
    pub actor: &'a str,
    pub channel: &'a str,
    /// The SHA-256 of the case's tracking token.
    pub tracking_hash: String,
}

impl Engine {
    /// Runs a new case from its first step to where it waits (the submission's event first),
    /// and gives what to write: the same for a submission and a schedule's run.
    pub(crate) async fn open_case(&self, o: Opening<'_>) -> Result<NewCase, SubmitError> {
        let compiled = &o.loaded.compiled;
        let first = compiled.app.steps.first().map(|s| s.id.clone()).unwrap_or_default();
        let now = self.clock.now();
        let responsibilities = self.responsibilities().await?;
        let plugins = self.plugins_for(compiled).await;
        let tree = self.org_tree().await?;
        let mut flow = Flow::new_case(compiled, &self.calendar, &o.id, o.record, now, o.actor, &responsibilities);
        flow.plugins = Some(&plugins);
        flow.org = Some(&tree);
        flow.current_step = Some(first.clone());
        flow.community_id = o.community_id.clone();
        flow.grid_id = o.grid_id.clone();
        flow.emit(
            EventKind::CaseSubmitted,
            json!({"app_id": compiled.app.id, "app_version": o.loaded.meta.version, "community_id": o.community_id,
                   "grid_id": o.grid_id, "channel": o.channel, "step": first,
                   "record": Value::Object(flow.record.clone())}),
        );
        flow.advance_from(&first).map_err(|e| {
            let message = match e {
                FlowError::Script(m) | FlowError::Definition(m) | FlowError::Refused(m) => m,
            };
            SubmitError::Invalid(vec![Problem::new("", "script_failed", message)])
        })?;
        Ok(NewCase {
            id: o.id.clone(),
            app_id: compiled.app.id.clone(),
            app_version: o.loaded.meta.version.clone(),
            community_id: o.community_id,
            grid_id: o.grid_id,
            resident_id: o.resident_id,
            status: flow.status,
            current_step: flow.current_step.clone(),
            record: Value::Object(flow.record.clone()),
            tracking_hash: o.tracking_hash,
            created_at: now,
            assignee: flow.assignee.clone(),
            events: std::mem::take(&mut flow.events),
            timers: std::mem::take(&mut flow.timers),
            outbox: std::mem::take(&mut flow.outbox),
            ledger: std::mem::take(&mut flow.ledger),
            photo_uses: super::photos::uses(compiled, &o.id, &flow.record),
            rows: std::mem::take(&mut flow.rows),
        })
    }
}
