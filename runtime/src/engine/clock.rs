//! The time, from one injectable source.

use chrono::{DateTime, SubsecRound, Utc};

/// Where the engine reads the time. Times are truncated to milliseconds so that what is
/// hashed is exactly what every database stores.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}
