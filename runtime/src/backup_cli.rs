//! `baida backup DEST` and `baida restore SRC`: a consistent copy of everything a deployment
//! keeps, taken while the server runs, and putting one back.
//!
//! What a copy holds: the SQLite database (`baida.db`, written by SQLite's `VACUUM INTO`, a
//! single read transaction — one consistent moment however busy the server is), the photos
//! (`blobs/`, named by their SHA-256 and never rewritten; a photo is stored before any case
//! names it, so copying them after the database leaves no case of the copy without its
//! photos), the ledger's signing key and any corrected working calendars, and `backup.json`
//! saying when, from what and by which build. With PostgreSQL the
//! database is PostgreSQL's to copy (`pg_dump`, point-in-time recovery: `docs/deploy.md`), and
//! the files are copied the same way.
//!
//! A copy is a data folder: `baida verify --data-dir DEST` and `baida ledger verify --data-dir
//! DEST` check it in place, and `baida serve --data-dir DEST` would run it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use baida_store::Store;

/// The files of a data folder besides the database, relative to it.
const FILES: &[&str] = &["ledger-signing.key"];
/// The folders of a data folder besides the database (copied file by file).
const FOLDERS: &[&str] = &["blobs", "calendar"];
/// The SQLite database's file name in a data folder.
pub const DATABASE: &str = "baida.db";

/// `baida backup DEST`.
pub async fn backup(store: &dyn Store, data_dir: &Path, dest: &Path) -> anyhow::Result<ExitCode> {
    if dest.exists() && dest.read_dir().with_context(|| format!("cannot read {}", dest.display()))?.next().is_some() {
        bail!("{} is not empty: back up into a new or empty folder (nothing was written)", dest.display());
    }
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let started = chrono::Utc::now();
    let database = match store.backend() {
        "sqlite" => {
            let copy = dest.join(DATABASE);
            store.copy_into(&copy).await.context("copying the database")?;
            format!("sqlite: {}", copy.display())
        }
        other => format!("{other}: not copied — use pg_dump or point-in-time recovery (docs/deploy.md)"),
    };
    let mut copied = 0usize;
    for name in FILES {
        let from = data_dir.join(name);
        if from.exists() {
            copy_file(&from, &dest.join(name))?;
            copied += 1;
        }
    }
    for folder in FOLDERS {
        copied += copy_tree(&data_dir.join(folder), &dest.join(folder))?;
    }
    let manifest = serde_json::json!({
        "taken_at": started,
        "finished_at": chrono::Utc::now(),
        "from": data_dir,
        "database": database,
        "files": copied,
        "baida": baida_web::VERSION,
    });
    std::fs::write(dest.join("backup.json"), serde_json::to_vec_pretty(&manifest)?)?;
    println!("backed up to {} — database {database}; {copied} files", dest.display());
    println!("check it: baida verify --data-dir {0} && baida ledger verify --data-dir {0}", dest.display());
    Ok(ExitCode::SUCCESS)
}

/// `baida restore SRC`: puts a copy back into an empty data folder (the server stopped).
pub fn restore(src: &Path, data_dir: &Path) -> anyhow::Result<ExitCode> {
    if !src.join("backup.json").exists() {
        bail!("{} holds no backup.json: not a copy made by `baida backup` (nothing was written)", src.display());
    }
    if data_dir.join(DATABASE).exists() {
        bail!(
            "{} already holds a database: restore into an empty data folder, or move the old one away first (nothing was written)",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let mut copied = 0usize;
    for name in FILES.iter().chain([&DATABASE]) {
        let from = src.join(name);
        if from.exists() {
            copy_file(&from, &data_dir.join(name))?;
            copied += 1;
        }
    }
    for folder in FOLDERS {
        copied += copy_tree(&src.join(folder), &data_dir.join(folder))?;
    }
    println!("restored {copied} files into {}; start Baida on it and run `baida verify`", data_dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Copies one file through a temporary name, synced, then renamed: a copy is whole or absent.
fn copy_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    let tmp: PathBuf = to.with_extension("part");
    std::fs::copy(from, &tmp).with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, to)?;
    Ok(())
}

/// Copies a folder's files (recursively); returns how many. A missing folder copies nothing.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<usize> {
    if !from.is_dir() {
        return Ok(0);
    }
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            n += copy_tree(&path, &target)?;
        } else if path.extension().is_none_or(|e| e != "part") {
            copy_file(&path, &target)?;
            n += 1;
        }
    }
    Ok(n)
}
