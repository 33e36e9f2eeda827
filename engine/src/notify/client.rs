//! The outgoing HTTP client shared by the SMS gateways and webhooks, and how an HTTP answer or
//! failure maps to [`SendError`].
//!
//! Redirects are never followed (the Standard Webhooks spec asks for that; a moved endpoint is
//! a configuration to fix, not something to chase), every request has a total timeout, and at
//! most [`MAX_ANSWER_BYTES`] of a peer's answer are read.

use std::time::Duration;

use reqwest::{StatusCode, Url};

use super::{ConfigError, SendError, truncate};

/// The default bound on one HTTP delivery attempt, connection and answer included. The Standard
/// Webhooks spec recommends 15 to 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// How much of a peer's answer is read and kept.
pub const MAX_ANSWER_BYTES: usize = 4096;

/// How much of a peer's answer goes into a [`SendError`] or [`super::Receipt`] detail.
const DETAIL_CHARS: usize = 300;

/// Builds the client: total timeout `timeout`, no redirects, a `baida/<version>` user agent.
pub fn build_client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    builder(timeout).build().map_err(|error| ConfigError(format!("cannot build the HTTP client: {}", chain(&error))))
}

/// The settings every outgoing client shares, for a caller that adds its own (a resolver).
pub fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("baida/", env!("CARGO_PKG_VERSION")))
}

/// A peer's answer: its status and the start of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    /// At most [`MAX_ANSWER_BYTES`] of the body, decoded lossily as UTF-8.
    pub body: String,
}

impl Answer {
    /// `HTTP 200: <start of the body>`, for receipts and errors.
    pub fn summary(&self) -> String {
        let body = self.body.trim();
        if body.is_empty() {
            format!("HTTP {}", self.status.as_u16())
        } else {
            format!("HTTP {}: {}", self.status.as_u16(), truncate(body, DETAIL_CHARS))
        }
    }

    /// `Ok` for 2xx, otherwise the [`SendError`] the status calls for (see [`classify_status`]).
    pub fn check_status(&self) -> Result<(), SendError> {
        classify_status(self.status, &self.summary())
    }
}

/// Sends `request` and reads the start of the answer. A failure to read the body after the
/// status arrived is not an error: the peer has already answered.
pub async fn execute(client: &reqwest::Client, request: reqwest::Request) -> Result<Answer, SendError> {
    let mut response = client.execute(request).await.map_err(|error| request_error(&error))?;
    let status = response.status();
    let mut body = Vec::new();
    while body.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => {
                body.extend_from_slice(format!(" (answer cut short: {})", chain(&error)).as_bytes());
                break;
            }
        }
    }
    body.truncate(MAX_ANSWER_BYTES);
    Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned() })
}

/// What a non-2xx status means for the outbox. 408, 425 and 429 ask the sender to come back
/// later and 5xx is the peer's trouble: transient. 410 Gone (the endpoint wants nothing more),
/// other 4xx and 3xx (redirects are not followed) will not change on a retry: permanent.
pub fn classify_status(status: StatusCode, detail: &str) -> Result<(), SendError> {
    match status.as_u16() {
        200..=299 => Ok(()),
        408 | 425 | 429 => Err(SendError::Transient(detail.to_owned())),
        410 => Err(SendError::Permanent(format!("{detail} (the endpoint is gone: stop sending to it)"))),
        300..=499 => Err(SendError::Permanent(detail.to_owned())),
        _ => Err(SendError::Transient(detail.to_owned())),
    }
}

/// A request that got no answer. Timeouts, refused or reset connections and TLS trouble are
/// transient; a request that could not even be built (a bad URL), or to a destination that
/// is not permitted, is permanent.
pub fn request_error(error: &reqwest::Error) -> SendError {
    let detail = chain(error);
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<super::destination::NoPermittedAddress>() {
            return SendError::Permanent(detail);
        }
        source = e.source();
    }
    if error.is_builder() || error.is_redirect() {
        SendError::Permanent(detail)
    } else if error.is_timeout() {
        SendError::Transient(format!("timed out: {detail}"))
    } else {
        SendError::Transient(detail)
    }
}

/// Parses a destination URL; only `http` and `https` are accepted.
pub fn parse_url(text: &str) -> Result<Url, SendError> {
    let url = Url::parse(text.trim()).map_err(|error| SendError::Permanent(format!("bad URL {text:?}: {error}")))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(SendError::Permanent(format!("not an http(s) URL: {text:?}"))),
    }
}

/// An error and its sources, joined: reqwest's own message rarely says what went wrong.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(status: u16) -> &'static str {
        match classify_status(StatusCode::from_u16(status).unwrap(), "d") {
            Ok(()) => "ok",
            Err(SendError::Transient(_)) => "transient",
            Err(SendError::Permanent(_)) => "permanent",
        }
    }

    #[test]
    fn statuses_are_classified() {
        for (status, expected) in [
            (200, "ok"),
            (202, "ok"),
            (204, "ok"),
            (301, "permanent"),
            (400, "permanent"),
            (401, "permanent"),
            (404, "permanent"),
            (408, "transient"),
            (410, "permanent"),
            (429, "transient"),
            (500, "transient"),
            (502, "transient"),
            (503, "transient"),
        ] {
            assert_eq!(class(status), expected, "HTTP {status}");
        }
    }

    #[test]
    fn only_http_urls_are_destinations() {
        assert!(parse_url("https://example.org/hook").is_ok());
        assert!(parse_url(" http://127.0.0.1:8080/x ").is_ok());
        assert!(matches!(parse_url("ftp://example.org/"), Err(SendError::Permanent(_))));
        assert!(matches!(parse_url("not a url"), Err(SendError::Permanent(_))));
    }

    #[test]
    fn summaries_keep_the_start_of_the_body() {
        let answer = Answer { status: StatusCode::BAD_REQUEST, body: "x".repeat(1000) };
        assert!(answer.summary().starts_with("HTTP 400: xxx"));
        assert!(answer.summary().chars().count() < 320);
        let empty = Answer { status: StatusCode::NO_CONTENT, body: String::new() };
        assert_eq!(empty.summary(), "HTTP 204");
    }
}
