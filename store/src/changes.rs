//! What changed, as it is committed: the feed behind the live pages ([`baida_web::live`]).
//! One feed per process, whatever the number of pages open, and it sees the changes every node
//! makes:
//!
//! - **SQLite** (one node): one small read a second of the event and inbox rows added since the
//!   last read, by `rowid`. SQLite commits one writer at a time and numbers rows as it inserts
//!   them, so a row is never seen before one numbered below it.
//! - **PostgreSQL** (one node or several): the migration `20261207200000_change_feed.sql` has a
//!   trigger on each table call `pg_notify` on the channel `baida:<schema>`, which PostgreSQL
//!   delivers when the writing transaction commits, to every node listening. A lost connection
//!   loses notifications: the feed says [`Change::Missed`] and every page looks again.

use futures::StreamExt;
use futures::stream::BoxStream;

use super::db::Db;
use super::sql_store::SqlStore;

/// One committed change a page may be following.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// A case got new events (its id).
    Case(String),
    /// An inbox got a message (its recipient).
    Inbox(String),
    /// Changes may have been missed (the feed lost its connection or fell behind): everything
    /// following a page looks again.
    Missed,
}

impl Change {
    /// A notification's payload: `case:<id>` or `inbox:<recipient>`.
    fn parse(payload: &str) -> Change {
        match payload.split_once(':') {
            Some(("case", id)) => Change::Case(id.to_string()),
            Some(("inbox", recipient)) => Change::Inbox(recipient.to_string()),
            _ => Change::Missed,
        }
    }
}

/// How often the SQLite feed reads what is new.
const SQLITE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Rows one SQLite read takes at most (the rest in the next read, at once).
const SQLITE_BATCH: i64 = 2000;

/// The feed of committed changes.
pub trait ChangeFeed {
    /// The changes committed from now on, until the store closes.
    fn changes(&self) -> BoxStream<'static, Change>;
}

impl ChangeFeed for SqlStore {
    fn changes(&self) -> BoxStream<'static, Change> {
        match &self.db {
            Db::Sqlite(pool) => sqlite_changes(pool.clone()),
            Db::Postgres(pool) => postgres_changes(pool.clone()),
        }
    }
}

/// SQLite's feed: the rows added since the last read, once a second.
fn sqlite_changes(pool: sqlx::SqlitePool) -> BoxStream<'static, Change> {
    /// Where the feed is: the last rows read (`None` until the first read finds where the
    /// tables end now), what is read and not yet handed out, and whether the last read
    /// left rows behind (then the next read comes at once).
    struct Feed {
        pool: sqlx::SqlitePool,
        at: Option<(i64, i64)>,
        out: Vec<Change>,
        behind: bool,
    }
    let feed = Feed { pool, at: None, out: Vec::new(), behind: false };
    futures::stream::unfold(feed, |mut feed| async move {
        loop {
            if let Some(next) = feed.out.pop() {
                return Some((next, feed));
            }
            if feed.pool.is_closed() {
                return None;
            }
            let Some((events, inbox)) = feed.at else {
                let ends = sqlx::query_as(
                    "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM case_events), (SELECT COALESCE(MAX(rowid), 0) FROM inbox)",
                )
                .fetch_one(&feed.pool)
                .await;
                match ends {
                    Ok(ends) => feed.at = Some(ends),
                    Err(_) => tokio::time::sleep(SQLITE_EVERY).await,
                }
                continue;
            };
            if !feed.behind {
                tokio::time::sleep(SQLITE_EVERY).await;
            }
            match read_after(&feed.pool, events, inbox).await {
                Ok((new_events, new_inbox)) => {
                    feed.behind = new_events.len() as i64 == SQLITE_BATCH || new_inbox.len() as i64 == SQLITE_BATCH;
                    feed.at = Some((
                        new_events.last().map_or(events, |(n, _)| *n),
                        new_inbox.last().map_or(inbox, |(n, _)| *n),
                    ));
                    let mut seen = std::collections::HashSet::new();
                    feed.out = new_events
                        .into_iter()
                        .map(|(_, id)| Change::Case(id))
                        .chain(new_inbox.into_iter().map(|(_, r)| Change::Inbox(r)))
                        .filter(|c| seen.insert(c.clone()))
                        .collect();
                    feed.out.reverse();
                }
                Err(e) => {
                    if !feed.pool.is_closed() {
                        tracing::warn!(error = %e, "reading changes failed; live pages look again");
                    }
                    feed.behind = false;
                    feed.out = vec![Change::Missed];
                }
            }
        }
    })
    .boxed()
}

/// The event rows (case ids) and inbox rows (recipients) added after the given rowids.
async fn read_after(
    pool: &sqlx::SqlitePool,
    events: i64,
    inbox: i64,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), sqlx::Error> {
    let new_events = sqlx::query_as("SELECT rowid, case_id FROM case_events WHERE rowid > ? ORDER BY rowid LIMIT ?")
        .bind(events)
        .bind(SQLITE_BATCH)
        .fetch_all(pool)
        .await?;
    let new_inbox = sqlx::query_as("SELECT rowid, recipient FROM inbox WHERE rowid > ? ORDER BY rowid LIMIT ?")
        .bind(inbox)
        .bind(SQLITE_BATCH)
        .fetch_all(pool)
        .await?;
    Ok((new_events, new_inbox))
}

/// PostgreSQL's feed: the notifications of this schema's channel.
fn postgres_changes(pool: sqlx::PgPool) -> BoxStream<'static, Change> {
    futures::stream::unfold((pool, None::<sqlx::postgres::PgListener>), |(pool, mut listener)| async move {
        loop {
            if pool.is_closed() {
                return None;
            }
            let Some(l) = listener.as_mut() else {
                match listen(&pool).await {
                    Ok(l) => {
                        listener = Some(l);
                        // What happened while nobody listened is not known.
                        return Some((Change::Missed, (pool, listener)));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for changes; live pages wait");
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        continue;
                    }
                }
            };
            match l.try_recv().await {
                Ok(Some(n)) => return Some((Change::parse(n.payload()), (pool, listener))),
                // The connection was lost; the next call reconnects.
                Ok(None) => return Some((Change::Missed, (pool, listener))),
                Err(sqlx::Error::PoolClosed) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for changes failed; listening again");
                    listener = None;
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    })
    .boxed()
}

/// A listener on this schema's channel (the triggers notify `baida:<the table's schema>`).
async fn listen(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(pool).await?;
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(&format!("baida:{schema}")).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn payloads_name_what_changed() {
        assert_eq!(Change::parse("case:0193-abc"), Change::Case("0193-abc".into()));
        assert_eq!(Change::parse("inbox:unit:xinzhou"), Change::Inbox("unit:xinzhou".into()));
        assert_eq!(Change::parse("garbage"), Change::Missed);
    }
}
