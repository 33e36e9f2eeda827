//! Runs `baida plugin add` and `baida plugin list` against the store, with the same checks as
//! the API (`plugin::registry`).

use std::process::ExitCode;

use crate::cli::PluginCommand;
use baida_engine::plugin::{Limits, Plugins, registry};
use baida_store::Store;

/// `baida plugin …`.
pub async fn plugin(store: &dyn Store, limits: Limits, command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Add { file, name, version } => {
            let wasm = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let plugins = Plugins::new(limits).map_err(|f| anyhow::anyhow!("{f}"))?;
            let by = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
            match registry::add(&plugins, store, wasm, &name, &version, &by, chrono::Utc::now()).await {
                Ok((v, created)) => {
                    let what = if created { "added" } else { "already there" };
                    println!("{}@{} {what}: sha256:{} ({} bytes)", v.name, v.version, v.sha256, v.size);
                    if !v.capabilities.is_empty() {
                        println!("  needs: {} (grant it in the plugin step's `grants`)", v.capabilities.join(", "));
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(registry::AddError::Refused(f)) => {
                    eprintln!("refused [{}]: {}\n  {}", f.code, f.message.en(), f.message.zh());
                    Ok(ExitCode::FAILURE)
                }
                Err(registry::AddError::BadName(why)) => {
                    eprintln!("refused: {}\n  {}", why.en(), why.zh());
                    Ok(ExitCode::FAILURE)
                }
                Err(registry::AddError::Store(e)) => Err(e.into()),
            }
        }
        PluginCommand::List => {
            let all = store.plugins().await?;
            if all.is_empty() {
                println!("no plugins yet: baida plugin add FILE --name NAME --version VERSION");
            }
            for v in all {
                let needs = if v.capabilities.is_empty() {
                    String::new()
                } else {
                    format!("  needs {}", v.capabilities.join(","))
                };
                println!(
                    "{}@{}  sha256:{}  {} bytes  by {} at {}{needs}",
                    v.name,
                    v.version,
                    v.sha256,
                    v.size,
                    v.uploaded_by,
                    v.uploaded_at.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
