//! Alibaba Cloud SMS: `SendSms` of `dysmsapi` (API version 2017-05-25), RPC style, signed with
//! signature method HMAC-SHA1, signature version 1.0.
//!
//! Signing, as Alibaba Cloud documents it for RPC APIs and for SMS:
//! 1. every parameter except `Signature` is percent-encoded (UTF-8; `A-Z a-z 0-9 - _ . ~` kept,
//!    space as `%20`, never `+`), sorted by name and joined as `name=value` with `&`: the
//!    canonicalized query string;
//! 2. `StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(canonicalized)`;
//! 3. `Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`, sent as one more
//!    (percent-encoded) parameter.
//!
//! Requests are `POST` with every parameter in the query string and an empty body, signed with
//! `POST`: the shape Alibaba Cloud's own SDK sends for `SendSms`, whose parameters are declared
//! `in: query` in the API metadata. A mainland SMS must use an approved
//! template: the message's `payload`, when it is a JSON object, is the `TemplateParam`;
//! otherwise the text goes into the template variable named by [`AliyunSmsConfig::text_param`].

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;

use super::{Answer, ConfigError, Message, Receipt, Secret, SendError, SmsProvider, client, default_timeout_secs};
use baida_core::clock::{Clock, SystemClock};

/// The public endpoint of the SMS API.
pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";

/// Settings of the Alibaba Cloud SMS provider.
#[derive(Debug, Clone, Deserialize)]
pub struct AliyunSmsConfig {
    /// The API endpoint; tests point it at a local server.
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// The approved signature (签名), shown as `【…】` at the start of the text.
    pub sign_name: String,
    /// The approved template, `SMS_…`.
    pub template_code: String,
    /// The template variable that receives the message text when the payload is not an object.
    #[serde(default = "default_text_param")]
    pub text_param: String,
    #[serde(default = "default_region")]
    pub region_id: String,
    /// Bound on one attempt, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_owned()
}

fn default_text_param() -> String {
    "content".to_owned()
}

fn default_region() -> String {
    "cn-hangzhou".to_owned()
}

