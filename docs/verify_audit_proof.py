#!/usr/bin/env python3
"""Check an alpr audit proof with nothing but the proof and the published public key.

    python3 verify_audit_proof.py proof.json [--public-key audit-key.pem]

`proof.json` is the output of `alpr audit prove ENTRY` (inclusion) or of
`alpr audit consistency FIRST SECOND` / GET /transparency/audit-consistency (consistency).
Use the public key you fetched yourself from /transparency/audit-key.pem (or the JSON at
/transparency/audit-heads.json), not the one inside the proof, and compare the head's
tree size and root with a head you saved earlier.

Needs Python 3.9+ and the `cryptography` package; no database, no alpr installation.
Exit status 0: the proof verifies; 1: it does not (the reason is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def check_head(head: dict, key: Ed25519PublicKey) -> None:
    message = json.dumps({"log": "alpr-audit", "log_id": head["log_id"],
                          "root_hash": head["root_hash"], "timestamp": head["timestamp"],
                          "tree_size": int(head["tree_size"])},
                         sort_keys=True, separators=(",", ":")).encode()
    try:
        key.verify(bytes.fromhex(head["signature"]), message)
    except InvalidSignature:
        raise SystemExit(f"FAIL: the head of size {head['tree_size']} is not signed by this key")


def inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proof")
    parser.add_argument("--public-key", help="PEM file of the published key")
    args = parser.parse_args()
    with open(args.proof, encoding="utf-8") as handle:
        proof = json.load(handle)
    if args.public_key:
        with open(args.public_key, "rb") as handle:
            pem = handle.read()
    else:
        print("warning: using the key inside the proof; pass --public-key", file=sys.stderr)
        pem = proof["public_key"].encode()
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit("FAIL: not an Ed25519 public key")
    if "audit_path" in proof:
        head = proof["head"]
        check_head(head, key)
        ok = inclusion(leaf_hash(proof["entry"].encode()), int(proof["leaf_index"]),
                       int(head["tree_size"]), [bytes.fromhex(h) for h in proof["audit_path"]],
                       bytes.fromhex(head["root_hash"]))
        what = f"entry {json.loads(proof['entry'])['id']} is leaf {proof['leaf_index']}" \
               f" of the tree of size {head['tree_size']}, root {head['root_hash']}"
    else:
        first, second = proof["first"], proof["second"]
        check_head(first, key)
        check_head(second, key)
        ok = consistency(int(first["tree_size"]), int(second["tree_size"]),
                         bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"]),
                         [bytes.fromhex(h) for h in proof["proof"]])
        what = f"the tree of size {first['tree_size']} is a prefix of the tree of size" \
               f" {second['tree_size']}"
    if not ok:
        raise SystemExit("FAIL: the proof does not lead to the signed root")
    print(f"OK: {what}")


if __name__ == "__main__":
    main()
