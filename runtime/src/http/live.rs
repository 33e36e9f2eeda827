//! Live pages (server-sent events: the resident's case page, a unit's inbox) hold a
//! connection open for minutes. Each client address may hold at most [`PER_CLIENT`] at once (a
//! carrier NAT puts many residents behind one address, so the cap is generous) —
//! one more answers 429 — so no client can tie up the server's connections and the database
//! polls behind them. A stream's [`Slot`] frees its place when the stream ends or the browser
//! goes away.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use baida_blocks::Text;

use super::ApiError;
use crate::auth::limit::Key;

/// Live streams one client address may hold open at once.
pub const PER_CLIENT: usize = 32;

/// The open live streams, per client address (IPv6 by /64).
#[derive(Default, Clone)]
pub struct LiveStreams(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open stream's place; dropping it frees the place.
pub struct Slot {
    streams: LiveStreams,
    client: IpAddr,
}

impl LiveStreams {
    /// A place for one more stream of `client`, or 429.
    pub fn open(&self, client: IpAddr) -> Result<Slot, ApiError> {
        let client = client.key();
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
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
        Ok(Slot { streams: self.clone(), client })
    }

    /// How many streams `client` holds.
    pub fn held(&self, client: IpAddr) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&client.key()).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().unwrap_or_else(|e| e.into_inner());
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
}
