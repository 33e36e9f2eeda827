//! What each photo belongs to: the uses that decide who may read it (`http::photos`).
//!
//! A photo is stored once by its SHA-256 ([`super::Photo`]); each use is a row of
//! `photo_uses`, written by the operation that makes it, in that operation's transaction: a new
//! case or a transition (every photo its record holds, `case:<id>`; a proposal's public
//! answers, `public`), a ledger entry (its evidence, `public`), a catalog submission (its
//! screenshots, `public`), an upload (`upload:<SHA-256 of the client's upload key>`).
//!
//! One implementation serves both backends, over [`super::db`]; [`insert_photo_uses`] writes
//! inside the transaction of the operation that makes the uses.

use async_trait::async_trait;
pub use baida_core::case::PhotoUse;
use chrono::{DateTime, Utc};

use super::Result;
use super::db::Tx;
use super::sql::Sql;
use super::sql_store::SqlStore;

/// The most uses of one photo read to decide a download (a photo in more cases than this is
/// served to the readers of the first ones only).
pub const MAX_USES_READ: i64 = 200;

#[async_trait]
pub trait PhotoUseStore: Send + Sync {
    /// Records a use of a stored photo (nothing when it is recorded already).
    async fn add_photo_use(&self, sha256: &str, use_: &PhotoUse, at: DateTime<Utc>) -> Result<()>;
    /// The uses of a photo: `public` first, then up to [`MAX_USES_READ`] others.
    async fn photo_uses(&self, sha256: &str) -> Result<Vec<PhotoUse>>;
}

/// Records uses inside `tx` (a use recorded already is left as it is).
pub(crate) async fn insert_photo_uses(tx: &mut Tx<'_>, uses: &[(String, PhotoUse)], at: DateTime<Utc>) -> Result<()> {
    for (sha256, use_) in uses {
        tx.execute(insert(sha256, use_, at)).await?;
    }
    Ok(())
}

fn insert(sha256: &str, use_: &PhotoUse, at: DateTime<Utc>) -> Sql {
    Sql::new(
        "INSERT INTO photo_uses (sha256, use_key, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (sha256, use_key) DO NOTHING",
    )
    .bind(sha256)
    .bind(use_.key())
    .bind(at)
}

#[async_trait]
impl PhotoUseStore for SqlStore {
    async fn add_photo_use(&self, sha256: &str, use_: &PhotoUse, at: DateTime<Utc>) -> Result<()> {
        self.db.execute(insert(sha256, use_, at)).await?;
        Ok(())
    }

    async fn photo_uses(&self, sha256: &str) -> Result<Vec<PhotoUse>> {
        let keys: Vec<(String,)> = self
            .db
            .all(
                Sql::new(
                    "SELECT use_key FROM photo_uses WHERE sha256 = ? \
                     ORDER BY CASE WHEN use_key = 'public' THEN 0 ELSE 1 END, created_at LIMIT ?",
                )
                .bind(sha256)
                .bind(MAX_USES_READ),
            )
            .await?;
        Ok(keys.iter().filter_map(|(k,)| PhotoUse::parse(k)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_reads_back_as_written() {
        for u in [PhotoUse::Public, PhotoUse::Case("c-1".into()), PhotoUse::Upload("ab".into())] {
            assert_eq!(PhotoUse::parse(&u.key()), Some(u));
        }
        assert_eq!(PhotoUse::parse("other"), None);
    }
}
