//! The command line: `baida serve | validate | migrate | verify`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baida_blocks::{App, Lang};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, FileConfig, parse_timezone};
use crate::engine::verify;
use crate::{server, store};

#[derive(Debug, Parser)]
#[command(
    name = "baida",
    version,
    about = "百搭 Baida — low-code forms and workflows for community governance",
    long_about = "百搭 Baida — a low-code form-and-workflow runtime for urban community governance.\n\n\
        Start with `baida serve --demo`, open the printed address, and fill the demo form.\n\
        Every option can also be set by a BAIDA_* environment variable or in a TOML file given with --config."
)]
pub struct Cli {
    /// A TOML configuration file; flags and BAIDA_* variables override it.
    #[arg(long, env = "BAIDA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Check app definition files and print every problem with its JSON pointer.
    Validate {
        /// App definition files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Language of the messages: zh-CN or en.
        #[arg(long, env = "BAIDA_LANG", default_value = "zh-CN")]
        lang: String,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate(StoreArgs),
    /// Check every case's hash-chained event log; exits non-zero if any was altered.
    Verify(StoreArgs),
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Folder for the SQLite database and uploaded photos [default: ./baida-data].
    #[arg(long, env = "BAIDA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://user@host/db) instead of SQLite.
    #[arg(long, env = "BAIDA_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BAIDA_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Bearer token for the endpoints that change apps and read cases.
    #[arg(long, env = "BAIDA_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Load the reference apps and a demo district; print the addresses to open.
    #[arg(long, env = "BAIDA_DEMO")]
    pub demo: bool,
    /// Largest request body in bytes [default: 16777216].
    #[arg(long, env = "BAIDA_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest photo in bytes [default: 10485760].
    #[arg(long, env = "BAIDA_MAX_PHOTO_BYTES")]
    pub max_photo_bytes: Option<usize>,
    /// Write each submission in its own transaction instead of batching concurrent ones.
    #[arg(long, env = "BAIDA_NO_GROUP_COMMIT")]
    pub no_group_commit: bool,
    /// IANA time zone for dates shown to people [default: Asia/Shanghai].
    #[arg(long, env = "BAIDA_TIMEZONE")]
    pub timezone: Option<String>,
}

impl ServeArgs {
    /// Resolves flags and environment over the file over the defaults.
    pub fn resolve(self, file: FileConfig) -> anyhow::Result<Config> {
        let d = Config::default();
        let timezone = match self.timezone.or(file.timezone) {
            Some(name) => parse_timezone(&name)?,
            None => d.timezone,
        };
        Ok(Config {
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            data_dir: self.store.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            database_url: self.store.database_url.or(file.database_url),
            admin_token: self.admin_token.or(file.admin_token),
            demo: self.demo || file.demo.unwrap_or(false),
            max_body_bytes: self.max_body_bytes.or(file.max_body_bytes).unwrap_or(d.max_body_bytes),
            max_photo_bytes: self.max_photo_bytes.or(file.max_photo_bytes).unwrap_or(d.max_photo_bytes),
            max_photo_pixels: file.max_photo_pixels.unwrap_or(d.max_photo_pixels),
            group_commit: !self.no_group_commit && file.group_commit.unwrap_or(true),
            timezone,
            notify: file.notify,
        })
    }
}

impl StoreArgs {
    fn resolve(self, file: FileConfig) -> (Option<String>, PathBuf) {
        (
            self.database_url.or(file.database_url),
            self.data_dir.or(file.data_dir).unwrap_or_else(|| Config::default().data_dir),
        )
    }
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            let config = args.resolve(file)?;
            server::run(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { files, lang } => Ok(validate(&files, Lang::from_tag(&lang).unwrap_or_default())),
        Command::Migrate(args) => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            println!("database schema is up to date ({})", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            let report = verify::verify_all(store.as_ref()).await?;
            for b in &report.broken {
                println!("BROKEN case {} ({}): {}", b.number, b.case_id, b.why);
            }
            println!("verified {} cases, {} events: {} broken", report.cases, report.events, report.broken.len());
            Ok(if report.broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// `baida validate`: prints every problem of every file; non-zero when any has one.
fn validate(files: &[PathBuf], lang: Lang) -> ExitCode {
    let dictionary = baida_catalog::dictionary();
    let mut failed = false;
    for path in files {
        let problems = match read_json(path) {
            Ok(doc) => App::compile(&doc, &dictionary).err().unwrap_or_default(),
            Err(message) => {
                failed = true;
                eprintln!("{}: {message}", path.display());
                continue;
            }
        };
        if problems.is_empty() {
            println!("{}: {}", path.display(), if lang == Lang::En { "OK" } else { "通过" });
            continue;
        }
        failed = true;
        for p in problems {
            let at = if p.pointer.is_empty() { "/" } else { &p.pointer };
            let place = match (p.line, p.column) {
                (Some(l), Some(c)) => format!(" [{l}:{c}]"),
                _ => String::new(),
            };
            println!("{}: {at}{place}: {} ({})", path.display(), p.message.get(lang), p.code);
            if let Some(hint) = p.hint {
                println!("    {} {}", if lang == Lang::En { "hint:" } else { "提示：" }, hint.get(lang));
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e} (line {}, column {})", e.line(), e.column()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServeArgs {
        match Cli::try_parse_from(["baida", "serve"].iter().chain(args)).unwrap().command {
            Command::Serve(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file = FileConfig {
            listen: Some("127.0.0.1:9000".parse().unwrap()),
            max_body_bytes: Some(1024),
            demo: Some(true),
            ..FileConfig::default()
        };
        let c = serve(&["--listen", "127.0.0.1:7000"]).resolve(file).unwrap();
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.max_body_bytes, 1024);
        assert!(c.demo);
        let c = serve(&[]).resolve(FileConfig::default()).unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.data_dir, PathBuf::from("./baida-data"));
        assert!(c.group_commit);
        assert!(!serve(&["--no-group-commit"]).resolve(FileConfig::default()).unwrap().group_commit);
    }
}
