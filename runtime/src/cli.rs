//! The command line: `baida serve | validate | migrate | verify | org | user | ledger | catalog | plugin`.
//!
//! The `org` and `user` commands are declared here and carried out by [`crate::org_cli`];
//! `catalog` is declared and carried out by [`crate::catalog_cli`], `ledger` by
//! [`crate::ledger_cli`], `plugin` by [`crate::plugin_cli`].
//!
//! Kept whole (over 500 lines): the clap declarations of every command and their help, one
//! place to read what the binary takes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baida_blocks::{App, Lang};
use clap::{Args, Parser, Subcommand};

use crate::{org_cli, plugin_cli, server};
use baida_engine::verify;
use baida_store as store;
use baida_web::config::{Config, FileConfig, parse_timezone};

#[derive(Debug, Parser)]
#[command(
    name = "baida",
    version = baida_web::VERSION,
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
    /// Copy the database (SQLite, consistently, while the server runs), the photos, the
    /// ledger's signing key and the calendars into a new folder; check the copy with
    /// `baida verify --data-dir DEST`.
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// A new or empty folder.
        dest: PathBuf,
    },
    /// Put a copy made by `baida backup` back into an empty data folder (server stopped).
    Restore {
        #[command(flatten)]
        store: StoreArgs,
        /// The folder `baida backup` wrote.
        src: PathBuf,
    },
    /// Manage the organisation tree: district, streets, communities, grids, departments.
    Org {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// The district catalog: list, show, publish, install (in bulk, with progress), upgrade.
    Catalog {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: crate::catalog_cli::CatalogCommand,
    },
    /// Manage staff accounts and their roles.
    #[command(after_help = PASSWORD_HELP)]
    User {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The community ledger: verify its log, import entries, apply the year-end rule.
    Ledger {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: crate::ledger_cli::LedgerCommand,
    },
    /// Manage WebAssembly plugins: upload one, list them.
    Plugin {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: PluginCommand,
    },
}

/// `baida plugin …`: the same checks as `POST /api/v1/plugins`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Check, compile and store a module (.wasm) under a name and version.
    Add {
        /// The module file (a core WebAssembly module, binary format).
        file: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        version: String,
    },
    /// List plugins, their versions and content hashes.
    List,
}

/// How `user add` and `user reset-password` take the password.
pub const PASSWORD_HELP: &str = "The password is never a flag, so it does not land in shell history: it is read from the \
    environment variable BAIDA_NEW_PASSWORD or, when that is not set, from the first line of standard input \
    (e.g. `printf '%s\\n' \"$PW\" | baida user add …`). It needs at least 10 characters of three kinds \
    (lower case, upper case, digits, other) and must not contain the username or phone number.\n\
    密码不作为参数传入（以免留在命令历史中）：从环境变量 BAIDA_NEW_PASSWORD 读取，未设置时读取标准输入的第一行。";

/// `baida org …`: changes go through the same rules as the API and the admin pages.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Print the tree, indented: id, kind, Chinese name, English name, "(retired)".
    List,
    /// Add a unit.
    Add {
        /// The new unit's id: 2–64 lower-case letters, digits or hyphens.
        id: String,
        /// district, street (under a district), community (under a street), grid (under a community) or
        /// department (under a district).
        #[arg(long)]
        kind: String,
        /// The unit it sits under (every kind but district needs one).
        #[arg(long)]
        parent: Option<String>,
        /// Chinese name.
        #[arg(long)]
        zh: String,
        /// English name.
        #[arg(long)]
        en: String,
    },
    /// Rename a unit.
    Rename {
        id: String,
        /// New Chinese name.
        #[arg(long)]
        zh: String,
        /// New English name.
        #[arg(long)]
        en: String,
    },
    /// Move a unit (and everything below it) under another parent of the right kind.
    Move {
        id: String,
        /// The new parent.
        #[arg(long)]
        parent: String,
    },
    /// Retire a unit: it keeps its history but takes no new cases. Units below it must be retired or moved
    /// first.
    Retire { id: String },
}

