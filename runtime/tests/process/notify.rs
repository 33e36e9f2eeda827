//! The notification transports against real peers on 127.0.0.1: a small SMTP sink written
//! here, and axum receivers for webhooks and SMS gateways that check what arrives with their
//! own code (the webhook signature is recomputed from SHA-256 alone, without the `hmac` crate).
//!
//! Every peer listens on port 0 of 127.0.0.1 and every test is bounded by [`LIMIT`].
//!
//! Kept whole (over 500 lines): the peers and the tests that talk to them belong together; each
//! peer is a few dozen lines used by several tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use baida_engine::notify::sms::aliyun::{AliyunSmsConfig, AliyunSmsProvider};
use baida_engine::notify::{
    Channel, GenericSmsConfig, Message, SendError, SmsConfig, SmsTransport, SmtpConfig, SmtpTls, SmtpTransport,
    Transport, Transports, WebhookConfig, WebhookTransport,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// No test here may take longer.
const LIMIT: Duration = Duration::from_secs(30);

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.expect("the test went past its time limit")
}

fn message(channel: Channel, to: &str) -> Message {
    Message {
        id: "01JD8Z7Q3V9K".into(),
        channel,
        to: to.into(),
        subject: "【百搭】您的维修申请已受理".into(),
        body: "张三您好：\n您于11月21日提交的“楼道灯维修”申请已受理，工单号 WX-0042。\n——百搭社区服务中心".into(),
        payload: serde_json::Value::Null,
    }
}

/// A port on 127.0.0.1 where nothing listens any more.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

// ---------------------------------------------------------------------------------------------
// SMTP

/// What the sink received in one session.
#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: Vec<u8>,
}

/// A minimal SMTP server: greets, accepts `EHLO`, `MAIL`, `RCPT` (answered with `rcpt_reply`),
/// `DATA`, `RSET`, `NOOP`, `QUIT`, and reports each message it takes.
async fn smtp_sink(rcpt_reply: &'static str) -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 sink.test ESMTP ready\r\n").await.unwrap();
                let mut current = Received { mail_from: String::new(), rcpt_to: Vec::new(), data: Vec::new() };
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_owned();
                    let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
                    let reply: String = match verb.as_str() {
                        "EHLO" | "HELO" => "250-sink.test\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n".into(),
                        "MAIL" => {
                            current.mail_from = command.clone();
                            "250 2.1.0 Ok\r\n".into()
                        }
                        "RCPT" => {
                            current.rcpt_to.push(command.clone());
                            format!("{rcpt_reply}\r\n")
                        }
                        "DATA" => {
                            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.unwrap();
                            let mut data = Vec::new();
                            loop {
                                let mut raw = Vec::new();
                                if lines.read_until(b'\n', &mut raw).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if raw == b".\r\n" {
                                    break;
                                }
                                // Undo dot-stuffing (RFC 5321 §4.5.2).
                                data.extend_from_slice(if raw.starts_with(b"..") { &raw[1..] } else { &raw });
                            }
                            current.data = data;
                            let done = std::mem::replace(
                                &mut current,
                                Received { mail_from: String::new(), rcpt_to: Vec::new(), data: Vec::new() },
                            );
                            sender.send(done).unwrap();
                            "250 2.0.0 Ok: queued as SINK42\r\n".into()
                        }
                        "RSET" | "NOOP" => "250 2.0.0 Ok\r\n".into(),
                        "QUIT" => {
                            write.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
                            return;
                        }
                        _ => "502 5.5.2 Command not recognized\r\n".into(),
                    };
                    write.write_all(reply.as_bytes()).await.unwrap();
                }
            });
        }
    });
    (port, receiver)
}

fn smtp_transport(port: u16) -> SmtpTransport {
    let mut config = SmtpConfig::new("127.0.0.1", SmtpTls::None, "百搭 Baida <noreply@baida.example>");
    config.port = Some(port);
    config.timeout_secs = 5;
    SmtpTransport::new(&config).unwrap()
}

