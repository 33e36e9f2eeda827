//! Passwords: Argon2id hashes (PHC strings, parameters stored with each hash) and the
//! strength rule every new password must pass.
//!
//! A hash or a check costs 19 MiB and tens of milliseconds of CPU: request handlers use
//! [`hash_off_thread`] and [`verify_off_thread`], which run it on tokio's blocking pool, so a
//! burst of log-ins never stalls the async workers that answer everyone else.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use baida_blocks::Text;

/// Argon2id with OWASP's second recommended setting (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    match argon2().hash_password(password.as_bytes(), &salt) {
        Ok(h) => h.to_string(),
        // Only a salt or parameter error, neither of which can happen with these inputs;
        // an unusable hash fails every verification rather than panicking.
        Err(_) => String::from("!"),
    }
}

/// Does `password` match `phc`? Takes the same time whatever the answer.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on the blocking pool (here, should that pool fail).
pub async fn hash_off_thread(password: &str) -> String {
    let owned = password.to_string();
    tokio::task::spawn_blocking(move || hash(&owned)).await.unwrap_or_else(|_| hash(password))
}

/// [`verify`] on the blocking pool; false if that thread panicked.
pub async fn verify_off_thread(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify(&password, &phc)).await.unwrap_or(false)
}

/// As long as a real check, against the [`decoy`], on the blocking pool: for an unknown or
/// locked account, so that timing tells nothing.
pub async fn decoy_off_thread(password: &str) {
    let password = password.to_string();
    let _ = tokio::task::spawn_blocking(move || verify(&password, decoy())).await;
}

/// A hash to verify against when the account does not exist, so that a wrong username takes
/// as long as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that matches nothing"))
}

/// The strength rule: at least 10 characters, of at least three kinds among lower case,
/// upper case, digits and other characters (Chinese characters count as "other"), and not
/// the username or phone number itself.
pub fn check_strength(password: &str, username: &str, phone: Option<&str>) -> Result<(), Text> {
    let chars = password.chars().count();
    if chars < 10 {
        return Err(Text::new(
            format!("密码至少 10 个字符，现在只有 {chars} 个"),
            format!("The password needs at least 10 characters; it has {chars}"),
        ));
    }
    if chars > 128 {
        return Err(Text::new("密码最多 128 个字符", "The password may have at most 128 characters"));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 3 {
        return Err(Text::new(
            "密码需要包含小写字母、大写字母、数字、其他符号中的至少三类",
            "The password needs at least three of: lower case, upper case, digits, other characters",
        ));
    }
    let lower = password.to_lowercase();
    if lower.contains(&username.to_lowercase()) || phone.is_some_and(|p| !p.is_empty() && password.contains(p)) {
        return Err(Text::new(
            "密码不能包含用户名或手机号",
            "The password must not contain the username or phone number",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("Correct-Horse-9");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Correct-Horse-9", &h));
        assert!(!verify("correct-horse-9", &h));
        assert!(!verify("Correct-Horse-9", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(check_strength("Sh0rt!", "li", None).unwrap_err().en().contains("at least 10"));
        assert!(check_strength("alllowercaseletters", "li", None).unwrap_err().en().contains("three of"));
        assert!(check_strength("Wangwu-2026-x", "wangwu", None).unwrap_err().en().contains("username"));
        assert!(check_strength("Aa-13800138000", "li", Some("13800138000")).is_err());
        assert!(check_strength("网格员Zhang2026", "zhang", None).is_err(), "contains the username");
        assert!(check_strength("网格员Li-2026!", "wang", None).is_ok());
    }
}
