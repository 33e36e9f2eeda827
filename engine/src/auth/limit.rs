//! Rate limits per client address or per person (GCRA from `governor`, kept in memory per
//! process): log-in attempts, one-time-code requests and checks, password changes, comments. A limited client is told when
//! to come back; other clients are not affected.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// What a limit is kept per: a client address or a person.
pub trait Key: Hash + Eq + Clone {
    /// The key the limit counts under: an IPv6 address by its /64 (one subscriber's prefix,
    /// inside which anyone can pick a fresh address for every request), an IPv4 address written
    /// as IPv6 (`::ffff:a.b.c.d`) as that IPv4 address; anything else as it is.
    fn key(self) -> Self;
}

impl Key for IpAddr {
    fn key(self) -> Self {
        match self {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
            v4 => v4,
        }
    }
}

impl Key for String {
    fn key(self) -> Self {
        self
    }
}

/// One limit: a burst and a steady rate, per key (a client address by default).
pub struct Limit<K: Key = IpAddr> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Key> Limit<K> {
    /// `burst` requests at once, then one every `every`.
    pub fn new(burst: u32, every: Duration) -> Limit<K> {
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Limit { limiter: RateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// Forgets the clients whose limit has fully recovered (they would be let in at once), so
    /// memory follows the clients of the last minutes, not every address ever seen.
    pub fn forget_recovered(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many clients the limit remembers.
    pub fn remembered(&self) -> usize {
        self.limiter.len()
    }

    /// `Ok` when `client` may go on; otherwise how long it must wait.
    pub fn check(&self, client: K) -> Result<(), Duration> {
        self.limiter.check_key(&client.key()).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Like [`Limit::check`] for `n` units at once (bytes counted in KiB, say); more than the
    /// whole burst waits `refused` (it can never pass at once).
    pub fn check_n(&self, client: K, n: u32, refused: Duration) -> Result<(), Duration> {
        let Some(n) = NonZeroU32::new(n) else { return Ok(()) };
        match self.limiter.check_key_n(&client, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            Err(_) => Err(refused),
        }
    }
}

/// The per-client photo byte quota, in KiB: 256 MiB at once, refilled over an hour.
pub const PHOTO_KIB_PER_HOUR: u32 = 256 * 1024;

/// The limits a server keeps.
pub struct Limits {
    /// Staff log-in attempts: 20 at once, then one every 15 s, per address.
    pub login: Limit,
    /// Requests for a resident's log-in code: 10 at once, then one every 6 min, per address.
    pub code: Limit,
    /// Checks of a resident's log-in code: 20 at once, then one every 15 s, per address.
    pub verify: Limit,
    /// Checks of a resident's log-in code: 10 at once, then one every 30 s, per phone number
    /// (a code allows 5 tries anyway; this bounds the tries spread over many codes).
    pub verify_phone: Limit<String>,
    /// Changing one's own password (the current one is checked): 5 at once, then one a
    /// minute, per account, so that a stolen session cannot guess the password.
    pub password: Limit<String>,
    /// Comments on proposals: 5 at once, then one every 30 s, per person (actor label).
    pub comment: Limit<String>,
    /// Photo uploads (the API's and a posted form's photo parts): 30 at once, then one every
    /// 20 s, per address.
    pub photo_upload: Limit,
    /// Photo bytes, in KiB: [`PHOTO_KIB_PER_HOUR`] an hour per address.
    pub photo_kib: Limit,
    /// Submissions by people who are not logged in, per address (`None`: unlimited).
    pub public_submit: Option<Limit>,
    /// Definitions checked by people who are not logged in (`POST /api/v1/apps/validate`
    /// compiles scripts): 30 at once, then one every 2 s, per address.
    pub public_validate: Limit,
}

impl Limits {
    /// Forgets every client whose limits have recovered (see [`Limit::forget_recovered`]).
    pub fn forget_recovered(&self) {
        for limit in [&self.login, &self.code, &self.verify, &self.photo_upload, &self.photo_kib, &self.public_validate]
        {
            limit.forget_recovered();
        }
        if let Some(limit) = &self.public_submit {
            limit.forget_recovered();
        }
        for limit in [&self.verify_phone, &self.password, &self.comment] {
            limit.forget_recovered();
        }
    }

    /// The limits a server keeps that lets `per_minute` public submissions through from one client.
    pub fn new(per_minute: u32) -> Limits {
        Limits {
            public_submit: (per_minute > 0).then(|| Limit::new(per_minute, Duration::from_secs(60) / per_minute)),
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            login: Limit::new(20, Duration::from_secs(15)),
            code: Limit::new(10, Duration::from_secs(360)),
            verify: Limit::new(20, Duration::from_secs(15)),
            verify_phone: Limit::new(10, Duration::from_secs(30)),
            password: Limit::new(5, Duration::from_secs(60)),
            comment: Limit::new(5, Duration::from_secs(30)),
            photo_upload: Limit::new(30, Duration::from_secs(20)),
            photo_kib: Limit::new(PHOTO_KIB_PER_HOUR, Duration::from_secs(3600) / PHOTO_KIB_PER_HOUR),
            public_submit: None,
            public_validate: Limit::new(30, Duration::from_secs(2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_subscriber_is_one_client_whatever_address_they_pick() {
        let limit = Limit::new(2, Duration::from_secs(60));
        for last in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
            assert!(limit.check(last.parse::<IpAddr>().unwrap()).is_ok());
        }
        assert!(limit.check("2001:db8:1:2:ffff::9".parse::<IpAddr>().unwrap()).is_err(), "the same /64");
        assert!(limit.check("2001:db8:1:3::1".parse::<IpAddr>().unwrap()).is_ok(), "another /64");
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(mapped.key(), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn recovered_clients_are_forgotten_and_limited_ones_kept() {
        let limit = Limit::new(1, Duration::from_secs(3600));
        let generous = Limit::new(1, Duration::from_millis(1));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limit.check(a).is_ok() && generous.check(a).is_ok());
        std::thread::sleep(Duration::from_millis(5));
        limit.forget_recovered();
        generous.forget_recovered();
        assert_eq!(limit.remembered(), 1, "still limited: remembered");
        assert_eq!(generous.remembered(), 0, "recovered: forgotten");
        assert!(limit.check(a).is_err(), "forgetting others never lets a limited client through");
    }

    #[test]
    fn the_offending_client_waits_and_no_one_else() {
        let limit = Limit::new(3, Duration::from_secs(60));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limit.check(a).is_ok());
        }
        let wait = limit.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limit.check(b).is_ok());
    }

    #[test]
    fn a_quota_counts_units_and_refuses_more_than_its_burst() {
        let limit = Limit::new(100, Duration::from_secs(36));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let never = Duration::from_secs(3600);
        assert!(limit.check_n(a, 60, never).is_ok());
        assert!(limit.check_n(a, 40, never).is_ok());
        assert!(limit.check_n(a, 1, never).is_err());
        assert_eq!(limit.check_n(a, 101, never), Err(never));
    }
}