#[tokio::test]
async fn a_chinese_email_arrives_intact_with_a_stable_message_id() {
    bounded(async {
        let (port, mut received) = smtp_sink("250 2.1.5 Ok").await;
        let transport = smtp_transport(port);
        let message = message(Channel::Email, "张三 <zhangsan@example.org>");

        let receipt = transport.send(&message).await.unwrap();
        assert_eq!(receipt.provider_id.as_deref(), Some("SINK42"));
        assert!(receipt.detail.starts_with("250 "), "{receipt:?}");

        let first = received.recv().await.unwrap();
        assert_eq!(first.mail_from, "MAIL FROM:<noreply@baida.example>");
        assert_eq!(first.rcpt_to, ["RCPT TO:<zhangsan@example.org>"]);
        let parsed = mail_parser::MessageParser::default().parse(&first.data).expect("a parsable e-mail");
        assert_eq!(parsed.subject(), Some(message.subject.as_str()));
        // Text travels with CRLF line ends, as MIME wants; the words are untouched.
        assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n").trim_end(), message.body);
        let from = parsed.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("百搭 Baida"));
        assert_eq!(from.address(), Some("noreply@baida.example"));
        let to = parsed.to().unwrap().first().unwrap();
        assert_eq!(to.name(), Some("张三"));
        assert_eq!(parsed.message_id(), Some("baida.01JD8Z7Q3V9K@baida.example"));
        assert_eq!(parsed.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));

        // A retried delivery is recognisable: the same outbox id gives the same Message-ID.
        transport.send(&message).await.unwrap();
        let second = received.recv().await.unwrap();
        let reparsed = mail_parser::MessageParser::default().parse(&second.data).unwrap();
        assert_eq!(reparsed.message_id(), parsed.message_id());
    })
    .await;
}

