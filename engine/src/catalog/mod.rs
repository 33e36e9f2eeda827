//! The district catalog: communities submit app versions, the district reviews them, approved
//! versions are published, and communities install them (a fork that remembers its source and
//! version) and upgrade when a new version is published, keeping their local changes.
//!
//! Reading order: [`Catalog::submit`], [`Catalog::review`], [`Catalog::entries`],
//! [`Catalog::install`], [`Catalog::upgrade_plan`] and [`Catalog::upgrade`]; the diff and the
//! three-way merge are in [`merge`]; what of it an actor may see is in [`reach`].
//!
//! Kept whole (over 500 lines): `Catalog`'s operations are one life cycle — submit, review,
//! browse, install, plan an upgrade, upgrade — each using the one before, read in that order.
//!
//! Authorization is decided here only for the review (the review case's step says who may
//! decide, as for any case); otherwise the HTTP handlers ask `auth` first and the command
//! line acts as the operator. The review is a case run by the engine ([`review`]), so a
//! submission's timeline is that case's hash-chained events.

pub mod merge;
pub mod reach;
pub mod review;

use std::collections::BTreeMap;
use std::sync::Arc;

use baida_blocks::{Problem, Text};
use serde_json::{Value, json};

use crate::Engine;
use crate::actions::{Action, ActionError};
use crate::apps::{self, Apps};
use crate::auth::Actor;
use baida_store::{self as store, Event, Install, Store, Submission, SubmissionStatus};
pub use merge::{Change, Conflict, Side};

/// Why a catalog operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found: {}", .0.en())]
    NotFound(Text),
    /// Bad input: every problem, with its pointer.
    #[error("{} problem(s) in the request", .0.len())]
    Invalid(Vec<Problem>),
    #[error("conflict: {}", .0.en())]
    Conflict(Text),
    /// An upgrade whose merge left conflicts: nothing was changed.
    #[error("the upgrade has {} conflict(s)", .0.len())]
    MergeConflicts(Vec<Conflict>),
    /// The review case refused the decision (not a reviewer, bad answers).
    #[error(transparent)]
    Action(#[from] ActionError),
    /// The review case could not be opened.
    #[error("the review case could not be opened: {0}")]
    Review(String),
    #[error(transparent)]
    Apps(#[from] apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a unit submits.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub app_id: String,
    /// The latest when `None`.
    pub version: Option<String>,
    pub description: Text,
    /// The app's own category when `None`.
    pub category: Option<String>,
    pub scenario: Option<String>,
    pub changelog: Text,
    pub screenshots: Vec<String>,
    /// The submitter's upload identity (`http::upload_key`): screenshots become public, so each
    /// must have been uploaded under it (or be public already). `None`: not checked (the
    /// server's own submissions).
    pub uploader: Option<String>,
}

/// The district's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// A published app: its newest approved version, every approved version, and where it is
/// installed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub latest: Submission,
    pub versions: Vec<Submission>,
    pub installs: Vec<Install>,
}

/// What upgrading a fork would do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub install: Install,
    /// The version the fork came from, and the newest published one.
    pub from: Submission,
    pub to: Submission,
    /// What the new version changed (from → to).
    pub changes: Vec<Change>,
    /// What the community changed locally (from → its fork).
    pub local: Vec<Change>,
    pub conflicts: Vec<Conflict>,
    /// The merged definition, with the fork's id (conflicts kept as the community had them).
    pub merged: Value,
}

impl Plan {
    pub fn is_current(&self) -> bool {
        self.from.version == self.to.version
    }
}

/// Parses `MAJOR.MINOR.PATCH`.
pub fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(parsed)
}

/// The id of `source`'s fork in `community`.
pub fn fork_id(source: &str, community: &str) -> String {
    format!("{source}-{community}")
}

fn problem(pointer: &str, code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(pointer, code, Text::new(zh, en))
}

/// A definition made comparable across forks: the source's id, no version.
fn comparable(definition: &Value, id: &str) -> Value {
    let mut d = definition.clone();
    if let Value::Object(map) = &mut d {
        map.insert("id".into(), Value::String(id.into()));
        map.remove("version");
        map.remove("$schema");
    }
    d
}

pub struct Catalog {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    apps: Arc<Apps>,
}

impl Catalog {
    pub fn new(engine: Arc<Engine>) -> Catalog {
        Catalog { store: engine.store.clone(), apps: engine.apps.clone(), engine }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.clock.now()
    }

