//! The `baida` binary: parses the command line and hands over to [`crate::cli`].

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BAIDA_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    // BAIDA_LOG_FORMAT=json: one JSON object per line, for a log collector.
    if std::env::var("BAIDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        // Colours only on a terminal: a log file or collector gets plain text.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt().with_ansi(ansi).with_env_filter(filter).init();
    }
    let cli = baida::cli::Cli::parse();
    match baida::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("baida: {e:#}");
            ExitCode::FAILURE
        }
    }
}
