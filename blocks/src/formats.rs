//! Checks of value formats that forms and the dictionary share: mainland mobile numbers,
//! resident ID numbers (GB 11643-1999 checksum), e-mail addresses, dates; and the one
//! normalisation of a typed phone or ID number ([`normalize_phone`], [`normalize_id_number`]),
//! which the runtime uses wherever one is read (log-in, look-ups, accounts, SMS).

use chrono::{NaiveDate, NaiveDateTime};

/// A mainland China mobile number: 11 digits, starting with 1 and a second digit 3–9.
pub fn is_mobile_phone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// Full-width ASCII (`１３８`, `Ｘ`, `－`, U+FF01–U+FF5E) as the half-width characters they
/// stand for, and the ideographic space U+3000 as a space: what a Chinese input method types
/// when left in full-width mode.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// The 11 digits of a mainland China mobile number written as people write it: full-width
/// digits are read as digits, spaces, dashes, dots and brackets are ignored and a `+86`, `0086`
/// or `86` country code is dropped. `None` when what is left is not a mobile number.
///
/// The one phone normalisation: forms' phone fields, the resident log-in, staff looking a
/// resident up, accounts and SMS delivery all read a number through it.
pub fn normalize_phone(text: &str) -> Option<String> {
    let digits: String =
        half_width(text).chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\t')).collect();
    let (international, digits) = match digits.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, digits.as_str()),
    };
    let national = match digits.len() {
        15 if digits.starts_with("0086") => &digits[4..],
        13 if digits.starts_with("86") => &digits[2..],
        _ if international => return None,
        _ => digits,
    };
    is_mobile_phone(national).then(|| national.to_owned())
}

/// A typed resident ID number as stored: full-width characters as half-width, spaces dropped,
/// the check character `x` upper-case. Whether it is valid is [`is_id_number`]'s question.
pub fn normalize_id_number(text: &str) -> String {
    half_width(text).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
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

/// A time of day as typed (`9:05`, `09:05`, `09:05:00`), as `HH:MM`.
pub fn parse_time(s: &str) -> Option<String> {
    let t = chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()?;
    Some(t.format("%H:%M").to_string())
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
    fn typed_numbers_are_normalized() {
        for (input, expected) in [
            ("13800138000", "13800138000"),
            (" 138 0013 8000 ", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("008619912345678", "19912345678"),
            ("8615012345678", "15012345678"),
            ("１３８１２３４５６７８", "13812345678"),
            ("＋８６　１３８－１２３４－５６７８", "13812345678"),
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Some(expected), "{input}");
        }
        for input in ["", "1380013800", "138001380001", "12800138000", "010-12345678", "+1 415 555 0100", "1380013800x"]
        {
            assert_eq!(normalize_phone(input), None, "{input} should be refused");
        }
        assert_eq!(normalize_id_number(" １１０１０５１９４９１２３１００２ｘ "), "11010519491231002X");
        assert!(is_id_number(&normalize_id_number("１１０１０５１９４９１２３１００２Ｘ")));
        assert_eq!(half_width("Ａｂ１！"), "Ab1!");
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
