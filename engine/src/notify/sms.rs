//! SMS through an HTTP gateway. [`SmsTransport`] checks the number (mainland China mobiles
//! only) and bounds the attempt; an [`SmsProvider`] knows one gateway's request and answer.
//!
//! Providers: [`GenericSmsProvider`] posts `{"phone", "text", "id"}` as JSON to a configured URL
//! (for an in-house gateway or a small adapter service), and [`aliyun::AliyunSmsProvider`]
//! calls Alibaba Cloud's `SendSms`.

pub mod aliyun;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::client::{self, Answer};
use super::{ConfigError, Message, Receipt, Secret, SendError, Transport};

/// One SMS gateway: how to ask it to send, and how to read its answer.
pub trait SmsProvider: Send + Sync {
    /// A short name for receipts and logs, such as `aliyun`.
    fn name(&self) -> &'static str;

    /// The request that sends `message.body` (or the provider's template) to `phone`, an
    /// 11-digit mainland mobile number already checked by [`normalize_mainland_mobile`].
    fn build_request(
        &self,
        client: &reqwest::Client,
        phone: &str,
        message: &Message,
    ) -> Result<reqwest::Request, SendError>;

    /// What the gateway's answer means.
    fn interpret(&self, answer: &Answer) -> Result<Receipt, SendError>;
}

/// Which gateway, as written in the configuration (`provider = "generic"` or `"aliyun"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum SmsConfig {
    Generic(GenericSmsConfig),
    Aliyun(aliyun::AliyunSmsConfig),
}

/// The SMS transport: one gateway behind an [`SmsProvider`].
pub struct SmsTransport {
    client: reqwest::Client,
    provider: Arc<dyn SmsProvider>,
}

impl SmsTransport {
    /// A transport whose attempts are bounded by `timeout`.
    pub fn new(provider: Arc<dyn SmsProvider>, timeout: Duration) -> Result<SmsTransport, ConfigError> {
        Ok(SmsTransport { client: client::build_client(timeout)?, provider })
    }

    pub fn from_config(config: &SmsConfig) -> Result<SmsTransport, ConfigError> {
        match config {
            SmsConfig::Generic(config) => SmsTransport::new(
                Arc::new(GenericSmsProvider::new(config)?),
                Duration::from_secs(config.timeout_secs.max(1)),
            ),
            SmsConfig::Aliyun(config) => SmsTransport::new(
                Arc::new(aliyun::AliyunSmsProvider::new(config)?),
                Duration::from_secs(config.timeout_secs.max(1)),
            ),
        }
    }
}

#[async_trait]
impl Transport for SmsTransport {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let phone = normalize_mainland_mobile(&message.to)?;
        let request = self.provider.build_request(&self.client, &phone, message)?;
        let answer = client::execute(&self.client, request).await?;
        self.provider.interpret(&answer)
    }
}

/// The 11 digits of a mainland China mobile number, read by the one normalisation
/// ([`baida_blocks::formats::normalize_phone`]: full-width digits, separators, country code).
/// Anything else is a permanent failure (the number will not get better on a retry).
pub fn normalize_mainland_mobile(text: &str) -> Result<String, SendError> {
    baida_blocks::formats::normalize_phone(text)
        .ok_or_else(|| SendError::Permanent(format!("not a mainland China mobile number: {text:?}")))
}

/// Settings of a generic JSON gateway.
#[derive(Debug, Clone, Deserialize)]
pub struct GenericSmsConfig {
    /// Where to `POST` `{"phone": "13800138000", "text": "…", "id": "<outbox id>"}`.
    pub url: String,
    /// Sent as `Authorization: Bearer <token>` when set.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Bound on one attempt, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    client::DEFAULT_TIMEOUT.as_secs()
}

impl GenericSmsConfig {
    pub fn new(url: impl Into<String>) -> GenericSmsConfig {
        GenericSmsConfig { url: url.into(), token: None, timeout_secs: default_timeout_secs() }
    }
}

/// A gateway that takes `{"phone", "text", "id"}` as JSON and answers 2xx when it has accepted
/// the message, optionally with `{"id": "<its message id>"}`. Statuses are read as for webhooks.
pub struct GenericSmsProvider {
    url: reqwest::Url,
    token: Option<Secret>,
}

impl GenericSmsProvider {
    pub fn new(config: &GenericSmsConfig) -> Result<GenericSmsProvider, ConfigError> {
        let url = client::parse_url(&config.url).map_err(|error| ConfigError(format!("SMS gateway: {error}")))?;
        Ok(GenericSmsProvider { url, token: config.token.clone() })
    }
}

impl SmsProvider for GenericSmsProvider {
    fn name(&self) -> &'static str {
        "generic"
    }

    fn build_request(
        &self,
        client: &reqwest::Client,
        phone: &str,
        message: &Message,
    ) -> Result<reqwest::Request, SendError> {
        let mut request = client
            .post(self.url.clone())
            .json(&serde_json::json!({ "phone": phone, "text": message.body, "id": message.id }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        request.build().map_err(|error| client::request_error(&error))
    }

    fn interpret(&self, answer: &Answer) -> Result<Receipt, SendError> {
        answer.check_status()?;
        let provider_id = serde_json::from_str::<serde_json::Value>(&answer.body).ok().and_then(|body| {
            match body.get("id").or_else(|| body.get("message_id"))? {
                serde_json::Value::String(id) => Some(id.clone()),
                serde_json::Value::Number(id) => Some(id.to_string()),
                _ => None,
            }
        });
        Ok(Receipt { provider_id, detail: answer.summary() })
    }
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;

    #[test]
    fn mainland_mobiles_are_normalized() {
        for (input, expected) in [
            ("13800138000", "13800138000"),
            (" 138 0013 8000 ", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("008619912345678", "19912345678"),
            ("8615012345678", "15012345678"),
        ] {
            assert_eq!(normalize_mainland_mobile(input).unwrap(), expected, "{input}");
        }
        for input in ["", "1380013800", "138001380001", "12800138000", "010-12345678", "+1 415 555 0100", "1380013800x"]
        {
            assert!(
                matches!(normalize_mainland_mobile(input), Err(SendError::Permanent(_))),
                "{input} should be refused"
            );
        }
    }

    #[test]
    fn generic_answers_are_read() {
        let provider = GenericSmsProvider::new(&GenericSmsConfig::new("http://127.0.0.1:9/sms")).unwrap();
        let ok = Answer { status: StatusCode::OK, body: r#"{"id": "gw-7"}"#.into() };
        assert_eq!(provider.interpret(&ok).unwrap().provider_id.as_deref(), Some("gw-7"));
        let accepted = Answer { status: StatusCode::ACCEPTED, body: String::new() };
        assert_eq!(provider.interpret(&accepted).unwrap().provider_id, None);
        let busy = Answer { status: StatusCode::SERVICE_UNAVAILABLE, body: String::new() };
        assert!(provider.interpret(&busy).unwrap_err().is_transient());
        let refused = Answer { status: StatusCode::UNPROCESSABLE_ENTITY, body: "bad phone".into() };
        assert_eq!(provider.interpret(&refused).unwrap_err(), SendError::Permanent("HTTP 422: bad phone".into()));
    }

    #[test]
    fn configs_name_their_provider() {
        let config: SmsConfig = toml::from_str("provider = \"generic\"\nurl = \"http://127.0.0.1:9/\"").unwrap();
        assert!(matches!(config, SmsConfig::Generic(GenericSmsConfig { timeout_secs: 15, .. })));
    }
}
