//! Spending proposals as the public reads them (`/ledger/{community}/proposals`): the cases of
//! an app that books expenses to the open ledger (a `ledger` step with direction `expense`,
//! such as 提评决付), each with what its proposing form asked — what, why, account, amount,
//! quotes —, the step it is at, the residents' comments and its vote.
//!
//! Residents' personal data never appears: no proposer, no voter, no phone or ID fields (by
//! type or by dictionary sensitivity), comments by label only (`engine::comment`).

use baida_blocks::{BlockConfig, CompiledApp, CompiledField, FieldType, Lang, Text};
use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::apps::Apps;
use crate::comment::{self, Comment};
use crate::vote::ballots;
use baida_store::{Case, CaseFilter, Event, Store};

/// Proposals a list shows per app.
const LISTED: i64 = 100;

/// Whether cases of `app` are spending proposals ([`CompiledApp::books_expenses`]).
pub fn is_proposal(app: &CompiledApp) -> bool {
    app.books_expenses()
}

/// One answer of the proposing form, in the reader's language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub key: String,
    pub label: String,
    /// The answer as text (a select's option label); empty for photos.
    pub text: String,
    /// SHA-256 of each photo.
    pub photos: Vec<String>,
}

/// A vote as the public reads it: counts only once it has closed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    pub step: String,
    pub open: bool,
    /// How many may vote.
    pub electorate: u64,
    /// Ballots cast so far.
    pub cast: u64,
    pub closes_at: Option<DateTime<Utc>>,
    /// `passed`, `failed` or `no_quorum`, once closed.
    pub outcome: Option<String>,
    pub yes: Option<u64>,
    pub no: Option<u64>,
    pub abstain: Option<u64>,
}

/// A proposal in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub id: String,
    pub number: String,
    pub title: String,
    pub amount: String,
    pub account: String,
    /// `open`, `suspended` or `closed`.
    pub status: CaseStatus,
    /// The current step's name (or "closed").
    pub step_name: String,
    pub comments: usize,
    pub proposed_at: DateTime<Utc>,
}

/// A proposal with everything the public may read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Proposal {
    #[serde(flatten)]
    pub summary: Summary,
    pub community_id: String,
    /// The current step's id.
    pub step: Option<String>,
    pub answers: Vec<Answer>,
    pub comments_open: bool,
    pub comments: Vec<Comment>,
    pub vote: Option<VoteView>,
}

