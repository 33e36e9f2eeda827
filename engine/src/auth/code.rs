//! A resident's log-in with a one-time code sent by SMS. Codes are six digits, valid
//! [`CODE_MINUTES`] minutes, tried at most [`CODE_TRIES`] times (each try is counted by one
//! conditional statement before the code is compared, so parallel guesses get no more), used
//! once, and only their hash is stored; a phone number gets at most one code a minute and five
//! an hour. The per-address limits are the caller's (`auth::limit`), which knows the address.

use chrono::Duration;

use super::session::{RESIDENT_SESSION, digest, event};
use crate::Engine;
use baida_store::{self as store, LoginCode, OutboxItem, Session};

/// How long a code is valid.
pub const CODE_MINUTES: i64 = 5;
/// Tries per code.
pub const CODE_TRIES: i64 = 5;
/// Codes per phone number: one a minute, five an hour.
pub const PER_PHONE_MINUTE: i64 = 1;
pub const PER_PHONE_HOUR: i64 = 5;

/// What asking for a code did.
#[derive(Debug)]
pub enum CodeSent {
    /// Stored and queued as an SMS; the code itself, for the demo's log only.
    Sent { code: String },
    /// Too many codes for this number lately: ask again after this many seconds.
    TooMany { retry_after: u64 },
}

/// What a code tried did.
#[derive(Debug)]
pub enum CodeTried {
    /// Right: the resident is logged in with a new session (its id, for the cookie).
    LoggedIn { session: String },
    /// Wrong, expired, used, or out of tries (one answer for all, so none is told apart).
    Wrong,
}

impl Engine {
    /// Sends a log-in code to `phone` (a normalised mobile number): checks the number's limits,
    /// stores the code's hash and queues the SMS, in one transaction.
    pub async fn send_login_code(&self, phone: &str, client: &str) -> Result<CodeSent, store::Error> {
        let now = self.clock.now();
        let (in_minute, _) = self.store.login_codes_since(phone, client, now - Duration::minutes(1)).await?;
        if in_minute >= PER_PHONE_MINUTE {
            return Ok(CodeSent::TooMany { retry_after: 60 });
        }
        let (in_hour, _) = self.store.login_codes_since(phone, client, now - Duration::hours(1)).await?;
        if in_hour >= PER_PHONE_HOUR {
            return Ok(CodeSent::TooMany { retry_after: 3600 });
        }
        let code = baida_core::secret::digits(6);
        let id = uuid::Uuid::now_v7().to_string();
        let login_code = LoginCode {
            id: id.clone(),
            phone: phone.to_string(),
            code_hash: digest(&format!("{id}:{code}")),
            client: client.to_string(),
            created_at: now,
            expires_at: now + Duration::minutes(CODE_MINUTES),
            attempts: 0,
            used_at: None,
        };
        let sms = OutboxItem {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: None,
            channel: "sms".into(),
            recipient: phone.to_string(),
            template: "login-code".into(),
            data: serde_json::json!({"code": code, "minutes": CODE_MINUTES}),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            delivered_at: None,
        };
        self.store.create_login_code(&login_code, &sms).await?;
        Ok(CodeSent::Sent { code })
    }

    /// Tries a code for `phone`; when right, ends the browser's earlier session (`old`) and
    /// starts the resident's. Every wrong try and every log-in is a security event.
    pub async fn log_in_with_code(
        &self,
        phone: &str,
        code: &str,
        client: &str,
        old: Option<&str>,
    ) -> Result<CodeTried, store::Error> {
        let now = self.clock.now();
        let Some(live) = self.store.live_login_code(phone, now).await? else { return Ok(CodeTried::Wrong) };
        // Count this try first, in one conditional statement; compare only if it was counted.
        if !self.store.claim_login_code_try(&live.id, CODE_TRIES, now).await? {
            return Ok(CodeTried::Wrong);
        }
        // Typed as the phone's keyboard gives it: full-width digits and spaces are the same code.
        let code: String = baida_blocks::formats::half_width(code).chars().filter(|c| !c.is_whitespace()).collect();
        if digest(&format!("{}:{code}", live.id)) != live.code_hash {
            let mut e = event("resident.login_failed", "anonymous", None, None, client, now);
            e.detail = serde_json::json!({"code": live.id});
            if let Err(err) = self.store.record_security_event(&e).await {
                tracing::warn!(error = %err, "cannot record a security event");
            }
            return Ok(CodeTried::Wrong);
        }
        // A code is used once, even by two parallel right answers.
        if !self.store.use_login_code(&live.id, now).await? {
            return Ok(CodeTried::Wrong);
        }
        let resident = self.store.resident(phone, now).await?;
        if let Some(old) = old {
            self.store.delete_session(&digest(old)).await?;
        }
        let id = baida_core::secret::token();
        let session = Session {
            user_id: None,
            resident_id: Some(resident.id.clone()),
            created_at: now,
            expires_at: now + RESIDENT_SESSION,
        };
        self.store.create_session(&digest(&id), &session).await?;
        let e = event("resident.login", &format!("resident:{}", resident.id), None, None, client, now);
        self.store.record_security_event(&e).await?;
        Ok(CodeTried::LoggedIn { session: id })
    }
}
