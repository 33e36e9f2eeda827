//! Stopping gracefully: on SIGTERM (what systemd and container runtimes send) or Ctrl-C the
//! server stops accepting connections, finishes the requests in flight — their transactions
//! commit and their answers are sent whole — and only then tells the background workers
//! (scheduler, outbox, ledger sealer) to stop after the piece of work they are doing. A worker
//! is never interrupted inside a transaction.

use tokio::sync::watch;

/// Tells the background workers to stop.
pub struct Stop(watch::Sender<bool>);

/// What a background worker watches to know when to stop.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

/// A new stop signal and what workers watch.
pub fn channel() -> (Stop, Stopping) {
    let (tx, rx) = watch::channel(false);
    (Stop(tx), Stopping(rx))
}

impl Stop {
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Stopping {
    /// Resolves once the stop is given (at once if it was).
    pub async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server gracefully");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: stopping gracefully"),
        _ = term => tracing::info!("SIGTERM: stopping gracefully"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn workers_see_the_stop_even_when_it_came_first() {
        let (stop, stopping) = channel();
        let mut late = stopping.clone();
        stop.stop();
        tokio::time::timeout(std::time::Duration::from_secs(1), late.stopped()).await.unwrap();
    }
}