#[tokio::test]
async fn smtp_5xx_is_permanent_and_4xx_transient() {
    bounded(async {
        let (port, _received) = smtp_sink("550 5.1.1 <zhangsan@example.org>: Recipient address rejected").await;
        let error = smtp_transport(port).send(&message(Channel::Email, "zhangsan@example.org")).await.unwrap_err();
        assert!(matches!(&error, SendError::Permanent(detail) if detail.contains("550")), "{error:?}");

        let (port, _received) = smtp_sink("451 4.3.0 Try again later").await;
        let error = smtp_transport(port).send(&message(Channel::Email, "zhangsan@example.org")).await.unwrap_err();
        assert!(matches!(&error, SendError::Transient(detail) if detail.contains("451")), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn an_smtp_server_that_is_not_there_is_transient_and_a_bad_address_permanent() {
    bounded(async {
        let transport = smtp_transport(closed_port().await);
        let error = transport.send(&message(Channel::Email, "zhangsan@example.org")).await.unwrap_err();
        assert!(error.is_transient(), "{error:?}");
        let error = transport.send(&message(Channel::Email, "张三 at example.org")).await.unwrap_err();
        assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn a_server_that_cannot_do_the_required_tls_is_transient() {
    bounded(async {
        let (port, mut received) = smtp_sink("250 2.1.5 Ok").await;
        for tls in [SmtpTls::Starttls, SmtpTls::Tls] {
            let mut config = SmtpConfig::new("127.0.0.1", tls, "noreply@baida.example");
            config.port = Some(port);
            config.timeout_secs = 5;
            let error = SmtpTransport::new(&config)
                .unwrap()
                .send(&message(Channel::Email, "zhangsan@example.org"))
                .await
                .unwrap_err();
            assert!(error.is_transient(), "{tls:?}: {error:?}");
        }
        assert!(received.try_recv().is_err(), "nothing may be sent in the clear");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Webhooks

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// HMAC-SHA256 from its definition (RFC 2104), to check the transport with other code than its own.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).chain(message.iter().copied()).collect();
    let inner_hash = Sha256::digest(&inner);
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).chain(inner_hash.iter().copied()).collect();
    Sha256::digest(&outer).into()
}

/// Checks a delivery as a Standard Webhooks receiver does; returns why it is not authentic.
fn verify_standard_webhook(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned).ok_or(format!("no {name} header"))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    let sent: i64 = timestamp.parse().map_err(|_| "timestamp is not an integer".to_owned())?;
    if (chrono::Utc::now().timestamp() - sent).abs() > 300 {
        return Err(format!("timestamp {sent} is more than 5 minutes away"));
    }
    let key = BASE64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = BASE64.encode(hmac_sha256(&key, &signed));
    let found = signatures
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .any(|(version, signature)| version == "v1" && signature == expected);
    if found { Ok(()) } else { Err(format!("no v1 signature matches in {signatures:?}")) }
}

#[derive(Debug)]
struct Delivery {
    id: String,
    content_type: String,
    body: serde_json::Value,
}

async fn webhook_receiver() -> (SocketAddr, mpsc::UnboundedReceiver<Delivery>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let accept = |State(sender): State<mpsc::UnboundedSender<Delivery>>,
                  headers: HeaderMap,
                  body: axum::body::Bytes| async move {
        if let Err(why) = verify_standard_webhook(WEBHOOK_SECRET, &headers, &body) {
            return (StatusCode::UNAUTHORIZED, why);
        }
        sender
            .send(Delivery {
                id: headers["webhook-id"].to_str().unwrap().to_owned(),
                content_type: headers["content-type"].to_str().unwrap().to_owned(),
                body: serde_json::from_slice(&body).unwrap(),
            })
            .unwrap();
        (StatusCode::NO_CONTENT, String::new())
    };
    let router = Router::new()
        .route("/hook", post(accept))
        .route("/broken", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database is down") }))
        .route("/refuse", post(|| async { (StatusCode::BAD_REQUEST, "unknown event type") }))
        .route("/gone", post(|| async { StatusCode::GONE }))
        .route("/busy", post(|| async { StatusCode::TOO_MANY_REQUESTS }))
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::OK
            }),
        )
        .with_state(sender);
    (serve(router).await, receiver)
}

/// A webhook transport whose operator allows this machine (the receivers here listen on it).
fn webhook_transport(timeout_secs: u64) -> WebhookTransport {
    let mut config = WebhookConfig::new(WEBHOOK_SECRET);
    config.timeout_secs = timeout_secs;
    config.allow_networks = vec!["127.0.0.0/8".into()];
    WebhookTransport::new(&config).unwrap()
}

#[tokio::test]
async fn webhooks_never_reach_this_machine_or_private_networks_unless_allowed() {
    bounded(async {
        let (address, mut deliveries) = webhook_receiver().await;
        let transport = WebhookTransport::new(&WebhookConfig::new(WEBHOOK_SECRET)).unwrap();
        let port = address.port();
        for to in [
            format!("http://{address}/hook"),
            format!("http://localhost:{port}/hook"),
            format!("http://2130706433:{port}/hook"),
            format!("http://0x7f.1:{port}/hook"),
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            format!("http://[::1]:{port}/hook"),
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "http://10.0.0.1/hook".to_string(),
        ] {
            let error = transport.send(&message(Channel::Webhook, &to)).await.unwrap_err();
            assert!(matches!(error, SendError::Permanent(_)), "{to}: {error:?}");
        }
        assert!(deliveries.try_recv().is_err(), "nothing arrived");
        // The operator allows the network: it arrives.
        webhook_transport(5).send(&message(Channel::Webhook, &format!("http://localhost:{port}/hook"))).await.unwrap();
        assert!(deliveries.recv().await.is_some());
    })
    .await;
}

#[tokio::test]
async fn a_webhook_arrives_signed_as_the_standard_says() {
    bounded(async {
        let (address, mut deliveries) = webhook_receiver().await;
        let mut message = message(Channel::Webhook, &format!("http://{address}/hook"));
        message.payload = serde_json::json!({
            "type": "case.accepted",
            "timestamp": "2026-11-21T08:30:00Z",
            "data": { "case": "WX-0042", "title": "楼道灯维修", "step": "受理" },
        });
        let receipt = webhook_transport(5).send(&message).await.unwrap();
        assert_eq!(receipt.detail, "HTTP 204");
        let delivery = deliveries.recv().await.unwrap();
        assert_eq!(delivery.id, message.id);
        assert_eq!(delivery.content_type, "application/json");
        assert_eq!(delivery.body, message.payload);

        // Without a payload, the text is sent.
        message.payload = serde_json::Value::Null;
        webhook_transport(5).send(&message).await.unwrap();
        let delivery = deliveries.recv().await.unwrap();
        assert_eq!(delivery.body["subject"], message.subject.as_str());
        assert_eq!(delivery.body["body"], message.body.as_str());
    })
    .await;
}

#[tokio::test]
async fn webhook_failures_are_classified() {
    bounded(async {
        let (address, _deliveries) = webhook_receiver().await;
        let transport = webhook_transport(1);
        let send = |path: &str| {
            let message = message(Channel::Webhook, &format!("http://{address}{path}"));
            let transport = &transport;
            async move { transport.send(&message).await.unwrap_err() }
        };
        let error = send("/broken").await;
        // Only the status: the receiver's answer is never kept where case readers see it.
        assert_eq!(error, SendError::Transient("HTTP 500".into()));
        let error = send("/refuse").await;
        assert_eq!(error, SendError::Permanent("HTTP 400".into()));
        assert!(matches!(send("/gone").await, SendError::Permanent(detail) if detail.contains("410")));
        assert!(send("/busy").await.is_transient());
        let error = send("/slow").await;
        assert!(matches!(&error, SendError::Transient(detail) if detail.contains("timed out")), "{error:?}");

        let nobody = message(Channel::Webhook, &format!("http://127.0.0.1:{}/hook", closed_port().await));
        let error = transport.send(&nobody).await.unwrap_err();
        assert!(error.is_transient(), "{error:?}");

        let mut dotted = message(Channel::Webhook, &format!("http://{address}/hook"));
        dotted.id = "1.2".into();
        assert!(matches!(transport.send(&dotted).await, Err(SendError::Permanent(_))));
        let not_a_url = message(Channel::Webhook, "mailto:someone@example.org");
        assert!(matches!(transport.send(&not_a_url).await, Err(SendError::Permanent(_))));
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// SMS

#[derive(Debug)]
struct Texted {
    authorization: Option<String>,
    body: serde_json::Value,
}

async fn sms_gateway() -> (SocketAddr, mpsc::UnboundedReceiver<Texted>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let accept = |State(sender): State<mpsc::UnboundedSender<Texted>>,
                  headers: HeaderMap,
                  Json(body): Json<serde_json::Value>| async move {
        let authorization = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
        sender.send(Texted { authorization, body }).unwrap();
        Json(serde_json::json!({ "id": "gw-20261121-7" }))
    };
    let router = Router::new()
        .route("/sms", post(accept))
        .route("/broken", post(|| async { StatusCode::BAD_GATEWAY }))
        .route("/refuse", post(|| async { (StatusCode::BAD_REQUEST, "{\"error\":\"blocked number\"}") }))
        .with_state(sender);
    (serve(router).await, receiver)
}

fn generic_sms(url: String) -> SmsTransport {
    let mut config = GenericSmsConfig::new(url);
    config.token = Some("gateway-token".into());
    config.timeout_secs = 5;
    SmsTransport::from_config(&SmsConfig::Generic(config)).unwrap()
}

#[tokio::test]
async fn an_sms_reaches_the_generic_gateway() {
    bounded(async {
        let (address, mut texts) = sms_gateway().await;
        let message = message(Channel::Sms, "+86 138 0013 8000");
        let receipt = generic_sms(format!("http://{address}/sms")).send(&message).await.unwrap();
        assert_eq!(receipt.provider_id.as_deref(), Some("gw-20261121-7"));
        let texted = texts.recv().await.unwrap();
        assert_eq!(texted.authorization.as_deref(), Some("Bearer gateway-token"));
        assert_eq!(texted.body, serde_json::json!({ "phone": "13800138000", "text": message.body, "id": message.id }));
    })
    .await;
}

#[tokio::test]
async fn sms_failures_are_classified() {
    bounded(async {
        let (address, _texts) = sms_gateway().await;
        let send = |url: String, to: &'static str| async move {
            generic_sms(url).send(&message(Channel::Sms, to)).await.unwrap_err()
        };
        assert!(send(format!("http://{address}/broken"), "13800138000").await.is_transient());
        let error = send(format!("http://{address}/refuse"), "13800138000").await;
        assert!(matches!(&error, SendError::Permanent(detail) if detail.contains("blocked number")), "{error:?}");
        let port = closed_port().await;
        assert!(send(format!("http://127.0.0.1:{port}/sms"), "13800138000").await.is_transient());
        let error = send(format!("http://{address}/sms"), "010-12345678").await;
        assert!(matches!(error, SendError::Permanent(_)), "a landline is not a mobile: {error:?}");
    })
    .await;
}

/// Alibaba Cloud's percent-encoding, written again here from the documentation.
fn aliyun_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn an_sms_reaches_a_local_stand_in_for_aliyun_signed() {
    bounded(async {
        let (sender, mut calls) = mpsc::unbounded_channel::<BTreeMap<String, String>>();
        let stand_in = |State(sender): State<mpsc::UnboundedSender<BTreeMap<String, String>>>,
                        Query(params): Query<BTreeMap<String, String>>| async move {
            use hmac::Mac as _;
            let canonical = params
                .iter()
                .filter(|(name, _)| name.as_str() != "Signature")
                .map(|(name, value)| format!("{}={}", aliyun_encode(name), aliyun_encode(value)))
                .collect::<Vec<_>>()
                .join("&");
            let to_sign = format!("POST&%2F&{}", aliyun_encode(&canonical));
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"local-secret&").unwrap();
            mac.update(to_sign.as_bytes());
            let expected = BASE64.encode(mac.finalize().into_bytes());
            let valid = params.get("Signature") == Some(&expected);
            sender.send(params).unwrap();
            if valid {
                Json(serde_json::json!({"Code": "OK", "Message": "OK", "BizId": "biz-1", "RequestId": "req-1"}))
            } else {
                Json(serde_json::json!({"Code": "SignatureDoesNotMatch", "RequestId": "req-1"}))
            }
        };
        let address = serve(Router::new().route("/", post(stand_in)).with_state(sender)).await;
        let mut config = AliyunSmsConfig::new("local-id", "local-secret", "百搭社区", "SMS_465000001");
        config.endpoint = format!("http://{address}/");
        let provider = AliyunSmsProvider::new(&config).unwrap();
        let transport = SmsTransport::new(Arc::new(provider), Duration::from_secs(5)).unwrap();
        let mut message = message(Channel::Sms, "13800138000");
        message.payload = serde_json::json!({ "name": "张三", "case": "WX-0042" });

        let receipt = transport.send(&message).await.unwrap();
        assert_eq!(receipt.provider_id.as_deref(), Some("biz-1"));
        let params = calls.recv().await.unwrap();
        assert_eq!(params["Action"], "SendSms");
        assert_eq!(params["PhoneNumbers"], "13800138000");
        assert_eq!(params["SignName"], "百搭社区");
        assert_eq!(params["TemplateCode"], "SMS_465000001");
        assert_eq!(params["OutId"], message.id);
        let template_param: serde_json::Value = serde_json::from_str(&params["TemplateParam"]).unwrap();
        assert_eq!(template_param, message.payload);
    })
    .await;
}

#[test]
fn transports_are_picked_by_channel() {
    let webhook: Arc<dyn Transport> = Arc::new(webhook_transport(5));
    let transports = Transports { webhook: Some(webhook), ..Transports::default() };
    assert!(transports.for_channel(Channel::Webhook).is_some());
    assert!(transports.for_channel(Channel::Email).is_none());
}