    /// Submits a version of an app for review and opens its review case; returns the stored
    /// submission.
    pub async fn submit(&self, new: NewSubmission, by: &str) -> Result<Submission> {
        let submission = self.prepare(new, by).await?;
        self.save(&submission).await?;
        // Were the process to stop here, [`Catalog::open_missing_reviews`] opens it at start.
        review::open_case(&self.engine, &submission).await?;
        self.submission(&submission.id).await
    }

    /// Publishes a version with no review: Baida's own reference apps on a `--demo` start,
    /// which no community submitted. Stored approved by `by`, without a review case.
    pub async fn publish_reference(&self, new: NewSubmission, by: &str) -> Result<Submission> {
        let mut submission = self.prepare(new, by).await?;
        submission.status = SubmissionStatus::Approved;
        submission.reviewed_by = Some(by.to_string());
        submission.reviewed_at = Some(submission.submitted_at);
        submission.review_case_id = None;
        self.save(&submission).await?;
        self.submission(&submission.id).await
    }

    /// Checks what a unit submits and makes the submission (awaiting review, with its review
    /// case's id) from the app version it names.
    async fn prepare(&self, new: NewSubmission, by: &str) -> Result<Submission> {
        let Some(version) = self.store.app_version(&new.app_id, new.version.as_deref()).await? else {
            return Err(Error::NotFound(Text::new("没有这个应用或该版本", "No such app or version")));
        };
        let dict = self.apps.dictionary();
        let mut problems = Vec::new();
        for (at, text, limit) in [("/description", &new.description, 2000), ("/changelog", &new.changelog, 2000)] {
            if text.zh().trim().is_empty() {
                problems.push(problem(at, "required", "请填写中文内容".into(), "Write it in Chinese at least".into()));
            } else if text.zh().chars().count() > limit || text.en().chars().count() > limit {
                problems.push(problem(
                    at,
                    "too_long",
                    format!("不能超过 {limit} 个字"),
                    format!("At most {limit} characters"),
                ));
            }
        }
        let category = new
            .category
            .clone()
            .or_else(|| version.definition.get("category").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        if category.trim().is_empty() || category.len() > 64 {
            problems.push(problem("/category", "required", "请选择分类".into(), "Choose a category".into()));
        }
        if let Some(s) = &new.scenario
            && !dict.scenarios.iter().any(|x| &x.id == s)
        {
            problems.push(problem(
                "/scenario",
                "unknown_scenario",
                format!("数据字典里没有场景“{s}”"),
                format!("The data dictionary has no scenario “{s}”"),
            ));
        }
        if new.screenshots.len() > 6 {
            problems.push(problem("/screenshots", "too_many", "最多 6 张截图".into(), "At most 6 screenshots".into()));
        }
        let mut missing = self.store.missing_photos(&new.screenshots).await?;
        if let Some(uploader) = &new.uploader {
            // Another's photo answers as one that does not exist.
            for sha in &new.screenshots {
                let one = [(String::new(), sha.clone())];
                if !self.engine.foreign_photos(None, &one, uploader).await?.is_empty() {
                    missing.push(sha.clone());
                }
            }
        }
        for (i, sha) in new.screenshots.iter().enumerate() {
            if missing.contains(sha) {
                problems.push(problem(
                    &format!("/screenshots/{i}"),
                    "unknown_photo",
                    "没有这张截图，请先上传（POST /api/v1/photos）".into(),
                    "No such screenshot: upload it first (POST /api/v1/photos)".into(),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let at = self.now();
        let submission = Submission {
            id: id.clone(),
            app_id: version.app_id.clone(),
            version: version.version.clone(),
            origin_id: version.owner_id.clone(),
            name: version.definition.get("name").cloned().unwrap_or(Value::Null),
            definition: version.definition,
            description: serde_json::to_value(&new.description).unwrap_or(Value::Null),
            category,
            scenario: new.scenario,
            changelog: serde_json::to_value(&new.changelog).unwrap_or(Value::Null),
            screenshots: new.screenshots,
            status: SubmissionStatus::Submitted,
            submitted_by: by.to_string(),
            submitted_at: at,
            reviewed_by: None,
            reviewed_at: None,
            review_comment: None,
            review_case_id: Some(id.clone()),
        };
        Ok(submission)
    }

    /// Stores a submission; a version submitted before is a conflict.
    async fn save(&self, submission: &Submission) -> Result<()> {
        self.store.create_submission(submission).await.map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict(Text::new(
                format!("“{}” {} 版已提交过目录，请先升级版本号", submission.app_id, submission.version),
                format!(
                    "Version {} of “{}” was submitted before: raise the version first",
                    submission.version, submission.app_id
                ),
            )),
            e => e.into(),
        })?;
        Ok(())
    }

    /// Opens the review case of every submission awaiting review without one; returns how
    /// many were opened. Run at start. One that cannot be opened is logged and tried again at
    /// the next start: it must never keep the server from starting.
    pub async fn open_missing_reviews(&self) -> Result<usize> {
        let missing = self.store.submissions_without_case().await?;
        let mut opened = 0;
        for s in &missing {
            match review::open_case(&self.engine, s).await {
                Ok(()) => opened += 1,
                Err(e) => {
                    tracing::error!(submission = %s.id, error = %e, "cannot open the review case of a catalog submission")
                }
            }
        }
        Ok(opened)
    }

    /// The review's timeline: its case's events (or, for a submission reviewed before reviews
    /// were cases, the events stored with it).
    pub async fn timeline(&self, s: &Submission) -> Result<Vec<Event>> {
        Ok(match &s.review_case_id {
            Some(case) => self.store.events(case).await?,
            None => self.store.submission_events(&s.id).await?,
        })
    }

    /// Approves or rejects a submission awaiting review by completing the review step of its
    /// case as `who` (who may is the step's to say: district admins). A rejection needs a
    /// comment.
    pub async fn review(
        &self,
        id: &str,
        decision: Decision,
        comment: Option<String>,
        who: &Actor,
    ) -> Result<Submission> {
        let comment = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        if decision == Decision::Reject && comment.is_none() {
            return Err(Error::Invalid(vec![problem(
                "/comment",
                "required",
                "退回时请写明理由".into(),
                "Say why when rejecting".into(),
            )]));
        }
        if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
            return Err(Error::Invalid(vec![problem(
                "/comment",
                "too_long",
                "不能超过 2000 个字".into(),
                "At most 2000 characters".into(),
            )]));
        }
        let sub = self.submission(id).await?;
        let reviewed = || Error::Conflict(Text::new("这个提交已经审核过了", "This submission was reviewed already"));
        let Some(case_id) = sub.review_case_id.clone().filter(|_| sub.status == SubmissionStatus::Submitted) else {
            return Err(reviewed());
        };
        let mut answers = json!({"decision": match decision {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }});
        if let Some(c) = comment {
            answers["comment"] = Value::String(c);
        }
        match self.engine.act(&case_id, Action::Complete { answers }, who, None).await {
            Ok(_) => {}
            Err(ActionError::NotAllowed(_)) => return Err(reviewed()),
            Err(e) => return Err(e.into()),
        }
        self.submission(id).await
    }

    pub async fn submission(&self, id: &str) -> Result<Submission> {
        self.store
            .submission(id)
            .await?
            .ok_or_else(|| Error::NotFound(Text::new("没有这个目录提交", "No such catalog submission")))
    }

    /// Published apps (approved versions only), newest version first within each, filtered by
    /// words in the name or description, category and scenario.
    pub async fn entries(&self, q: Option<&str>, category: Option<&str>, scenario: Option<&str>) -> Result<Vec<Entry>> {
        let approved = self.store.submissions(Some(SubmissionStatus::Approved), None).await?;
        let installs = self.store.installs(None, None).await?;
        let mut by_app: BTreeMap<String, Vec<Submission>> = BTreeMap::new();
        for s in approved {
            by_app.entry(s.app_id.clone()).or_default().push(s);
        }
        let q = q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        let mut out = Vec::new();
        for (app_id, mut versions) in by_app {
            versions.sort_by_key(|s| std::cmp::Reverse(semver(&s.version)));
            let latest = versions[0].clone();
            let text = format!("{} {} {}", latest.app_id, latest.name, latest.description).to_lowercase();
            if q.as_ref().is_some_and(|q| !text.contains(q))
                || category.is_some_and(|c| c != latest.category)
                || scenario.is_some_and(|s| latest.scenario.as_deref() != Some(s))
            {
                continue;
            }
            let installs = installs.iter().filter(|i| i.source_app_id == app_id).cloned().collect();
            out.push(Entry { latest, versions, installs });
        }
        out.sort_by(|a, b| b.installs.len().cmp(&a.installs.len()).then(a.latest.app_id.cmp(&b.latest.app_id)));
        Ok(out)
    }

    /// One published app.
    pub async fn entry(&self, app_id: &str) -> Result<Entry> {
        self.entries(None, None, None).await?.into_iter().find(|e| e.latest.app_id == app_id).ok_or_else(|| {
            Error::NotFound(Text::new("目录里没有这个已发布的应用", "The catalog has no such published app"))
        })
    }

    /// Installs the newest published version of `app_id` (or `version`) into `community`: a
    /// new app owned by the community, `{app}-{community}`, remembering its source.
    pub async fn install(&self, app_id: &str, version: Option<&str>, community: &str, by: &str) -> Result<Install> {
        let entry = self.entry(app_id).await?;
        let source = match version {
            None => entry.latest.clone(),
            Some(v) => entry.versions.iter().find(|s| s.version == v).cloned().ok_or_else(|| {
                Error::NotFound(Text::new(format!("没有已发布的 {v} 版"), format!("No published version {v}")))
            })?,
        };
        let fork = fork_id(app_id, community);
        if fork.len() > 63 {
            return Err(Error::Invalid(vec![problem(
                "/community",
                "id_too_long",
                format!("安装后的应用标识“{fork}”超过 63 个字符"),
                format!("The installed app's id “{fork}” would be over 63 characters"),
            )]));
        }
        let taken = || {
            Error::Conflict(Text::new(
                format!("“{app_id}”已安装在 {community}"),
                format!("“{app_id}” is installed in {community} already"),
            ))
        };
        let here = [community.to_string()];
        if !self.store.installs(Some(app_id), Some(&here)).await?.is_empty()
            || self.store.install(&fork).await?.is_some()
        {
            return Err(taken());
        }
        // The fork app is saved first, then the install recorded: if recording failed after the
        // save, installing again finds the untouched copy and only records it.
        match self.store.app_version(&fork, None).await? {
            Some(v)
                if v.owner_id == community
                    && comparable(&v.definition, app_id) == comparable(&source.definition, app_id) => {}
            Some(_) => return Err(taken()),
            None => {
                let mut definition = source.definition.clone();
                definition["id"] = Value::String(fork.clone());
                self.apps.save(definition, community, by).await?;
            }
        }
        let install = Install {
            app_id: fork,
            community_id: community.into(),
            source_app_id: app_id.into(),
            source_version: source.version.clone(),
            installed_at: self.now(),
            installed_by: by.into(),
            upgraded_at: None,
        };
        self.store.create_install(&install).await?;
        Ok(install)
    }

    pub async fn installed(&self, fork: &str) -> Result<Install> {
        self.store.install(fork).await?.ok_or_else(|| {
            Error::NotFound(Text::new("这个应用不是从目录安装的", "This app was not installed from the catalog"))
        })
    }

    /// What upgrading `fork` to the newest published version would change, and where the
    /// community's own changes collide with it.
    pub async fn upgrade_plan(&self, fork: &str, resolutions: &BTreeMap<String, Side>) -> Result<Plan> {
        let install = self.installed(fork).await?;
        let entry = self.entry(&install.source_app_id).await?;
        let from = entry.versions.iter().find(|s| s.version == install.source_version).cloned().ok_or_else(|| {
            Error::NotFound(Text::new("找不到安装时的版本", "The version it was installed from is gone"))
        })?;
        let to = entry.latest.clone();
        let local = self
            .store
            .app_version(fork, None)
            .await?
            .ok_or_else(|| Error::NotFound(Text::new("没有这个应用", "No such app")))?;
        let source_id = &install.source_app_id;
        let base = comparable(&from.definition, source_id);
        let mine = comparable(&local.definition, source_id);
        let theirs = comparable(&to.definition, source_id);
        let merged = merge::merge(&base, &mine, &theirs, resolutions);
        let mut definition = merged.definition;
        definition["id"] = Value::String(fork.into());
        definition["version"] = Value::String(to.version.clone());
        Ok(Plan {
            changes: merge::diff(&base, &theirs),
            local: merge::diff(&base, &mine),
            conflicts: merged.conflicts,
            merged: definition,
            install,
            from,
            to,
        })
    }

    /// Upgrades `fork` to the newest published version, keeping local changes; conflicts must
    /// be decided in `resolutions` (by path), else nothing changes.
    pub async fn upgrade(&self, fork: &str, resolutions: &BTreeMap<String, Side>, by: &str) -> Result<Plan> {
        let plan = self.upgrade_plan(fork, resolutions).await?;
        if plan.is_current() {
            return Err(Error::Conflict(Text::new("已经是最新版本", "It is on the newest version already")));
        }
        if !plan.conflicts.is_empty() {
            return Err(Error::MergeConflicts(plan.conflicts));
        }
        self.apps.save(plan.merged.clone(), &plan.install.community_id, by).await?;
        self.store.install_upgraded(fork, &plan.to.version, self.now()).await?;
        Ok(plan)
    }
}
