//! Delivery of outgoing notifications: the transports the engine's outbox calls.
//!
//! The outbox stores one [`Message`] per notification, already rendered, and hands it to the
//! [`Transport`] for its [`Channel`] (see [`Transports::for_channel`]). A transport makes one
//! delivery attempt and answers with a [`Receipt`] or a [`SendError`]; it never retries and
//! never sleeps. Retrying with backoff, and recording every attempt, is the outbox's job:
//! [`SendError::Transient`] means "try again later", [`SendError::Permanent`] means "this
//! message will never go through as it is".
//!
//! Reading order: this file, then [`email`] (SMTP with lettre), [`sms`] (an HTTP gateway behind
//! [`sms::SmsProvider`], with a generic JSON gateway and [`sms::aliyun`]), [`webhook`]
//! (Standard Webhooks signatures), [`destination`] (where an app-named URL may go) and [`client`]
//! (the outgoing HTTP client SMS and webhooks share).
//!
//! Architecture invariant: every delivery attempt is bounded in time (each transport has a
//! timeout), and [`Message::id`] reaches the peer wherever the protocol has room for it
//! (`Message-ID`, `webhook-id`, `OutId`, `id`) so that a retried delivery is recognisable.

pub mod client;
pub mod destination;
pub mod email;
pub mod sms;
pub mod webhook;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use email::{SmtpConfig, SmtpTls, SmtpTransport};
pub use sms::{GenericSmsConfig, GenericSmsProvider, SmsConfig, SmsProvider, SmsTransport};
pub use webhook::{WebhookConfig, WebhookTransport};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Webhook,
}

impl Channel {
    /// The name stored in the outbox and used in configuration: `email`, `sms`, `webhook`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rendered notification, as the outbox stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The outbox id; also the idempotency key the peer sees on every attempt. For webhooks it
    /// must not contain `.` (the Standard Webhooks spec signs `{id}.{timestamp}.{body}`).
    pub id: String,
    pub channel: Channel,
    /// An e-mail address (`张三 <zhang@example.org>` or a bare address), a mainland mobile
    /// number (`13800138000`, `+86 138 0013 8000`), or an `http(s)` URL.
    pub to: String,
    /// The e-mail subject; unused by SMS and sent to webhooks only inside the default payload.
    pub subject: String,
    /// The rendered text: the e-mail body, the SMS text.
    pub body: String,
    /// Structured data: the webhook body (sent as compact JSON; when `null`, a small object with
    /// `id`, `subject` and `body` is sent instead), or an SMS template's parameters.
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// What the peer said when it accepted a message, for the delivery attempt record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The peer's id for the message: the SMTP queue id when the reply names one (`queued as …`),
    /// the SMS gateway's message id (Aliyun `BizId`); webhooks have none.
    pub provider_id: Option<String>,
    /// A short human-readable account of the answer, such as `250 2.0.0 Ok: queued` or `HTTP 204`.
    pub detail: String,
}

/// Why a delivery attempt failed, split by what the outbox should do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Do not retry: a bad address, a 4xx answer, a rejected message or a misconfiguration
    /// that this message cannot get past.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// Retry with backoff: timeouts, refused connections, 5xx, rate limits.
    #[error("transient delivery failure: {0}")]
    Transient(String),
}

impl SendError {
    /// Whether the outbox should try again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }

    /// The explanation without the classification.
    pub fn detail(&self) -> &str {
        match self {
            SendError::Permanent(detail) | SendError::Transient(detail) => detail,
        }
    }
}

/// A transport is wrongly configured (bad `from` address, bad secret, bad URL). Reported when
/// the transport is built, so that a bad configuration stops the server at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notify configuration: {0}")]
pub struct ConfigError(pub String);

/// One delivery channel. Implementations make a single bounded attempt per call.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError>;
}

/// The configured transports, one optional slot per channel.
#[derive(Clone, Default)]
pub struct Transports {
    pub email: Option<Arc<dyn Transport>>,
    pub sms: Option<Arc<dyn Transport>>,
    pub webhook: Option<Arc<dyn Transport>>,
    /// At most this many SMS or e-mails to one recipient in 24 hours (`[notify] daily_cap`);
    /// `None`: no cap (tests only — a server always has one).
    pub daily_cap: Option<u32>,
}

impl Transports {
    /// The transport for `channel`, or `None` when that channel is not configured.
    pub fn for_channel(&self, channel: Channel) -> Option<&Arc<dyn Transport>> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Webhook => self.webhook.as_ref(),
        }
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("email", &self.email.is_some())
            .field("sms", &self.sms.is_some())
            .field("webhook", &self.webhook.is_some())
            .finish()
    }
}

/// A password, key or token from the configuration: deserialized like a string, never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// Keeps the first `max` characters of `text`, marking the cut, so that a peer's answer fits
/// in an attempt record.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    #[async_trait]
    impl Transport for Fixed {
        async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
            Ok(Receipt { provider_id: Some(message.id.clone()), detail: "fixed".into() })
        }
    }

    #[test]
    fn channels_round_trip_through_their_stored_names() {
        for channel in [Channel::Email, Channel::Sms, Channel::Webhook] {
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), channel);
        }
    }

    #[test]
    fn for_channel_picks_the_configured_slot() {
        let transports = Transports { sms: Some(Arc::new(Fixed)), ..Transports::default() };
        assert!(transports.for_channel(Channel::Sms).is_some());
        assert!(transports.for_channel(Channel::Email).is_none());
        assert!(transports.for_channel(Channel::Webhook).is_none());
        assert_eq!(format!("{transports:?}"), "Transports { email: false, sms: true, webhook: false }");
    }

    #[test]
    fn secrets_are_not_printed() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn truncate_cuts_on_characters() {
        assert_eq!(truncate("短信网关", 2), "短信…");
        assert_eq!(truncate("ok", 2), "ok");
    }
}
