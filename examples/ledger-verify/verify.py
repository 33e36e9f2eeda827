#!/usr/bin/env python3
"""Baida ledger verifier — shares no code with the server.

Checks a Baida server's transparency log from the outside, with nothing but the Python
standard library: RFC 6962 / RFC 9162 Merkle trees (leaf prefix 0x00, node prefix 0x01),
inclusion and consistency proofs, and Ed25519 signatures of tree heads (RFC 8032, the
reference algorithm, in pure Python).

    python3 verify.py http://127.0.0.1:8080 xinzhou     # the log, the head, every entry of xinzhou
    python3 verify.py http://127.0.0.1:8080 --since 12  # also: the log at 12 leaves is a prefix of today's
    python3 verify.py --self-test                       # known answers and refusals, offline
    python3 verify.py --roots 64                        # roots of 1..64 test leaves (cross-checks)

Exit status 0 when everything verifies, 1 otherwise (with the reason on stderr).
"""
import base64
import calendar
import datetime
import hashlib
import json
import sys
import urllib.request

# ---- RFC 6962 Merkle tree -------------------------------------------------------------------

def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = largest_power_of_two_below(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(m, leaves):
    n = len(leaves)
    if n <= 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return audit_path(m, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def consistency(m, leaves, complete=True):
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return consistency(m, leaves[:k], complete) + [mth(leaves[k:])]
    return consistency(m - k, leaves[k:], False) + [mth(leaves[:k])]


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 §2.1.4.2; a proof from size 0 proves nothing and is refused."""
    if first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path = [first_root] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0

# ---- Ed25519 (RFC 8032 §6, verification only) ------------------------------------------------

P = 2 ** 255 - 19
Q = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    E = 2 * a[2] * b[2] % P
    e, f, g, h = B - A, E - C, E + C, B + A
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % P)


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))

# ---- The server's log -----------------------------------------------------------------------

def get(base, path):
    with urllib.request.urlopen(base.rstrip("/") + path, timeout=30) as r:
        return json.loads(r.read().decode("utf-8"))


def millis(text):
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def head_signed(head, public_key):
    message = "baida-tree-head-v1\n{}\n{}\n{}".format(head["tree_size"], head["root_hash"], millis(head["timestamp"]))
    key = base64.b64decode(public_key)
    if head.get("algorithm") != "Ed25519":
        return False
    if head.get("key_id") != hashlib.sha256(key).hexdigest()[:16]:
        return False
    return ed25519_verify(key, message.encode("utf-8"), base64.b64decode(head["signature"]))


class Failed(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Failed(what)


def verify_server(base, community=None, since=None):
    top = get(base, "/api/v1/ledger/head")
    head, key = top["head"], top["public_key"]
    if head is None:
        print("OK: the log is empty")
        return
    check(head_signed(head, key), "the tree head's signature does not verify")
    size = head["tree_size"]
    hashes = []
    for start in range(0, size, 10000):
        for leaf in get(base, "/api/v1/ledger/leaves?from={}&to={}".format(start, min(size, start + 10000))):
            check(leaf["index"] == len(hashes), "leaf {} is missing".format(len(hashes)))
            h = leaf_hash(leaf["data"].encode("utf-8"))
            check(h.hex() == leaf["leaf_hash"], "leaf {}: its hash does not match its data".format(leaf["index"]))
            hashes.append(h)
    check(len(hashes) == size, "the log has {} leaves, the head says {}".format(len(hashes), size))
    check(mth(hashes).hex() == head["root_hash"], "the leaves do not give the signed root")
    entries = 0
    if community:
        books = get(base, "/api/v1/communities/{}/ledger".format(community))
        for e in books["entries"]:
            proof = get(base, "/api/v1/ledger/entries/{}/proof".format(e["id"]))
            h = leaf_hash(proof["leaf_data"].encode("utf-8"))
            signed = proof["head"]
            check(head_signed(signed, key), "the head of entry {}'s proof is not signed".format(e["id"]))
            path = [bytes.fromhex(p) for p in proof["proof"]]
            check(verify_inclusion(proof["leaf_index"], signed["tree_size"], h, path, bytes.fromhex(signed["root_hash"])),
                  "entry {} is not in the signed log".format(e["id"]))
            data = json.loads(proof["leaf_data"])
            check(data["id"] == e["id"] and data["amount_fen"] == e["amount_fen"] and data["account"] == e["account"],
                  "entry {} differs from what the log holds".format(e["id"]))
            entries += 1
    if since:
        c = get(base, "/api/v1/ledger/consistency?from={}&to={}".format(since, size))
        old_root = mth(hashes[:since])
        check(verify_consistency(since, size, old_root, bytes.fromhex(head["root_hash"]), [bytes.fromhex(p) for p in c["proof"]]),
              "the log at {} leaves is not a prefix of the log at {}".format(since, size))
    print("OK: {} leaves give the signed root {} (key {}); {} entries proven{}".format(
        size, head["root_hash"], head["key_id"], entries, "; consistent since {}".format(since) if since else ""))

# ---- Offline checks -------------------------------------------------------------------------

RFC_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
RFC_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def self_test():
    leaves = [leaf_hash(bytes.fromhex(x)) for x in RFC_LEAVES]
    for n, want in enumerate(RFC_ROOTS):
        check(mth(leaves[:n]).hex() == want, "root of {} RFC leaves".format(n))
    many = [leaf_hash(i.to_bytes(4, "big")) for i in range(65)]
    for n in range(1, 65):
        tree, root, next_root = many[:n], mth(many[:n]), mth(many[:n + 1])
        for i in range(n):
            path = audit_path(i, tree)
            check(verify_inclusion(i, n, tree[i], path, root), "inclusion {} of {}".format(i, n))
            check(not verify_inclusion(i, n + 1, tree[i], path, next_root), "a proof reused at another size is refused")
            for j in range(len(path)):
                bad = list(path)
                bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
                check(not verify_inclusion(i, n, tree[i], bad, root), "a flipped bit is refused")
        for m in range(1, n + 1):
            c = consistency(m, tree)
            check(verify_consistency(m, n, mth(tree[:m]), root, c), "consistency {} -> {}".format(m, n))
    check(not verify_consistency(0, 4, mth([]), mth(many[:4]), []), "an empty proof from size 0 is refused")
    for n in range(1, 9):
        doubled = many[:n] + [many[n - 1]]
        check(mth(doubled) != mth(many[:n]), "a duplicated last leaf changes the root")
        check(not verify_inclusion(n, n, doubled[n], audit_path(n, doubled), mth(many[:n])),
              "a duplicated last leaf is not in the shorter tree")
    # RFC 8032 §7.1, test 1 (empty message).
    pub = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    check(ed25519_verify(pub, b"", sig), "RFC 8032 test 1 verifies")
    check(not ed25519_verify(pub, b"x", sig), "a signature of another message is refused")
    print("OK: self-test passed")


def main(argv):
    try:
        if argv[:1] == ["--self-test"]:
            self_test()
        elif argv[:1] == ["--roots"]:
            many = [leaf_hash(i.to_bytes(4, "big")) for i in range(int(argv[1]))]
            for n in range(1, len(many) + 1):
                print(mth(many[:n]).hex())
        elif argv and not argv[0].startswith("-"):
            since = None
            rest = argv[1:]
            if "--since" in rest:
                i = rest.index("--since")
                since = int(rest[i + 1])
                rest = rest[:i] + rest[i + 2:]
            verify_server(argv[0], rest[0] if rest else None, since)
        else:
            print(__doc__)
            return 2
        return 0
    except Failed as e:
        print("FAIL: {}".format(e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
