//! Comments on a spending proposal (居民评议): residents of the community and its staff say
//! what they think while the proposal is still being proposed, reviewed or decided (or voted
//! on). A comment is an event of the case, `comment.added`, hash-chained like every other and
//! written in one transaction conditional on the case's event count, so it shows in the case's
//! timeline for the committee reviewing it. It never moves the case.
//!
//! Who may comment is decided in [`crate::auth::steps::may_comment`]; which cases are
//! proposals by their app ([`baida_blocks::CompiledApp::books_expenses`]); the public proposal
//! page ([`crate::ledger::proposal`]) reads the comments, never the other way round. Publicly a
//! comment shows only its text, its time and a label such as `居民 · 3号楼` — never who the
//! resident is.

use baida_blocks::{BlockConfig, CompiledApp, Lang, Text};
use baida_core::kinds::CaseStatus;
use baida_core::kinds::EventKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::Engine;
use super::flow::Flow;
use crate::auth::{Actor, steps};
use baida_store::{self as store, Case, Event};

/// The longest comment, in characters.
pub const MAX_CHARS: usize = 2000;
/// Writes tried when concurrent changes keep moving the case's event count.
const ATTEMPTS: u32 = 3;

/// Why a comment was not added. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error("the comment is empty")]
    Empty,
    #[error("the comment has {0} characters, more than {MAX_CHARS}")]
    TooLong(usize),
    /// The proposal is past the stages that take comments (paid, closed, suspended).
    #[error("the proposal no longer takes comments")]
    Closed,
    #[error("{}", .0.en())]
    Forbidden(Text),
    /// No such case, or not a proposal: its comments are not public.
    #[error("no such proposal")]
    UnknownCase,
    #[error(transparent)]
    App(#[from] crate::apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// A comment as anyone may read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comment {
    /// The event's place in the case's chain.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `居民 · 3号楼`, `社区 / 业委会`: a label, never a name or a number.
    pub author: String,
    /// The step the proposal was at.
    pub step: String,
    pub text: String,
}

/// Whether a case takes comments now: open, and at a step where the proposal is being
/// proposed, reviewed, decided or voted on (form, review and vote blocks) — not once it is
/// being paid or is closed.
pub fn open_for_comments(app: &CompiledApp, case: &Case) -> bool {
    case.status == CaseStatus::Open
        && case
            .current_step
            .as_deref()
            .and_then(|s| app.app.step(s))
            .is_some_and(|s| matches!(s.block, BlockConfig::Form(_) | BlockConfig::Review(_) | BlockConfig::Vote(_)))
}

/// The public label of a comment's author.
fn author(data: &Value, lang: Lang) -> String {
    match (data.get("by").and_then(Value::as_str), data.get("building").and_then(Value::as_str)) {
        (Some("resident"), Some(b)) if !b.is_empty() => Text::new(format!("居民 · {b}"), format!("Resident · {b}")),
        (Some("resident"), _) => Text::new("居民", "Resident"),
        _ => Text::new("社区 / 业委会", "Community / committee"),
    }
    .get(lang)
    .to_string()
}

impl Comment {
    /// A `comment.added` event as the public reads it.
    pub fn of(e: &Event, lang: Lang) -> Comment {
        let s = |k: &str| e.data.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        Comment { seq: e.seq, at: e.at, author: author(&e.data, lang), step: s("step"), text: s("text") }
    }
}

/// The comments among a case's events, oldest first.
pub fn comments(events: &[Event], lang: Lang) -> Vec<Comment> {
    events.iter().filter(|e| e.kind == EventKind::CommentAdded).map(|e| Comment::of(e, lang)).collect()
}

/// The comment's text, trimmed, if it is neither empty nor too long.
pub fn checked_text(text: &str) -> Result<String, CommentError> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 {
        Err(CommentError::Empty)
    } else if n > MAX_CHARS {
        Err(CommentError::TooLong(n))
    } else {
        Ok(text.to_string())
    }
}

impl Engine {
    /// Adds `who`'s comment to proposal `case_id` as a `comment.added` event, in one
    /// transaction; answers the comment as the public reads it.
    pub async fn comment(&self, case_id: &str, text: &str, who: &Actor, lang: Lang) -> Result<Comment, CommentError> {
        let text = checked_text(text)?;
        let mut attempt = 1;
        loop {
            let case = self.store.case(case_id).await?.ok_or(CommentError::UnknownCase)?;
            let loaded =
                self.apps.load(&case.app_id, Some(&case.app_version)).await?.ok_or(CommentError::UnknownCase)?;
            let app = &loaded.compiled;
            if !app.books_expenses() {
                return Err(CommentError::UnknownCase);
            }
            if !open_for_comments(app, &case) {
                return Err(CommentError::Closed);
            }
            let tree = self.org_tree().await?;
            steps::may_comment(who, &case, &tree).map_err(CommentError::Forbidden)?;
            let data = match who {
                Actor::Resident { home, .. } => json!({
                    "step": case.current_step, "text": text, "by": "resident",
                    "building": home.as_ref().map(|h| h.building.clone()).unwrap_or_default(),
                }),
                _ => json!({"step": case.current_step, "text": text, "by": "staff"}),
            };
            let responsibilities = self.responsibilities().await?;
            let label = who.label();
            let mut flow = Flow::resume(app, &self.calendar, &case, self.clock.now(), &label, &responsibilities);
            flow.emit(EventKind::CommentAdded, data);
            let event = flow.events.last().cloned();
            match self.store.apply(&flow.into_change(case.event_count)).await {
                Ok(()) => {
                    return event.map(|e| Comment::of(&e, lang)).ok_or(CommentError::UnknownCase);
                }
                Err(store::Error::Conflict(_)) if attempt < ATTEMPTS => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_neither_empty_nor_too_long() {
        assert!(matches!(checked_text("  \n "), Err(CommentError::Empty)));
        assert_eq!(checked_text(" 同意更换 ").unwrap(), "同意更换");
        assert!(checked_text(&"评".repeat(MAX_CHARS)).is_ok(), "2000 characters, not bytes");
        assert!(matches!(checked_text(&"评".repeat(MAX_CHARS + 1)), Err(CommentError::TooLong(2001))));
    }

    #[test]
    fn authors_are_labels_not_people() {
        let resident = json!({"by": "resident", "building": "3号楼", "text": "x"});
        assert_eq!(author(&resident, Lang::ZhCn), "居民 · 3号楼");
        assert_eq!(author(&resident, Lang::En), "Resident · 3号楼");
        assert_eq!(author(&json!({"by": "staff"}), Lang::ZhCn), "社区 / 业委会");
    }
}
