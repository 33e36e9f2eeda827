//! Pacing: background work yields to residents' submissions.
//!
//! Firing escalation timers and delivering the outbox compete with submissions for the same
//! database (SQLite has one writer; PostgreSQL a shared pool). An escalation that arrives a
//! few seconds late harms no one; a resident waiting on a spinning form does. So the engine
//! counts submissions in flight ([`Intake::begin`]), and while any are in flight or one ended
//! moments ago, the scheduler and the outbox sleep after each piece of work for
//! [`YIELD_FACTOR`] times as long as it took ([`Intake::yield_after`]): they then take at most
//! a fifth of the time. Idle, they run at full speed; they always make progress.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Background work sleeps this many times as long as it worked while submissions are busy.
pub const YIELD_FACTOR: u32 = 4;
/// A submission that ended this recently still counts as load.
const RECENT: Duration = Duration::from_millis(250);
/// The longest single pause, so background work never stalls.
const MAX_PAUSE: Duration = Duration::from_millis(500);

/// How busy the intake is.
#[derive(Debug)]
pub struct Intake {
    in_flight: AtomicUsize,
    /// When the last submission ended, in milliseconds since `epoch`, plus one (0: never).
    last_ms: AtomicU64,
    epoch: Instant,
}

impl Default for Intake {
    fn default() -> Self {
        Intake { in_flight: AtomicUsize::new(0), last_ms: AtomicU64::new(0), epoch: Instant::now() }
    }
}

/// A submission in flight; dropping it ends it.
pub struct InFlight<'a>(&'a Intake);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.last_ms.store(self.0.now_ms(), Ordering::Relaxed);
    }
}

impl Intake {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// Counts a submission until the guard is dropped.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Submissions are in flight, or one ended moments ago.
    pub fn busy(&self) -> bool {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return true;
        }
        let last = self.last_ms.load(Ordering::Relaxed);
        last > 0 && self.now_ms() - last < RECENT.as_millis() as u64
    }

    /// How long background work that took `spent` should now pause (zero when idle).
    pub fn pause_after(&self, spent: Duration) -> Duration {
        if self.busy() { (spent * YIELD_FACTOR).min(MAX_PAUSE) } else { Duration::ZERO }
    }

    /// Pauses after background work that took `spent`, if submissions are busy.
    pub async fn yield_after(&self, spent: Duration) {
        let pause = self.pause_after(spent);
        if pause.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(pause).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_work_pauses_only_while_submissions_are_busy() {
        let intake = Intake::default();
        let spent = Duration::from_millis(20);
        assert_eq!(intake.pause_after(spent), Duration::ZERO, "idle: full speed");
        let guard = intake.begin();
        assert_eq!(intake.pause_after(spent), Duration::from_millis(80), "busy: four times as long");
        assert_eq!(intake.pause_after(Duration::from_secs(1)), MAX_PAUSE, "never stalls");
        drop(guard);
        assert!(intake.busy(), "a submission that just ended still counts");
        std::thread::sleep(RECENT + Duration::from_millis(50));
        assert!(!intake.busy());
    }
}
