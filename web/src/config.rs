//! Configuration: parsed once in `main` from flags, `BAIDA_*` environment variables and an
//! optional TOML file (in that order of precedence), then passed down explicitly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything a running server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite:…`; SQLite under `data_dir` when unset.
    pub database_url: Option<String>,
    /// The bearer token for endpoints that change apps or read cases.
    pub admin_token: Option<String>,
    pub demo: bool,
    /// Largest request body (bytes); larger requests get 413.
    pub max_body_bytes: usize,
    /// Largest photo (bytes).
    pub max_photo_bytes: usize,
    /// Most pixels a photo may declare.
    pub max_photo_pixels: u64,
    /// Batch concurrent submissions into one transaction.
    pub group_commit: bool,
    /// Time zone for dates shown to people and for "today".
    pub timezone: chrono_tz::Tz,
    /// How notifications leave: e-mail, SMS and webhook transports (from the file only).
    pub notify: NotifyConfig,
    /// Plugin limits (`[plugins]` in the file): memory, deadline and its district cap, sizes.
    pub plugins: baida_engine::plugin::Limits,
    /// Submissions from people who are not logged in, per client address: this many at once,
    /// then this many a minute (`0`: no limit, for benchmarks).
    pub public_submissions_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed
    /// ([`crate::proxy`]); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The `[notify]` section of the configuration file. A channel without a section is not
/// configured: its messages fail with a clear reason on the case, and nothing else stops.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub email: Option<baida_engine::notify::SmtpConfig>,
    pub sms: Option<baida_engine::notify::SmsConfig>,
    pub webhook: Option<baida_engine::notify::WebhookConfig>,
    /// At most this many SMS or e-mails to one recipient in 24 hours, whatever sends them
    /// (default [`baida_engine::recipient::DAILY_CAP`]).
    pub daily_cap: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./baida-data"),
            database_url: None,
            admin_token: None,
            demo: false,
            max_body_bytes: 16 * 1024 * 1024,
            max_photo_bytes: 10 * 1024 * 1024,
            max_photo_pixels: 50_000_000,
            group_commit: true,
            timezone: chrono_tz::Asia::Shanghai,
            notify: NotifyConfig::default(),
            plugins: baida_engine::plugin::Limits::default(),
            public_submissions_per_minute: 60,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The optional configuration file; every key is optional and named like its flag.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub admin_token: Option<String>,
    pub demo: Option<bool>,
    pub max_body_bytes: Option<usize>,
    pub max_photo_bytes: Option<usize>,
    pub max_photo_pixels: Option<u64>,
    pub group_commit: Option<bool>,
    pub timezone: Option<String>,
    pub public_submissions_per_minute: Option<u32>,
    pub trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    pub notify: NotifyConfig,
    #[serde(default)]
    pub plugins: baida_engine::plugin::Limits,
}

/// A configuration problem, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("unknown time zone “{0}”: use an IANA name such as Asia/Shanghai")]
    Timezone(String),
    #[error(
        "the admin token (--admin-token, BAIDA_ADMIN_TOKEN or admin_token in the configuration file) {0}: \
         it gives everything, everywhere, so it needs at least 32 visible characters without \
         spaces. Make one with `openssl rand -hex 32`, or leave it unset to run without an admin token"
    )]
    AdminToken(&'static str),
}

/// The shortest admin token a server accepts.
pub const MIN_ADMIN_TOKEN: usize = 32;

impl Config {
    /// Refuses a configuration that would be unsafe to serve with. Called before a server
    /// starts, whichever way the configuration was made.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.admin_token {
            if token.is_empty() {
                return Err(ConfigError::AdminToken("is empty"));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::AdminToken("has spaces or characters that cannot be sent in a header"));
            }
            if token.len() < MIN_ADMIN_TOKEN {
                return Err(ConfigError::AdminToken("is too short"));
            }
        }
        Ok(())
    }
}

impl FileConfig {
    /// Reads `path`, or gives the empty configuration when there is none.
    pub fn load(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
        let Some(path) = path else { return Ok(FileConfig::default()) };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })
    }
}

/// Parses an IANA time-zone name.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, ConfigError> {
    name.parse().map_err(|_| ConfigError::Timezone(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_a_valid_configuration() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/baida.toml");
        let file = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(file.timezone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(file.group_commit, Some(true));
        assert_eq!(file.plugins, baida_engine::plugin::Limits::default());
        parse_timezone(file.timezone.as_deref().unwrap()).unwrap();
    }

    #[test]
    fn the_deployment_example_is_a_valid_configuration() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/deploy/baida.toml");
        let file = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(file.trusted_proxies.as_deref(), Some(&["127.0.0.1".to_string()][..]));
        assert_eq!(file.notify.daily_cap, Some(20));
        assert!(file.admin_token.is_none(), "the token is not in the file");
    }

    #[test]
    fn the_notify_section_of_the_readme_parses() {
        let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
        let toml_block = readme.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
        let file: FileConfig = toml::from_str(toml_block).unwrap();
        assert_eq!(file.notify.email.as_ref().map(|e| e.host.as_str()), Some("smtp.example.org"));
        assert!(file.notify.sms.is_some() && file.notify.webhook.is_some());
    }

    #[test]
    fn an_empty_or_short_admin_token_is_refused_with_the_fix() {
        let with = |t: &str| Config { admin_token: Some(t.into()), ..Config::default() }.check();
        for bad in ["", "short", "abcdefghijklmnopqrstuvwxyz01234", "0123456789abcdef 0123456789abcdef"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("BAIDA_ADMIN_TOKEN") && err.contains("openssl rand -hex 32"), "{bad:?}: {err}");
        }
        assert!(with("").unwrap_err().to_string().contains("is empty"));
        assert!(with("0123456789abcdef0123456789abcdef").is_ok());
        assert!(Config::default().check().is_ok(), "no admin token at all is fine");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baida.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
        let err = FileConfig::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("baida.toml") && err.contains("listen_port"), "{err}");
    }
}