/// `baida user …`: changes go through the same rules as the API and are recorded as security events.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List accounts with their roles.
    List {
        /// Only the accounts of this unit and the units below it.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Create an account. The password comes from BAIDA_NEW_PASSWORD or the first line of stdin.
    #[command(after_help = PASSWORD_HELP)]
    Add {
        /// 2–32 letters, digits, dots, underscores or hyphens.
        username: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// The unit the account belongs to.
        #[arg(long)]
        unit: String,
        /// Mobile number (11 digits, starting with 1); can also be used to log in.
        #[arg(long)]
        phone: Option<String>,
    },
    /// Grant a role at a unit (it holds there and below).
    Grant {
        /// The username (or phone number).
        username: String,
        /// grid_worker, community_admin, street_admin, district_admin, department_handler or app_builder.
        role: String,
        /// Where the role holds.
        unit: String,
    },
    /// Revoke a role granted at a unit.
    Revoke {
        /// The username (or phone number).
        username: String,
        role: String,
        unit: String,
    },
    /// Set a new password; every session of the account ends. The password comes from BAIDA_NEW_PASSWORD
    /// or the first line of stdin.
    #[command(after_help = PASSWORD_HELP)]
    ResetPassword {
        /// The username (or phone number).
        username: String,
    },
    /// Disable an account: it can no longer log in and every session ends at once.
    Disable {
        /// The username (or phone number).
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        /// The username (or phone number).
        username: String,
    },
    /// Unlock an account locked after failed log-ins.
    Unlock {
        /// The username (or phone number).
        username: String,
    },
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Folder for the SQLite database and uploaded photos [default: ./baida-data].
    #[arg(long, env = "BAIDA_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://user@host/db) instead of SQLite.
    #[arg(long, env = "BAIDA_DATABASE_URL", global = true)]
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
    /// Submissions without a log-in per client address: this many at once, then this many a
    /// minute; 0 for no limit [default: 60].
    #[arg(long, env = "BAIDA_PUBLIC_SUBMISSIONS_PER_MINUTE")]
    pub public_submissions_per_minute: Option<u32>,
    /// Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed; none by default, so clients cannot forge them.
    #[arg(long, env = "BAIDA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
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
            plugins: file.plugins,
            public_submissions_per_minute: self
                .public_submissions_per_minute
                .or(file.public_submissions_per_minute)
                .unwrap_or(d.public_submissions_per_minute),
            trusted_proxies: baida_web::proxy::parse_networks(
                &self.trusted_proxies.or(file.trusted_proxies).unwrap_or_default(),
            )
            .map_err(|why| anyhow::anyhow!("--trusted-proxies / BAIDA_TRUSTED_PROXIES / trusted_proxies: {why}"))?,
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
            for b in &report.broken_rows {
                println!("BROKEN register row {} of {} ({}): {}", b.key, b.register, b.row_id, b.why);
            }
            println!("verified {} cases, {} events: {} broken", report.cases, report.events, report.broken.len());
            println!(
                "verified {} register rows, {} row events: {} broken",
                report.rows,
                report.row_events,
                report.broken_rows.len()
            );
            let intact = report.broken.is_empty() && report.broken_rows.is_empty();
            Ok(if intact { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Backup { store: args, dest } => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            crate::backup_cli::backup(store.as_ref(), &dir, &dest).await
        }
        Command::Restore { store: args, src } => {
            let (_, dir) = args.resolve(file);
            crate::backup_cli::restore(&src, &dir)
        }
        Command::Org { store: args, command } => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            org_cli::org(store.as_ref(), command).await
        }
        Command::Catalog { store: args, command } => {
            let plugins = file.plugins.clone();
            let (database_url, data_dir) = args.resolve(file);
            let store = store::open(database_url.as_deref(), &data_dir).await?;
            // Reviews are cases, so the catalog needs an engine (one writer, no batching).
            let config = Config { database_url, data_dir, group_commit: false, plugins, ..Config::default() };
            crate::catalog_cli::run(store, &config, command).await
        }
        Command::User { store: args, command } => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            org_cli::user(store.as_ref(), command).await
        }
        Command::Ledger { store: args, command } => {
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            crate::ledger_cli::run(store, &dir, command).await
        }
        Command::Plugin { store: args, command } => {
            let limits = file.plugins.clone();
            let (url, dir) = args.resolve(file);
            let store = store::open(url.as_deref(), &dir).await?;
            plugin_cli::plugin(store.as_ref(), limits, command).await
        }
    }
}

