//! The community ledger's values: [`entry`] (exact amounts in fen, accounts, an entry and the
//! text its log leaf hashes), [`merkle`] (the RFC 6962 tree, its leaf hash and proofs) and the
//! signed [`TreeHead`]. Signing, sealing and auditing are the engine's (`baida_engine::ledger`).

pub mod entry;
pub mod merkle;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A signed tree head: the log's size and root at a moment, signed by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TreeHead {
    pub tree_size: u64,
    /// The root hash, hex.
    pub root_hash: String,
    pub timestamp: DateTime<Utc>,
    pub key_id: String,
    pub algorithm: String,
    /// The Ed25519 signature of [`TreeHead::message`], base64.
    pub signature: String,
}

impl TreeHead {
    /// The bytes that are signed.
    pub fn message(tree_size: u64, root: &str, timestamp: DateTime<Utc>) -> String {
        format!("baida-tree-head-v1\n{tree_size}\n{root}\n{}", timestamp.timestamp_millis())
    }
}
