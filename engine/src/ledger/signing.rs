//! The log's signing key and signed tree heads.
//!
//! An Ed25519 key is made on first start and kept in the data folder (`ledger-signing.key`,
//! the 32-byte secret, readable by the owner only). Its key id is the first 16 hex digits of
//! SHA-256 of the public key. A signed tree head signs the text
//! `baida-tree-head-v1\n{tree_size}\n{root hex}\n{timestamp ms}` — the same bytes the
//! independent verifier in `examples/ledger-verify` rebuilds.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;

use sha2::{Digest, Sha256};

use super::merkle::Hash;
pub use baida_core::ledger::TreeHead;

/// The algorithm named in every signed head.
pub const ALGORITHM: &str = "Ed25519";
const KEY_FILE: &str = "ledger-signing.key";

/// The server's signing key.
pub struct Signer25519 {
    key: SigningKey,
    pub key_id: String,
}

impl Signer25519 {
    /// Loads the key from `data_dir`, making it on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Signer25519> {
        let path = data_dir.join(KEY_FILE);
        let secret: [u8; 32] = match std::fs::read(&path) {
            Ok(bytes) => bytes.try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a 32-byte Ed25519 key", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                write_private(&path, &secret)?;
                secret
            }
            Err(e) => return Err(e),
        };
        Ok(Signer25519::from_secret(secret))
    }

    pub fn from_secret(secret: [u8; 32]) -> Signer25519 {
        let key = SigningKey::from_bytes(&secret);
        let key_id = key_id(&key.verifying_key());
        Signer25519 { key, key_id }
    }

    /// The public key, base64.
    pub fn public_key(&self) -> String {
        BASE64.encode(self.key.verifying_key().as_bytes())
    }

    pub fn sign(&self, tree_size: u64, root: &Hash, timestamp: DateTime<Utc>) -> TreeHead {
        let root_hash = hex::encode(root);
        let signature = self.key.sign(TreeHead::message(tree_size, &root_hash, timestamp).as_bytes());
        TreeHead {
            tree_size,
            root_hash,
            timestamp,
            key_id: self.key_id.clone(),
            algorithm: ALGORITHM.into(),
            signature: BASE64.encode(signature.to_bytes()),
        }
    }

    /// Whether `head` carries a valid signature by this key.
    pub fn verify(&self, head: &TreeHead) -> bool {
        verify_head(&self.key.verifying_key(), head)
    }
}

fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

fn verify_head(key: &VerifyingKey, head: &TreeHead) -> bool {
    let Ok(bytes) = BASE64.decode(&head.signature) else { return false };
    let Ok(signature) = Signature::from_slice(&bytes) else { return false };
    head.algorithm == ALGORITHM
        && head.key_id == key_id(key)
        && key.verify(TreeHead::message(head.tree_size, &head.root_hash, head.timestamp).as_bytes(), &signature).is_ok()
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_verifies_and_a_changed_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer25519::load_or_create(dir.path()).unwrap();
        let again = Signer25519::load_or_create(dir.path()).unwrap();
        assert_eq!(signer.key_id, again.key_id, "the key is kept");
        let head = signer.sign(3, &[7u8; 32], Utc::now());
        assert!(again.verify(&head));
        let mut changed = head.clone();
        changed.tree_size = 4;
        assert!(!signer.verify(&changed));
        let mut changed = head;
        changed.root_hash = hex::encode([8u8; 32]);
        assert!(!signer.verify(&changed));
    }
}
