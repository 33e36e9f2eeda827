//! Live pages (server-sent events: the resident's case page, a unit's inbox) hold a
//! connection open for minutes.
//!
//! They are pushed from **one broadcast per process**: [`spawn_feed`] forwards the store's
//! change feed ([`baida_store::changes`]: committed events and inbox messages, from this node
//! and, on PostgreSQL, every other) to every open stream, and a stream reads the database only
//! when a change concerns what it shows. A thousand open pages cost no reads while nothing
//! happens.
//!
//! Each client address may hold at most [`PER_CLIENT`] streams at once (a carrier NAT puts many
//! residents behind one address, so the cap is generous) — one more answers 429 — so no client
//! can tie up the server's connections. A stream's [`Slot`] frees its place when the stream
//! ends or the browser goes away.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use baida_blocks::Text;
use futures::StreamExt;
use tokio::sync::broadcast;

use crate::ApiError;
use baida_engine::auth::limit::Key;
pub use baida_store::changes::Change;

/// Live streams one client address may hold open at once.
pub const PER_CLIENT: usize = 32;

/// Changes the broadcast holds for a stream that is slow to take them; past that the stream
/// is told it missed some ([`Change::Missed`]) and looks again.
const BACKLOG: usize = 1024;

/// The open live streams, per client address (IPv6 by /64), and the broadcast of changes.
#[derive(Clone)]
pub struct LiveStreams {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    changes: broadcast::Sender<Change>,
}

impl Default for LiveStreams {
    fn default() -> Self {
        LiveStreams { open: Default::default(), changes: broadcast::channel(BACKLOG).0 }
    }
}

/// One open stream's place; dropping it frees the place.
pub struct Slot {
    streams: LiveStreams,
    client: IpAddr,
    /// The changes committed since the stream opened.
    changes: broadcast::Receiver<Change>,
}

impl Slot {
    /// Waits for the next change until `deadline`: `None` when the deadline passed or the server
    /// stops. A stream that fell behind gets [`Change::Missed`].
    pub async fn next_change(&mut self, deadline: tokio::time::Instant) -> Option<Change> {
        match tokio::time::timeout_at(deadline, self.changes.recv()).await {
            Err(_) | Ok(Err(broadcast::error::RecvError::Closed)) => None,
            Ok(Ok(change)) => Some(change),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => Some(Change::Missed),
        }
    }
}

/// Forwards the store's change feed to every open stream until the server stops.
pub fn spawn_feed(
    engine: Arc<baida_engine::Engine>,
    streams: LiveStreams,
    mut stopping: baida_engine::shutdown::Stopping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut feed = engine.changes();
        loop {
            tokio::select! {
                change = feed.next() => match change {
                    // Nobody listening is not an error: the change concerns no open page.
                    Some(change) => { let _ = streams.changes.send(change); }
                    None => return,
                },
                _ = stopping.stopped() => return,
            }
        }
    })
}

impl LiveStreams {
    /// A place for one more stream of `client`, or 429.
    pub fn open(&self, client: IpAddr) -> Result<Slot, ApiError> {
        let client = client.key();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(client).or_default();
        if *n >= PER_CLIENT {
            return Err(ApiError::TooManyRequests {
                retry_after: 30,
                detail: Text::new(
                    format!("同时打开的实时页面过多（最多 {PER_CLIENT} 个），请关闭一些再试"),
                    format!("Too many live pages open at once (at most {PER_CLIENT}); close some and try again"),
                ),
            });
        }
        *n += 1;
        Ok(Slot { streams: self.clone(), client, changes: self.changes.subscribe() })
    }

    /// How many streams `client` holds.
    pub fn held(&self, client: IpAddr) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).get(&client.key()).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share_and_gets_it_back() {
        let streams = LiveStreams::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<Slot> = (0..PER_CLIENT).map(|_| streams.open(a).unwrap()).collect();
        assert!(streams.open(a).is_err());
        assert!(streams.open("192.0.2.2".parse().unwrap()).is_ok(), "another client is not held back");
        drop(slots);
        assert_eq!(streams.held(a), 0);
        assert!(streams.open(a).is_ok());
    }

    #[tokio::test]
    async fn every_open_stream_hears_each_change_and_a_slow_one_is_told_it_missed_some() {
        let streams = LiveStreams::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let (mut one, mut two) = (streams.open(a).unwrap(), streams.open(a).unwrap());
        let soon = || tokio::time::Instant::now() + std::time::Duration::from_secs(1);
        streams.changes.send(Change::Case("c1".into())).unwrap();
        assert_eq!(one.next_change(soon()).await, Some(Change::Case("c1".into())));
        assert_eq!(two.next_change(soon()).await, Some(Change::Case("c1".into())));
        for i in 0..BACKLOG + 1 {
            streams.changes.send(Change::Inbox(format!("r{i}"))).unwrap();
        }
        assert_eq!(one.next_change(soon()).await, Some(Change::Missed));
        assert!(two.next_change(tokio::time::Instant::now()).await.is_some());
        let mut idle = streams.open(a).unwrap();
        assert_eq!(idle.next_change(tokio::time::Instant::now() + std::time::Duration::from_millis(50)).await, None);
    }
}
