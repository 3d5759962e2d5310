"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

Pure functions over lists of leaf hashes: no database, no network, so the same code (or
the standalone copy in docs/verify_audit_proof.py) lets an outsider check a proof with
nothing but a published tree head.

    leaf hash  = SHA-256(0x00 || entry bytes)
    node hash  = SHA-256(0x01 || left || right)
    empty tree = SHA-256("")
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import overload


class ProofError(ValueError):
    """A proof that does not verify, or a request for a proof that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, in one pass with O(log n) memory.

    A stack of perfect subtrees (a Merkle mountain range): folding it from the right gives
    exactly RFC 6962's left-balanced tree, whose left part is the largest power of two.
    """
    stack: list[tuple[int, bytes]] = []
    for leaf in leaves:
        height, node = 0, leaf
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
    if not stack:
        return hashlib.sha256(b"").digest()
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


class LeafArray(Sequence[bytes]):
    """Leaf hashes packed 32 bytes each (a tenth of a list of bytes objects); slices are
    views, so proofs over millions of leaves copy nothing."""

    def __init__(self, data: bytes | bytearray | memoryview = b"") -> None:
        self._data = memoryview(data)

    def __len__(self) -> int:
        return len(self._data) // 32

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> LeafArray: ...
    def __getitem__(self, index: int | slice) -> bytes | LeafArray:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("leaf slices are contiguous")
            return LeafArray(self._data[start * 32 : max(start, stop) * 32])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return bytes(self._data[index * 32 : (index + 1) * 32])


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of size {len(leaves)}")
    return _path(index, leaves, 0, len(leaves))


def _path(m: int, leaves: Sequence[bytes], start: int, end: int) -> list[bytes]:
    n = end - start
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves, start, start + k), root(leaves[start + k : end])]
    return [*_path(m - k, leaves, start + k, end), root(leaves[start : start + k])]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): shows the tree of the first `first` leaves is a prefix of this one."""
    if not 0 <= first <= len(leaves):
        raise ProofError(f"tree size {first} is larger than {len(leaves)}")
    if first in (0, len(leaves)):
        return []
    return _subproof(first, leaves, 0, len(leaves), complete=True)


def _subproof(m: int, leaves: Sequence[bytes], start: int, end: int, *, complete: bool
              ) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [root(leaves[start:end])]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves, start, start + k, complete=complete),
                root(leaves[start + k : end])]
    return [*_subproof(m - k, leaves, start + k, end, complete=False),
            root(leaves[start : start + k])]


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes],
                     expected_root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless `leaf` sits at `index` under the root."""
    if not 0 <= index < tree_size:
        raise ProofError(f"index {index} is outside a tree of size {tree_size}")
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != expected_root:
        raise ProofError("inclusion proof does not lead to the published root")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree `first` is a prefix of `second`."""
    if not 0 <= first <= second:
        raise ProofError(f"tree size {first} is larger than {second}: the log was rolled back")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("two heads of the same size with different roots")
        return
    if first == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first root is a node itself
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != first_root:
        raise ProofError("consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("consistency proof does not lead to the second root")