/// `baida validate`: prints every problem of every file, and warnings for fields that copy the
/// data dictionary; non-zero when any file has a problem (warnings alone pass).
fn validate(files: &[PathBuf], lang: Lang) -> ExitCode {
    let dictionary = baida_catalog::dictionary();
    let mut failed = false;
    for path in files {
        let (problems, warnings) = match read_json(path) {
            Ok(doc) => {
                (App::compile(&doc, &dictionary).err().unwrap_or_default(), dictionary_copies(&doc, &dictionary))
            }
            Err(message) => {
                failed = true;
                eprintln!("{}: {message}", path.display());
                continue;
            }
        };
        for w in &warnings {
            let word = if lang == Lang::En { "warning" } else { "警告" };
            println!("{}: {}: {word}: {} ({})", path.display(), w.pointer, w.message.get(lang), w.code);
            if let Some(hint) = &w.hint {
                println!("    {} {}", if lang == Lang::En { "hint:" } else { "提示：" }, hint.get(lang));
            }
        }
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

/// Warnings, not errors: fields that copy a data-dictionary field, messages to unproven addresses.
fn dictionary_copies(doc: &serde_json::Value, dictionary: &baida_blocks::Dictionary) -> Vec<baida_blocks::Problem> {
    serde_json::from_value::<App>(doc.clone())
        .map(|app| baida_blocks::warnings::find(&app, dictionary))
        .unwrap_or_default()
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

    #[test]
    fn org_and_user_commands_parse_and_take_no_password_flag() {
        let cli = Cli::try_parse_from(["baida", "org", "add", "shatou", "--kind", "street", "--parent", "futian"]);
        assert!(cli.is_err(), "--zh and --en are required");
        let cli = Cli::try_parse_from([
            "baida",
            "org",
            "--data-dir",
            "/tmp/x",
            "add",
            "shatou",
            "--kind",
            "street",
            "--parent",
            "futian",
            "--zh",
            "沙头街道",
            "--en",
            "Shatou Street",
        ])
        .unwrap();
        match cli.command {
            Command::Org { store, command: OrgCommand::Add { id, parent, .. } } => {
                assert_eq!(store.data_dir, Some(PathBuf::from("/tmp/x")));
                assert_eq!((id.as_str(), parent.as_deref()), ("shatou", Some("futian")));
            }
            other => panic!("{other:?}"),
        }
        let add = ["baida", "user", "add", "wang", "--name", "王芳", "--unit", "shatou"];
        assert!(Cli::try_parse_from(add).is_ok());
        assert!(Cli::try_parse_from(add.iter().chain(&["--password", "Secret-123456"])).is_err());
        assert!(Cli::try_parse_from(["baida", "user", "reset-password", "wang", "--password", "x"]).is_err());
        let cli = Cli::try_parse_from(["baida", "user", "grant", "wang", "street_admin", "shatou"]).unwrap();
        assert!(matches!(cli.command, Command::User { command: UserCommand::Grant { .. }, .. }));
    }

    #[test]
    fn plugin_commands_parse() {
        let cli =
            Cli::try_parse_from(["baida", "plugin", "add", "plate.wasm", "--name", "plate", "--version", "1.0.0"])
                .unwrap();
        match cli.command {
            Command::Plugin { command: PluginCommand::Add { file, name, version }, .. } => {
                assert_eq!((file, name.as_str(), version.as_str()), (PathBuf::from("plate.wasm"), "plate", "1.0.0"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Cli::try_parse_from(["baida", "plugin", "add", "plate.wasm"]).is_err(),
            "--name and --version are required"
        );
        assert!(matches!(Cli::try_parse_from(["baida", "plugin", "list"]).unwrap().command, Command::Plugin { .. }));
    }
}
