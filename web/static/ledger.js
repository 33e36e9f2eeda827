// Baida ledger: "verify" checks, in this browser, that an entry is in the signed log.
// It fetches the entry's inclusion proof, hashes the leaf (SHA-256 of 0x00 ‖ data), walks the
// audit path as RFC 9162 §2.1.3.2 says, compares the result with the signed root, and checks
// the Ed25519 signature of the tree head with the server's public key. No server code runs.
const words = document.getElementById('verdict-words')?.content.firstElementChild?.dataset || {};
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const node = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

async function rootFromPath(index, size, leaf, path) {
  if (index >= size) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if ((fn & 1) === 1 || fn === sn) {
      r = await node(p, r);
      if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
    } else {
      r = await node(r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 ? r : null;
}

async function signatureOk(head, publicKey) {
  try {
    const key = await crypto.subtle.importKey('raw', Uint8Array.from(atob(publicKey), (c) => c.charCodeAt(0)), { name: 'Ed25519' }, false, ['verify']);
    const message = new TextEncoder().encode(`baida-tree-head-v1\n${head.tree_size}\n${head.root_hash}\n${Date.parse(head.timestamp)}`);
    const signature = Uint8Array.from(atob(head.signature), (c) => c.charCodeAt(0));
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch (e) {
    return null; // this browser cannot check Ed25519; the command line can
  }
}

async function verify(button) {
  const out = button.parentElement.querySelector('.verdict');
  out.textContent = '…';
  try {
    const proof = await (await fetch(`/api/v1/ledger/entries/${button.dataset.entry}/proof`)).json();
    const keys = await (await fetch('/api/v1/ledger/head')).json();
    const leaf = await sha256(concat(new Uint8Array([0]), new TextEncoder().encode(proof.leaf_data)));
    const root = await rootFromPath(proof.leaf_index, proof.head.tree_size, leaf, proof.proof.map(unhex));
    const included = root !== null && hex(root) === proof.head.root_hash && hex(leaf) === proof.leaf_hash;
    const signed = await signatureOk(proof.head, keys.public_key);
    const ok = included && signed !== false;
    out.textContent = ok ? `✓ ${words.ok || 'verified'} (${proof.head.tree_size})` : `✗ ${words.bad || 'does not verify'}`;
    out.className = ok ? 'verdict ok' : 'verdict bad';
  } catch (e) {
    out.textContent = `✗ ${words.error || 'could not verify'}`;
    out.className = 'verdict bad';
  }
}

for (const b of document.querySelectorAll('button.verify')) b.addEventListener('click', () => verify(b));
