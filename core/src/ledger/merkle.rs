//! The Merkle tree of the transparency log, as RFC 6962 / RFC 9162 §2.1 define it: leaves are
//! hashed with a `0x00` prefix and nodes with `0x01`, the tree splits at the largest power of
//! two below its size, and the proofs are the RFC's audit paths and consistency proofs.
//!
//! Everything here is a pure function over leaf hashes; the log itself (which leaves, in which
//! order) is in [`super::log`]. The independent verifier in `examples/ledger-verify` implements
//! the same RFC without sharing this code.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The root of the tree over `leaves` (leaf hashes); the hash of nothing for no leaves.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 6962 §2.1.1 `PATH`), from the
/// leaf's sibling up. `None` when `index` is not in the tree.
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    (index < leaves.len()).then(|| {
        let mut proof = Vec::new();
        path(index, leaves, &mut proof);
        proof
    })
}

fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// The proof that the tree of the first `old_size` leaves is a prefix of the tree over
/// `leaves` (RFC 6962 §2.1.2 `PROOF`). `None` unless `0 < old_size <= leaves.len()`.
pub fn consistency_proof(old_size: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    (old_size > 0 && old_size <= leaves.len()).then(|| {
        let mut proof = Vec::new();
        subproof(old_size, leaves, true, &mut proof);
        proof
    })
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Checks an audit path (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// Checks a consistency proof between the tree of `old_size` leaves with root `old_root` and
/// the tree of `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2). A proof from size 0
/// proves nothing and is refused; equal sizes need an empty proof and equal roots.
pub fn verify_consistency(old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The eight leaves of the RFC 6962 reference test tree (certificate-transparency's
    /// `merkle_tree_test`), as hex data.
    const TEST_LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    fn test_leaves(n: usize) -> Vec<Hash> {
        TEST_LEAVES[..n].iter().map(|h| leaf_hash(&::hex::decode(h).unwrap())).collect()
    }

    #[test]
    fn known_roots_of_the_reference_tree() {
        let expected = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(hex(&root(&test_leaves(n))), *want, "root of {n} leaves");
        }
    }

    #[test]
    fn every_proof_of_up_to_64_leaves_verifies_and_no_other() {
        let leaves: Vec<Hash> = (0..65u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=64 {
            let tree = &leaves[..n];
            let r = root(tree);
            let next = root(&leaves[..n + 1]);
            for i in 0..n {
                let proof = inclusion_proof(i, tree).unwrap();
                assert!(verify_inclusion(i as u64, n as u64, &tree[i], &proof, &r), "leaf {i} of {n}");
                // The same proof against the head of another size, or for another leaf, fails.
                assert!(!verify_inclusion(i as u64, n as u64 + 1, &tree[i], &proof, &next));
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(!verify_inclusion(i as u64, n as u64, &tree[other], &proof, &r));
                }
            }
            for m in 1..=n {
                let proof = consistency_proof(m, tree).unwrap();
                assert!(verify_consistency(m as u64, n as u64, &root(&tree[..m]), &r, &proof), "{m} → {n}");
                if m < n {
                    assert!(!verify_consistency(m as u64, n as u64 + 1, &root(&tree[..m]), &next, &proof));
                }
            }
        }
    }

    #[test]
    fn flipped_bits_are_refused() {
        let leaves = test_leaves(7);
        let r = root(&leaves);
        let proof = inclusion_proof(3, &leaves).unwrap();
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i][5] ^= 0x01;
            assert!(!verify_inclusion(3, 7, &leaves[3], &bad, &r));
        }
        let mut bad_root = r;
        bad_root[31] ^= 0x80;
        assert!(!verify_inclusion(3, 7, &leaves[3], &proof, &bad_root));
        let c = consistency_proof(3, &leaves).unwrap();
        let mut bad = c.clone();
        bad[0][0] ^= 0x01;
        assert!(!verify_consistency(3, 7, &root(&leaves[..3]), &r, &bad));
    }

    #[test]
    fn an_empty_proof_from_size_zero_is_refused() {
        let leaves = test_leaves(4);
        assert!(consistency_proof(0, &leaves).is_none());
        assert!(!verify_consistency(0, 4, &root(&[]), &root(&leaves), &[]));
        assert!(!verify_consistency(2, 4, &root(&leaves[..2]), &root(&leaves), &[]));
    }

    #[test]
    fn a_duplicated_last_leaf_changes_the_root() {
        // The pitfall of trees that pad odd levels by duplication (CVE-2012-2459): here a
        // tree with its last leaf repeated is a different tree.
        for n in 1..8 {
            let leaves = test_leaves(n);
            let mut doubled = leaves.clone();
            doubled.push(*leaves.last().unwrap());
            assert_ne!(root(&leaves), root(&doubled), "{n} leaves");
            let proof = inclusion_proof(n, &doubled).unwrap();
            assert!(!verify_inclusion(n as u64, n as u64, &doubled[n], &proof, &root(&leaves)));
        }
    }
}
