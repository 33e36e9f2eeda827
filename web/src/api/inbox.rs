//! The in-app inbox of a unit (or, once people exist, a person): escalation letters and
//! notifications, listed and pushed live by server-sent events (resumable with
//! `Last-Event-ID`, the id of the last message seen).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::StaffActor;
use crate::live::Change;
use crate::{ApiError, AppState};

use baida_store::InboxItem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(stream))
}

/// How long one live connection stays open before the client reconnects (and resumes).
const STREAM_SECONDS: u64 = 300;

/// The newest messages of an inbox, newest first.
#[utoipa::path(get, path = "/api/v1/inbox/{recipient}", tag = "inbox", params(("recipient" = String, Path, description = "An org unit id")),
    responses((status = 200, body = [Object])), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(recipient): Path<String>,
) -> Result<Json<Vec<InboxItem>>, ApiError> {
    let tree = crate::access::tree(&state).await?;
    Ok(Json(state.engine.inbox(&actor, &recipient, &tree, 100).await?.ok_or_else(no_such_inbox)?))
}

fn no_such_inbox() -> ApiError {
    ApiError::NotFound(baida_blocks::Text::new("没有这个收件箱", "No such inbox"))
}

/// New messages as they arrive (`event: message`, `id` = the message id).
#[utoipa::path(get, path = "/api/v1/inbox/{recipient}/stream", tag = "inbox",
    params(("recipient" = String, Path, description = "An org unit id"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last message seen: the stream resumes after it")),
    responses((status = 200, description = "Server-sent events: `event: message`, `id` = the message id, `data` = the message as JSON", content_type = "text/event-stream", body = String)),
    security(("bearer" = []), ("session" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    client: crate::extract::Client,
    Path(recipient): Path<String>,
    headers: HeaderMap,
) -> Response {
    let tree = match crate::access::tree(&state).await {
        Ok(tree) => tree,
        Err(e) => return e.into_response(),
    };
    // The newest message now (or the one the client last saw): the stream sends what comes after.
    let newest = match state.engine.inbox(&actor, &recipient, &tree, 1).await {
        Ok(Some(items)) => items.first().map(|i| i.id.clone()).unwrap_or_default(),
        Ok(None) => return no_such_inbox().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let slot = match state.live.open(client.0) {
        Ok(slot) => slot,
        Err(e) => return e.into_response(),
    };
    let after = match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        Some(id) => id.to_string(),
        None => newest,
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(STREAM_SECONDS);
    // The slot lives as long as the stream; the first round looks at once (a reconnect with
    // `Last-Event-ID` may have missed messages). A message's id is made when it is queued and
    // messages are delivered (committed) in any order, so the stream remembers what it sent
    // instead of trusting ids to arrive in order: it sends every message after `after` not sent.
    let sent = std::collections::HashSet::<String>::new();
    let events = futures::stream::unfold(
        (sent, Vec::<SseEvent>::new(), slot, true),
        move |(mut sent, mut pending, mut slot, mut look)| {
            let (state, recipient, after, actor, tree) =
                (state.clone(), recipient.clone(), after.clone(), actor.clone(), tree.clone());
            async move {
                loop {
                    if let Some(next) = pending.pop() {
                        return Some((Ok::<_, std::convert::Infallible>(next), (sent, pending, slot, look)));
                    }
                    if !look {
                        // The database is read only when a message for this inbox was committed.
                        match slot.next_change(deadline).await? {
                            Change::Inbox(r) if r == recipient => {}
                            Change::Missed => {}
                            _ => continue,
                        }
                    }
                    look = false;
                    let Ok(Some(items)) = state.engine.inbox(&actor, &recipient, &tree, 200).await else { continue };
                    // Newest first from the store: `pending` is popped from its end, oldest first.
                    let fresh: Vec<&InboxItem> =
                        items.iter().filter(|i| i.id > after && !sent.contains(&i.id)).collect();
                    sent.extend(fresh.iter().map(|i| i.id.clone()));
                    pending = fresh
                        .into_iter()
                        .map(|i| {
                            SseEvent::default()
                                .id(i.id.clone())
                                .event("message")
                                .data(serde_json::to_string(i).unwrap_or_default())
                        })
                        .collect();
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))).into_response()
}
