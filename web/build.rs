//! Records the git commit the binary is built from, for `baida --version` and `/healthz`
//! ("unknown" outside a git checkout, e.g. from a source archive).

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| o.status.success() && !o.stdout.is_empty());
    let version = format!("{} (commit {commit}{})", env!("CARGO_PKG_VERSION"), if dirty { ", modified" } else { "" });
    println!("cargo:rustc-env=BAIDA_VERSION={version}");
    println!("cargo:rustc-env=BAIDA_COMMIT={commit}");
    // Rebuilt when HEAD moves (a commit, a checkout), not on every source change.
    for path in ["../.git/HEAD", "../.git/refs/heads", "../.git/index"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
