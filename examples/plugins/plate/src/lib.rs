//! A Baida plugin: normalizes and checks a mainland China licence plate.
//!
//! [`check`] is the logic, plain Rust tested on the host; the `abi` module (wasm32 only) is the
//! Baida plugin ABI version 1 around it: `memory`, `abi_version`, `alloc`, `run`.

use serde_json::{Value, json};

/// The province (and municipality, region) abbreviations that begin a plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Characters that may end an ordinary plate instead of its last letter or digit.
const SUFFIXES: &str = "警学挂领使港澳试超";

/// Full-width letters and digits to half-width, letters to upper case; spaces, `·`, `•` and
/// `-` removed.
pub fn normalize(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '-' | '－' | '.' | '。'))
        .map(|c| match c {
            'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Letters used on plates: A–Z without I and O.
fn plate_letter(c: char) -> bool {
    c.is_ascii_uppercase() && c != 'I' && c != 'O'
}

fn plate_alnum(c: char) -> bool {
    plate_letter(c) || c.is_ascii_digit()
}

/// Checks a plate; the answer the plugin gives.
pub fn check(raw: &str) -> Value {
    let plate = normalize(raw);
    let chars: Vec<char> = plate.chars().collect();
    let invalid = |zh: &str, en: &str| json!({"plate": plate, "valid": false, "kind": null, "province": null, "reason": {"zh-CN": zh, "en": en}});
    let Some(&province) = chars.first() else { return invalid("没有填写车牌", "No plate given") };
    if !PROVINCES.contains(province) {
        return invalid(
            "车牌第一位应为省份简称，如粤、京",
            "A plate starts with a province abbreviation such as 粤 or 京",
        );
    }
    if !chars.get(1).is_some_and(|c| plate_letter(*c)) {
        return invalid("车牌第二位应为发牌机关字母", "The second character is the issuing office's letter");
    }
    let rest = &chars[2..];
    let kind = match rest.len() {
        // New energy: D or F first (small cars) or last (large vehicles), the others digits.
        6 if matches!(rest[0], 'D' | 'F') && rest[1..].iter().all(|c| plate_alnum(*c)) => "new_energy",
        6 if matches!(rest[5], 'D' | 'F') && rest[..5].iter().all(char::is_ascii_digit) => "new_energy",
        5 if rest.iter().all(|c| plate_alnum(*c)) => "ordinary",
        5 if rest[..4].iter().all(|c| plate_alnum(*c)) && SUFFIXES.contains(rest[4]) => "special",
        _ => {
            return invalid(
                "车牌位数或字符不对：普通车牌 7 位，新能源车牌 8 位，不含字母 I 和 O",
                "Wrong length or characters: 7 for an ordinary plate, 8 for new energy, no letters I or O",
            );
        }
    };
    json!({"plate": plate, "valid": true, "kind": kind, "province": province.to_string()})
}

/// What `run` answers for an input document.
pub fn answer(input: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(input) {
        Ok(doc) => match doc.pointer("/input/plate").and_then(Value::as_str) {
            Some(raw) => check(raw),
            None => check(""),
        },
        Err(e) => json!({"error": format!("input is not JSON: {e}")}),
    }
}

#[cfg(target_arch = "wasm32")]
mod abi {
    //! The Baida plugin ABI, version 1. The host writes the input into memory it asks for with
    //! `alloc`, calls `run`, and reads the output at `(ptr << 32) | len`. Each call gets a
    //! fresh instance, so nothing here is ever freed.

    #[unsafe(no_mangle)]
    pub extern "C" fn abi_version() -> i32 {
        1
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn alloc(len: i32) -> i32 {
        let buf: &'static mut [u8] = Vec::leak(vec![0u8; len.max(0) as usize]);
        buf.as_mut_ptr() as i32
    }

    #[unsafe(no_mangle)]
    pub extern "C" fn run(ptr: i32, len: i32) -> i64 {
        // SAFETY: the host wrote `len` bytes at `ptr`, which `alloc` gave it.
        let input = unsafe { core::slice::from_raw_parts(ptr as *const u8, len.max(0) as usize) };
        let out: &'static [u8] = Vec::leak(serde_json::to_vec(&super::answer(input)).unwrap_or_default());
        ((out.as_ptr() as i64) << 32) | out.len() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_normalized() {
        assert_eq!(normalize(" 粤ｂ·１2345 "), "粤B12345");
        assert_eq!(normalize("京a-d12345"), "京AD12345");
    }

    #[test]
    fn plates_are_checked() {
        for (raw, valid, kind) in [
            ("粤B12345", true, Some("ordinary")),
            ("粤b·12345", true, Some("ordinary")),
            ("京AD12345", true, Some("new_energy")),
            ("沪A12345F", true, Some("new_energy")),
            ("粤B1234学", true, Some("special")),
            ("粤B1234", false, None),
            ("粤I12345", false, None),
            ("XX12345", false, None),
            ("", false, None),
        ] {
            let v = check(raw);
            assert_eq!(v["valid"], valid, "{raw}: {v}");
            assert_eq!(v["kind"].as_str(), kind, "{raw}: {v}");
        }
    }

    #[test]
    fn the_answer_reads_the_mapped_input() {
        let v = answer(r#"{"input": {"plate": "粤B12345"}, "params": null}"#.as_bytes());
        assert_eq!(v["plate"], "粤B12345");
        assert!(answer(b"nope").get("error").is_some());
    }
}
