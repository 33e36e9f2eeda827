//! The one generator of secrets: every session id, API token, upload key, tracking token,
//! webhook signing secret and SMS log-in code comes from here, drawn from the operating system's random source (`OsRng`:
//! `getrandom(2)`), never from a seeded or thread-local generator nor from a UUID.
//!
//! What is made here is handed to the client once; what is stored is its SHA-256
//! ([`super::session::digest`]).

use rand::rngs::OsRng;
use rand::{Rng, RngCore};

/// A new secret of 256 random bits as 43 characters of URL-safe base64 without padding
/// (`A–Z a–z 0–9 - _`): fit for a URL, a query string and a cookie's value as it is.
pub fn token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// `N` random bytes, for a key written in another encoding (a webhook's signing secret).
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// `n` random decimal digits, each uniform (leading zeros kept): an SMS log-in code.
pub fn digits(n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + OsRng.gen_range(0..10u8))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_and_differ() {
        let a = token();
        assert_eq!(a.len(), 43, "256 bits in base64 without padding");
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{a}");
        assert_ne!(a, token());
    }

    #[test]
    fn codes_are_digits() {
        let code = digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        // Every digit turns up: the draw is not stuck (a million draws of 6 would be wasteful).
        let many: String = (0..200).map(|_| digits(6)).collect();
        assert!(('0'..='9').all(|d| many.contains(d)));
    }
}