impl AliyunSmsConfig {
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<Secret>,
        sign_name: impl Into<String>,
        template_code: impl Into<String>,
    ) -> AliyunSmsConfig {
        AliyunSmsConfig {
            endpoint: default_endpoint(),
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            sign_name: sign_name.into(),
            template_code: template_code.into(),
            text_param: default_text_param(),
            region_id: default_region(),
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// Percent-encoding of the RPC signature: RFC 3986 unreserved characters are kept, every other
/// byte of the UTF-8 text becomes `%XY` (upper-case hex).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The canonicalized query string: encoded `name=value` pairs in name order, joined by `&`.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `HTTPMethod&%2F&percentEncode(canonicalized query)`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical_query(params)))
}

/// `Base64(HMAC-SHA1(secret + "&", StringToSign))`.
pub fn signature(method: &str, params: &BTreeMap<String, String>, access_key_secret: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{access_key_secret}&").as_bytes()).expect("HMAC takes any key");
    mac.update(string_to_sign(method, params).as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The Alibaba Cloud `SendSms` provider.
pub struct AliyunSmsProvider {
    endpoint: reqwest::Url,
    config: AliyunSmsConfig,
    clock: Arc<dyn Clock>,
}

impl AliyunSmsProvider {
    pub fn new(config: &AliyunSmsConfig) -> Result<AliyunSmsProvider, ConfigError> {
        let endpoint = client::parse_url(&config.endpoint)
            .map_err(|error| ConfigError(format!("Aliyun SMS endpoint: {error}")))?;
        for (name, value) in [
            ("access_key_id", config.access_key_id.as_str()),
            ("access_key_secret", config.access_key_secret.expose()),
            ("sign_name", config.sign_name.as_str()),
            ("template_code", config.template_code.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!("Aliyun SMS: {name} is empty")));
            }
        }
        Ok(AliyunSmsProvider { endpoint, config: config.clone(), clock: Arc::new(SystemClock) })
    }

    /// Replaces the clock that stamps `Timestamp`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AliyunSmsProvider {
        self.clock = clock;
        self
    }

    /// Every parameter of one `SendSms` call, `Signature` included.
    pub fn signed_params(
        &self,
        method: &str,
        phone: &str,
        message: &Message,
        timestamp: DateTime<Utc>,
        nonce: &str,
    ) -> BTreeMap<String, String> {
        let template_param = if message.payload.is_object() {
            message.payload.to_string()
        } else {
            serde_json::json!({ self.config.text_param.as_str(): message.body }).to_string()
        };
        let mut params: BTreeMap<String, String> = [
            ("AccessKeyId", self.config.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("OutId", message.id.as_str()),
            ("PhoneNumbers", phone),
            ("RegionId", self.config.region_id.as_str()),
            ("SignName", self.config.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", self.config.template_code.as_str()),
            ("TemplateParam", template_param.as_str()),
            ("Timestamp", &timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        let signature = signature(method, &params, self.config.access_key_secret.expose());
        params.insert("Signature".to_owned(), signature);
        params
    }
}

/// The JSON answer of `SendSms`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsAnswer {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    biz_id: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Error codes after which the same message may go through later: flow control and quotas,
/// arrears, throttling, and the platform's own trouble. Every other code (bad number, template,
/// signature, keys, permissions) is permanent.
fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        "isv.BUSINESS_LIMIT_CONTROL"
            | "isv.DAY_LIMIT_CONTROL"
            | "isv.MONTH_LIMIT_CONTROL"
            | "isv.OUT_OF_SERVICE"
            | "isv.AMOUNT_NOT_ENOUGH"
            | "SignatureNonceUsed"
            | "InvalidTimeStamp.Expired"
            | "ServiceUnavailable"
            | "InternalError"
    ) || code.starts_with("Throttling")
        || (code.starts_with("isp.") && code != "isp.RAM_PERMISSION_DENY")
}

impl SmsProvider for AliyunSmsProvider {
    fn name(&self) -> &'static str {
        "aliyun"
    }

    fn build_request(
        &self,
        client: &reqwest::Client,
        phone: &str,
        message: &Message,
    ) -> Result<reqwest::Request, SendError> {
        let nonce = uuid::Uuid::new_v4().to_string();
        let params = self.signed_params("POST", phone, message, self.clock.now(), &nonce);
        let query = params
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let mut url = self.endpoint.clone();
        url.set_query(Some(&query));
        client.post(url).body("").build().map_err(|error| client::request_error(&error))
    }

    fn interpret(&self, answer: &Answer) -> Result<Receipt, SendError> {
        let Ok(parsed) = serde_json::from_str::<SendSmsAnswer>(&answer.body) else {
            answer.check_status()?;
            return Err(SendError::Transient(format!("unreadable SendSms answer: {}", answer.summary())));
        };
        let request_id = parsed.request_id.as_deref().unwrap_or("-");
        if parsed.code == "OK" {
            return Ok(Receipt { provider_id: parsed.biz_id, detail: format!("OK (RequestId {request_id})") });
        }
        let detail = format!(
            "{} {}: {} (RequestId {request_id})",
            answer.status.as_u16(),
            parsed.code,
            parsed.message.as_deref().unwrap_or("")
        );
        if is_transient_code(&parsed.code) || answer.status.is_server_error() {
            Err(SendError::Transient(detail))
        } else {
            Err(SendError::Permanent(detail))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use reqwest::StatusCode;

    use super::*;
    use crate::notify::Channel;

    /// The worked example of Alibaba Cloud's SMS signature documentation ("HTTP协议及签名",
    /// document 56189; the same parameters appear in the current 签名机制 page, document 101343):
    /// AccessKeyId `testId`, AccessKeySecret `testSecret`, and the published result.
    fn documented_params() -> BTreeMap<String, String> {
        [
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    #[test]
    fn signature_matches_the_documented_example() {
        let params = documented_params();
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001\
             %26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4\
             %25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode\
             %3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp\
             %3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
        );
        assert_eq!(signature("GET", &params, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
    }

    #[test]
    fn percent_encoding_follows_the_rpc_rules() {
        assert_eq!(percent_encode("a b+c*d~e/f"), "a%20b%2Bc%2Ad~e%2Ff");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("百搭"), "%E7%99%BE%E6%90%AD");
    }

    fn provider() -> AliyunSmsProvider {
        AliyunSmsProvider::new(&AliyunSmsConfig::new("testId", "testSecret", "百搭社区", "SMS_1")).unwrap()
    }

    fn message(payload: serde_json::Value) -> Message {
        Message {
            id: "outbox-9".into(),
            channel: Channel::Sms,
            to: "13800138000".into(),
            subject: String::new(),
            body: "您的申请已受理".into(),
            payload,
        }
    }

    #[test]
    fn send_sms_parameters_carry_the_message() {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 8, 30, 0).unwrap();
        let params = provider().signed_params("POST", "13800138000", &message(serde_json::Value::Null), at, "n-1");
        assert_eq!(params["PhoneNumbers"], "13800138000");
        assert_eq!(params["OutId"], "outbox-9");
        assert_eq!(params["Timestamp"], "2026-11-21T08:30:00Z");
        assert_eq!(params["TemplateParam"], r#"{"content":"您的申请已受理"}"#);
        assert_eq!(params["Signature"], signature("POST", &params, "testSecret"));
        let with_payload =
            provider().signed_params("POST", "13800138000", &message(serde_json::json!({"code": "1234"})), at, "n-1");
        assert_eq!(with_payload["TemplateParam"], r#"{"code":"1234"}"#);
    }

    #[test]
    fn answers_are_classified() {
        let provider = provider();
        let answer =
            |status: u16, body: &str| Answer { status: StatusCode::from_u16(status).unwrap(), body: body.into() };
        let ok = provider
            .interpret(&answer(200, r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"R1"}"#))
            .unwrap();
        assert_eq!(ok.provider_id.as_deref(), Some("900619746936498440^0"));
        let limited = provider
            .interpret(&answer(200, r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控"}"#))
            .unwrap_err();
        assert!(limited.is_transient(), "{limited}");
        let bad_number = provider
            .interpret(&answer(200, r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#))
            .unwrap_err();
        assert!(!bad_number.is_transient(), "{bad_number}");
        let bad_key = provider.interpret(&answer(404, r#"{"Code":"InvalidAccessKeyId.NotFound"}"#)).unwrap_err();
        assert!(!bad_key.is_transient());
        assert!(provider.interpret(&answer(503, "<html>busy</html>")).unwrap_err().is_transient());
        assert!(provider.interpret(&answer(200, "not json")).unwrap_err().is_transient());
    }
}
