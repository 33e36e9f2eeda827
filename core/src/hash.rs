//! SHA-256 and canonical JSON: what a case event's hash, a ledger leaf and a definition's
//! digest are made of. A change here changes every stored hash, so the known-answer tests below
//! pin them.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Writes `value` as canonical JSON: keys sorted, no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 over several parts written one after the other, in lower-case hex.
pub fn sha256_hex_of(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// Compares two digests in time that does not depend on where they differ (every byte is
/// looked at); digests of different lengths differ.
pub fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_keeps_no_whitespace() {
        let v = json!({"b": 1, "a": {"d": [true, null, "x"], "c": 2.5}, "é": "中"});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":2.5,"d":[true,null,"x"]},"b":1,"é":"中"}"#);
    }

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex_of(&[b"a", b"bc"]), sha256_hex("abc"));
    }

    #[test]
    fn digests_compare_whole() {
        assert!(super::same_digest("ab12", "ab12"));
        assert!(!super::same_digest("ab12", "ab13"));
        assert!(!super::same_digest("ab12", "ab1"));
    }
}