fn as_text(f: &CompiledField, v: &Value, lang: Lang) -> String {
    match v {
        Value::String(s) => match f.choices.iter().find(|c| c.value() == s) {
            Some(c) => c.label().get(lang).to_string(),
            None => s.clone(),
        },
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The proposing form's answers: the fields of the app's first step, when it is a form.
fn answers(app: &CompiledApp, record: &Value, lang: Lang) -> Vec<Answer> {
    app.published_fields()
        .into_iter()
        .filter_map(|f| {
            let v = record.get(&f.field.key)?;
            let label = f.field.label.as_ref().map_or(f.field.key.clone(), |l| l.get(lang).to_string());
            let (text, photos) = match (f.ty, v) {
                (FieldType::Photo, Value::Array(a)) => {
                    (String::new(), a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                }
                (FieldType::Photo, Value::String(s)) => (String::new(), vec![s.clone()]),
                _ => (as_text(f, v, lang), Vec::new()),
            };
            Some(Answer { key: f.field.key.clone(), label, text, photos })
        })
        .collect()
}

/// The record field a `ledger` step names (`record.x` or `x`).
fn ledger_value(app: &CompiledApp, record: &Value, pick: fn(&baida_blocks::step::LedgerConfig) -> &str) -> String {
    let config = app.app.steps.iter().find_map(|s| match &s.block {
        BlockConfig::Ledger(c) => Some(c),
        _ => None,
    });
    let Some(c) = config else { return String::new() };
    let name = pick(c);
    match record.get(name.strip_prefix("record.").unwrap_or(name)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn account(app: &CompiledApp, record: &Value) -> String {
    let c = app.app.steps.iter().find_map(|s| match &s.block {
        BlockConfig::Ledger(c) => Some(c),
        _ => None,
    });
    match c.map(|c| c.account.as_str()) {
        Some(a) => match a.strip_prefix("record.") {
            Some(k) => record.get(k).and_then(Value::as_str).unwrap_or_default().to_string(),
            None => a.to_string(),
        },
        None => String::new(),
    }
}

fn step_name(app: &CompiledApp, case: &Case, lang: Lang) -> String {
    if case.status == CaseStatus::Closed {
        return Text::new("已办结", "Closed").get(lang).to_string();
    }
    case.current_step.as_deref().map(|s| app.step_name(s, lang)).unwrap_or_default()
}

fn summary(app: &CompiledApp, case: &Case, events: &[Event], lang: Lang) -> Summary {
    Summary {
        id: case.id.clone(),
        number: case.number.clone(),
        title: ledger_value(app, &case.record, |c| &c.purpose),
        amount: ledger_value(app, &case.record, |c| &c.amount),
        account: super::entry::account_name(&account(app, &case.record)).get(lang).to_string(),
        status: case.status,
        step_name: step_name(app, case, lang),
        comments: events.iter().filter(|e| e.kind == EventKind::CommentAdded).count(),
        proposed_at: case.created_at,
    }
}

/// The latest vote of the case, if one opened.
fn vote(case: &Case, events: &[Event]) -> Option<VoteView> {
    let opened = events.iter().rev().find(|e| e.kind == EventKind::VoteOpened)?;
    let step = opened.data.get("step").and_then(Value::as_str)?.to_string();
    let (_, cast) = ballots(events, &step);
    let closed = events
        .iter()
        .filter(|e| e.seq > opened.seq && e.kind == EventKind::VoteClosed)
        .find(|e| e.data.get("step").and_then(Value::as_str) == Some(step.as_str()));
    let n = |k: &str| closed.and_then(|c| c.data.get(k)).and_then(Value::as_u64);
    Some(VoteView {
        open: closed.is_none()
            && case.status == CaseStatus::Open
            && case.current_step.as_deref() == Some(step.as_str()),
        electorate: opened.data.get("electorate").and_then(Value::as_u64).unwrap_or(0),
        cast: cast.len() as u64,
        closes_at: opened.data.get("closes_at").and_then(|v| serde_json::from_value(v.clone()).ok()),
        outcome: closed.and_then(|c| c.data.get("outcome")).and_then(Value::as_str).map(str::to_string),
        yes: n("yes"),
        no: n("no"),
        abstain: n("abstain"),
        step,
    })
}

/// Whether `voter` (an actor label) has cast a ballot in the case's latest vote.
pub fn has_voted(events: &[Event], voter: &str) -> bool {
    let Some(opened) = events.iter().rev().find(|e| e.kind == EventKind::VoteOpened) else { return false };
    let step = opened.data.get("step").and_then(Value::as_str).unwrap_or_default();
    ballots(events, step).1.iter().any(|e| e.data.get("voter").and_then(Value::as_str) == Some(voter))
}

/// A proposal of `community`, or `None` when there is no such case there or it is not a
/// proposal. Also answers the case's events, for the caller's own questions (has this person
/// voted?).
pub async fn proposal(
    store: &dyn Store,
    apps: &Apps,
    community: &str,
    id: &str,
    lang: Lang,
) -> Result<Option<(Proposal, Vec<Event>)>, crate::apps::Error> {
    let Some(case) = store.case(id).await?.filter(|c| c.community_id == community) else { return Ok(None) };
    let Some(loaded) = apps.load(&case.app_id, Some(&case.app_version)).await? else { return Ok(None) };
    let app = &loaded.compiled;
    if !is_proposal(app) {
        return Ok(None);
    }
    let events = store.events(id).await?;
    let p = Proposal {
        summary: summary(app, &case, &events, lang),
        community_id: case.community_id.clone(),
        step: case.current_step.clone().filter(|_| case.status == CaseStatus::Open),
        answers: answers(app, &case.record, lang),
        comments_open: comment::open_for_comments(app, &case),
        comments: comment::comments(&events, lang),
        vote: vote(&case, &events),
    };
    Ok(Some((p, events)))
}

/// The proposals of a community, open ones first, newest first within each.
pub async fn list(
    store: &dyn Store,
    apps: &Apps,
    community: &str,
    lang: Lang,
) -> Result<Vec<Summary>, crate::apps::Error> {
    let mut out = Vec::new();
    for a in store.apps().await? {
        let Some(latest) = apps.load(&a.app_id, None).await? else { continue };
        if !is_proposal(&latest.compiled) {
            continue;
        }
        let filter = CaseFilter {
            app_id: Some(a.app_id.clone()),
            community_id: Some(community.to_string()),
            limit: LISTED,
            ..CaseFilter::default()
        };
        for case in store.cases(&filter).await? {
            let Some(loaded) = apps.load(&case.app_id, Some(&case.app_version)).await? else { continue };
            let events = store.events(&case.id).await?;
            out.push(summary(&loaded.compiled, &case, &events, lang));
        }
    }
    out.sort_by(|a, b| {
        (a.status != CaseStatus::Open).cmp(&(b.status != CaseStatus::Open)).then(b.proposed_at.cmp(&a.proposed_at))
    });
    Ok(out)
}

impl crate::Engine {
    /// A proposal of `community` with its events ([`proposal`]).
    pub async fn proposal(
        &self,
        community: &str,
        id: &str,
        lang: Lang,
    ) -> Result<Option<(Proposal, Vec<Event>)>, crate::apps::Error> {
        proposal(self.store.as_ref(), &self.apps, community, id, lang).await
    }

    /// The proposal that case `id` is, wherever it was filed; `None` when there is no such
    /// case or it is not a proposal.
    pub async fn proposal_by_id(&self, id: &str, lang: Lang) -> Result<Option<Proposal>, crate::apps::Error> {
        let Some(case) = self.store.case(id).await? else { return Ok(None) };
        Ok(self.proposal(&case.community_id, id, lang).await?.map(|(p, _)| p))
    }

    /// The proposals of a community ([`list`]).
    pub async fn proposals(&self, community: &str, lang: Lang) -> Result<Vec<Summary>, crate::apps::Error> {
        list(self.store.as_ref(), &self.apps, community, lang).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baida_blocks::{App, Dictionary};
    use serde_json::json;

    #[test]
    fn a_proposal_publishes_only_the_answers_marked_public() {
        let app = App::compile(
            &json!({
                "id": "spend", "version": "1.0.0", "name": "支出", "category": "ledger",
                "record": {"fields": [
                    {"key": "item", "type": "text", "sensitivity": "public"},
                    {"key": "amount", "type": "text", "sensitivity": "public"},
                    {"key": "payee", "type": "text", "sensitivity": "public"},
                    {"key": "note", "type": "textarea"},
                    {"key": "phone", "type": "phone", "sensitivity": "public"}
                ]},
                "steps": [
                    {"id": "propose", "block": "form", "config": {}},
                    {"id": "pay", "block": "ledger", "config": {"account": "community_fund", "direction": "expense",
                     "amount": "amount", "counterparty": "payee", "purpose": "item", "approved_if": "true"}}
                ],
                "transitions": [{"from": "propose", "to": "pay"}]
            }),
            &Dictionary::default(),
        )
        .unwrap();
        let record =
            json!({"item": "换灯", "amount": "12.00", "payee": "五金店", "note": "内部备注", "phone": "13812345678"});
        let shown: Vec<String> = answers(&app, &record, Lang::ZhCn).into_iter().map(|a| a.key).collect();
        assert_eq!(shown, ["item", "amount", "payee"], "internal fields and phone numbers stay unpublished");
    }
}
