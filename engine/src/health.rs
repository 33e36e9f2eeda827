//! How the engine's database is doing, for health checks, readiness and metrics: whether it
//! answers, whether it carries this build's migrations, the connection pool, the outbox's
//! backlog — and the feed of committed changes that live pages follow.

use futures::stream::BoxStream;

use crate::Engine;
use baida_store::{self as store, changes::Change};

impl Engine {
    /// `sqlite` or `postgres`.
    pub fn database(&self) -> &'static str {
        self.store.backend()
    }

    /// Does the database answer a query?
    pub async fn database_answers(&self) -> Result<(), store::Error> {
        self.store.org_units().await.map(|_| ())
    }

    /// Ready to take requests: `Ok(Err(missing))` lists migrations this build needs that the
    /// database lacks.
    pub async fn ready(&self) -> Result<Result<(), Vec<i64>>, store::Error> {
        self.store.ready().await
    }

    /// The pool now: connections open, and idle.
    pub fn pool_stats(&self) -> (u32, usize) {
        self.store.pool_stats()
    }

    /// How long taking a connection from the pool takes now.
    pub async fn pool_wait(&self) -> Result<std::time::Duration, store::Error> {
        self.store.pool_wait().await
    }

    /// Messages waiting in the outbox.
    pub async fn outbox_backlog(&self) -> Result<i64, store::Error> {
        self.store.outbox_backlog().await
    }

    /// The committed changes (case events, inbox messages), from this node and — on
    /// PostgreSQL — every other one.
    pub fn changes(&self) -> BoxStream<'static, Change> {
        self.store.changes()
    }
}
