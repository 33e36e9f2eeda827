//! Checks of value formats that forms and the dictionary share: mainland mobile numbers,
//! resident ID numbers (GB 11643-1999 checksum), e-mail addresses, dates.

use chrono::{NaiveDate, NaiveDateTime};

/// A mainland China mobile number: 11 digits, starting with 1 and a second digit 3–9.
pub fn is_mobile_phone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// A resident identity number: 17 digits and a check character (digit or `X`) that matches
/// the ISO 7064 MOD 11-2 checksum, with a valid birth date.
pub fn is_id_number(s: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    if CHECK[(sum % 11) as usize] != b[17].to_ascii_uppercase() {
        return false;
    }
    NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").is_ok()
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert!(is_id_number("11010519491231002X"));
        assert!(is_id_number("11010519491231002x"));
        assert!(is_id_number("440301199001011234"));
        assert!(!is_id_number("440301199001011236"), "wrong check digit");
        assert!(!is_id_number("440301199002301233"), "no 30 February");
        assert!(!is_id_number("44030119900101123"));
    }

    #[test]
    fn phones_and_emails() {
        assert!(is_mobile_phone("13812345678"));
        assert!(!is_mobile_phone("12812345678"));
        assert!(!is_mobile_phone("1381234567"));
        assert!(is_email("li.ming@example.cn"));
        assert!(!is_email("li ming@example.cn"));
        assert!(!is_email("li@localhost"));
    }
}
