//! The `baida` binary: parses the command line and hands over to [`baida_runtime::cli`].

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BAIDA_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = baida_runtime::cli::Cli::parse();
    match baida_runtime::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("baida: {e:#}");
            ExitCode::FAILURE
        }
    }
}
