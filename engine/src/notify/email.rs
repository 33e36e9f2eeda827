//! E-mail over SMTP with lettre: implicit TLS, STARTTLS (both with rustls and the Mozilla
//! roots) or plaintext for a relay on the same machine or network.
//!
//! Each message is a `text/plain; charset=utf-8` part (lettre picks base64 or quoted-printable
//! for Chinese text and RFC 2047 encoded words for the subject and display names), marked
//! `Auto-Submitted: auto-generated` (RFC 3834) so that vacation responders keep quiet, with a
//! `Message-ID` derived from the outbox id so that a retried delivery carries the same id.
//!
//! SMTP replies map as the protocol intends: 5xx is permanent, 4xx transient; connection
//! failures, TLS trouble and timeouts are transient.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::client::chain;
use super::{ConfigError, Message, Receipt, Secret, SendError, Transport};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plaintext, for a relay on localhost or a trusted network (default port 25).
    None,
    /// Plaintext upgraded with STARTTLS, which is required (default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
}

impl SmtpTls {
    fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// SMTP settings.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 25, 587 or 465 after `tls`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, with a display name: `百搭 Baida <noreply@example.org>`.
    pub from: String,
    /// The name given in `EHLO`; defaults to the domain of `from`.
    #[serde(default)]
    pub hello_name: Option<String>,
    /// Bound on one delivery, connection included, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    30
}

impl SmtpConfig {
    pub fn new(host: impl Into<String>, tls: SmtpTls, from: impl Into<String>) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: None,
            tls,
            username: None,
            password: None,
            from: from.into(),
            hello_name: None,
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// The e-mail transport. Opens one SMTP session per message (notifications are few; a pool
/// would keep idle connections to the relay for little gain).
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl SmtpTransport {
    pub fn new(config: &SmtpConfig) -> Result<SmtpTransport, ConfigError> {
        let from: Mailbox =
            config.from.parse().map_err(|error| ConfigError(format!("SMTP from {:?}: {error}", config.from)))?;
        let host = config.host.trim();
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|error| ConfigError(format!("SMTP TLS for {host:?}: {error}")))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|error| ConfigError(format!("SMTP TLS for {host:?}: {error}")))?,
        };
        let timeout = Duration::from_secs(config.timeout_secs.max(1));
        let hello = config.hello_name.clone().unwrap_or_else(|| from.email.domain().to_owned());
        let mut builder = builder
            .port(config.port.unwrap_or(config.tls.default_port()))
            .timeout(Some(timeout))
            .hello_name(ClientId::Domain(hello));
        if let Some(username) = &config.username {
            let password = config.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(SmtpTransport { mailer: builder.build(), from, timeout })
    }

    /// The e-mail for `message`, ready to send.
    pub fn build_email(&self, message: &Message) -> Result<lettre::Message, SendError> {
        let to: Mailbox = message
            .to
            .trim()
            .parse()
            .map_err(|error| SendError::Permanent(format!("bad e-mail address {:?}: {error}", message.to)))?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message_id(&message.id, self.from.email.domain())))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()))
            .singlepart(SinglePart::plain(message.body.clone()))
            .map_err(|error| SendError::Permanent(format!("cannot build the e-mail: {error}")))
    }
}

/// `<baida.{id}@{domain}>`: the same outbox id always gives the same `Message-ID`. An id that
/// is not plain `[A-Za-z0-9_-]` is replaced by a hash of it, which keeps the header valid.
pub fn message_id(outbox_id: &str, domain: &str) -> String {
    let plain = !outbox_id.is_empty()
        && outbox_id.len() <= 64
        && outbox_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        format!("<baida.{outbox_id}@{domain}>")
    } else {
        let digest = Sha256::digest(outbox_id.as_bytes());
        format!("<baida.h{}@{domain}>", &hex::encode(digest)[..32])
    }
}

/// The queue id a server names in `250 … queued as XYZ`, if it does.
fn queue_id(reply: &str) -> Option<String> {
    let (_, rest) = reply.split_once("queued as ")?;
    let id: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    (!id.is_empty()).then_some(id)
}

/// 5xx replies are permanent, and so is the one client-side refusal that belongs to the
/// message: a non-ASCII address for a server without SMTPUTF8. The other client-side refusals
/// (no STARTTLS offered, no usable AUTH mechanism) are the server's or the configuration's,
/// and may be fixed before the outbox gives up, like network, TLS and 4xx failures.
fn smtp_error(error: &lettre::transport::smtp::Error) -> SendError {
    let detail = chain(error);
    if error.is_permanent() || (error.is_client() && detail.contains("non-ascii")) {
        SendError::Permanent(detail)
    } else {
        SendError::Transient(detail)
    }
}

#[async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let email = self.build_email(message)?;
        let response = tokio::time::timeout(self.timeout, self.mailer.send(email))
            .await
            .map_err(|_| SendError::Transient(format!("SMTP delivery timed out after {:?}", self.timeout)))?
            .map_err(|error| smtp_error(&error))?;
        let text = response.message().collect::<Vec<_>>().join(" ");
        Ok(Receipt { provider_id: queue_id(&text), detail: format!("{} {text}", response.code()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Channel;

    #[test]
    fn message_ids_are_stable_and_valid() {
        assert_eq!(message_id("0193a1b2-7c", "example.org"), "<baida.0193a1b2-7c@example.org>");
        let odd = message_id("case 7/第3步", "example.org");
        assert_eq!(odd, message_id("case 7/第3步", "example.org"));
        assert!(odd.starts_with("<baida.h") && odd.ends_with("@example.org>") && odd.is_ascii());
        assert_ne!(odd, message_id("case 7/第4步", "example.org"));
    }

    #[test]
    fn queue_ids_are_read_from_the_reply() {
        assert_eq!(queue_id("2.0.0 Ok: queued as 4F1B2C3D9A").as_deref(), Some("4F1B2C3D9A"));
        assert_eq!(queue_id("OK"), None);
    }

    #[test]
    fn emails_carry_chinese_text_and_the_outbox_id() {
        let transport =
            SmtpTransport::new(&SmtpConfig::new("127.0.0.1", SmtpTls::None, "百搭 Baida <noreply@baida.example>"))
                .unwrap();
        let email = transport
            .build_email(&Message {
                id: "m-1".into(),
                channel: Channel::Email,
                to: "张三 <zhang@example.org>".into(),
                subject: "您的申请已受理".into(),
                body: "请于三日内补充材料。".into(),
                payload: serde_json::Value::Null,
            })
            .unwrap();
        let raw = String::from_utf8(email.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <baida.m-1@baida.example>"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.is_ascii(), "headers and body are transfer-encoded: {raw}");
        assert!(transport.build_email(&Message { to: "not an address".into(), ..message_stub() }).is_err());
    }

    fn message_stub() -> Message {
        Message {
            id: "m".into(),
            channel: Channel::Email,
            to: String::new(),
            subject: String::new(),
            body: String::new(),
            payload: serde_json::Value::Null,
        }
    }

    #[test]
    fn every_tls_mode_builds() {
        for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
            SmtpTransport::new(&SmtpConfig::new("smtp.example.org", tls, "noreply@example.org")).unwrap();
        }
        let config: SmtpConfig = toml::from_str("host = \"smtp.example.org\"\nfrom = \"noreply@example.org\"").unwrap();
        assert_eq!((config.tls, config.timeout_secs), (SmtpTls::Starttls, 30));
    }

    #[test]
    fn bad_senders_are_refused_at_start() {
        assert!(SmtpTransport::new(&SmtpConfig::new("127.0.0.1", SmtpTls::None, "nobody")).is_err());
    }
}
