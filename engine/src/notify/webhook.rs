//! Signed webhooks after the Standard Webhooks specification (symmetric, `v1`).
//!
//! Each delivery is a `POST` of the message's payload as compact JSON with three headers:
//! `webhook-id` (the outbox id, the same on every retry, so the receiver can deduplicate),
//! `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
//! (`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the bytes of the
//! `whsec_<base64>` secret). 2xx is delivered; see [`super::client::classify_status`] for the rest.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use sha2::Sha256;

use super::client::{self, Answer};
use super::destination::Destinations;
use super::{ConfigError, Message, Receipt, Secret, SendError, Transport};
use baida_core::clock::{Clock, SystemClock};

/// The prefix of a serialized signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Webhook delivery settings.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookConfig {
    /// The signing secret, `whsec_` followed by base64 of 24 to 64 random bytes (see
    /// [`generate_secret`]).
    pub secret: Secret,
    /// Bound on one delivery attempt, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Networks webhooks may reach besides the public internet (`10.20.0.0/16`,
    /// `192.168.1.7`): by default none, so no app can make Baida call this machine, the
    /// networks behind it or a cloud's metadata service ([`super::destination`]).
    #[serde(default)]
    pub allow_networks: Vec<String>,
}

fn default_timeout_secs() -> u64 {
    client::DEFAULT_TIMEOUT.as_secs()
}

impl WebhookConfig {
    pub fn new(secret: impl Into<Secret>) -> WebhookConfig {
        WebhookConfig { secret: secret.into(), timeout_secs: default_timeout_secs(), allow_networks: Vec::new() }
    }
}

/// Decodes a `whsec_<base64>` secret (the prefix may be left out) into the HMAC key. The spec
/// asks for 24 to 64 bytes of key.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, ConfigError> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    let key = BASE64
        .decode(encoded)
        .map_err(|error| ConfigError(format!("webhook secret is not whsec_<base64>: {error}")))?;
    if !(24..=64).contains(&key.len()) {
        return Err(ConfigError(format!("webhook secret must hold 24 to 64 bytes, not {}", key.len())));
    }
    Ok(key)
}

/// A new random signing secret, `whsec_` + base64 of 32 bytes.
pub fn generate_secret() -> String {
    format!("{SECRET_PREFIX}{}", BASE64.encode(baida_core::secret::bytes::<32>()))
}

/// The `webhook-signature` value for one attempt: `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The webhook transport: signs and posts one message per call.
pub struct WebhookTransport {
    client: reqwest::Client,
    key: Vec<u8>,
    clock: Arc<dyn Clock>,
    destinations: Arc<Destinations>,
}

impl WebhookTransport {
    pub fn new(config: &WebhookConfig) -> Result<WebhookTransport, ConfigError> {
        let destinations = Arc::new(Destinations::new(&config.allow_networks)?);
        let timeout = Duration::from_secs(config.timeout_secs.max(1));
        Ok(WebhookTransport {
            client: client::builder(timeout)
                .dns_resolver(destinations.resolver())
                .build()
                .map_err(|error| ConfigError(format!("cannot build the HTTP client: {}", client::chain(&error))))?,
            key: decode_secret(config.secret.expose())?,
            clock: Arc::new(SystemClock),
            destinations,
        })
    }

    /// Replaces the clock that stamps `webhook-timestamp`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> WebhookTransport {
        self.clock = clock;
        self
    }
}

/// The body sent for `message`: its payload, or `{"id", "subject", "body"}` when it has none.
pub fn body_of(message: &Message) -> Vec<u8> {
    let value = if message.payload.is_null() {
        serde_json::json!({ "id": message.id, "subject": message.subject, "body": message.body })
    } else {
        message.payload.clone()
    };
    serde_json::to_vec(&value).expect("a JSON value always serializes")
}

#[async_trait]
impl Transport for WebhookTransport {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let url = client::parse_url(&message.to)?;
        self.destinations.check_url(&url)?;
        let id = message.id.as_str();
        if id.is_empty() || id.contains('.') || !id.chars().all(|c| c.is_ascii_graphic()) {
            return Err(SendError::Permanent(format!(
                "webhook id {id:?} must be non-empty printable ASCII without '.'"
            )));
        }
        let body = body_of(message);
        let timestamp = self.clock.now().timestamp();
        let request = self
            .client
            .post(url)
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", sign(&self.key, id, timestamp, &body))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .build()
            .map_err(|error| client::request_error(&error))?;
        let answer: Answer = client::execute(&self.client, request).await?;
        // Only the status is kept: the answer's body is the receiver's, and whoever reads the
        // case's outbox must not be able to read an internal service through it.
        let status = format!("HTTP {}", answer.status.as_u16());
        client::classify_status(answer.status, &status)?;
        Ok(Receipt { provider_id: None, detail: status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known answer from the reference Rust library of the Standard Webhooks project
    /// (`libraries/rust/src/lib.rs`, `test_sign`).
    #[test]
    fn signature_matches_the_reference_implementation() {
        let key = decode_secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let signature = sign(
            &key,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn secrets_are_checked() {
        assert_eq!(decode_secret("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap().len(), 24);
        assert!(decode_secret("whsec_not base64!").is_err());
        assert!(decode_secret("whsec_c2hvcnQ=").is_err(), "5 bytes is too short");
        let generated = generate_secret();
        assert!(generated.starts_with(SECRET_PREFIX));
        assert_eq!(decode_secret(&generated).unwrap().len(), 32);
        assert_ne!(generated, generate_secret());
    }

    #[test]
    fn a_message_without_payload_sends_its_text() {
        let message = Message {
            id: "42".into(),
            channel: super::super::Channel::Webhook,
            to: "http://127.0.0.1/".into(),
            subject: "新工单".into(),
            body: "请处理".into(),
            payload: serde_json::Value::Null,
        };
        let body: serde_json::Value = serde_json::from_slice(&body_of(&message)).unwrap();
        assert_eq!(body, serde_json::json!({"id": "42", "subject": "新工单", "body": "请处理"}));
    }
}
