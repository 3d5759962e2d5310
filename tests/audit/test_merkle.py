"""RFC 6962 Merkle tree: roots, inclusion and consistency proofs, checked without a database."""

from __future__ import annotations

import hashlib

import pytest

from alpr.audit import merkle

SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def _reference_root(leaves: list[bytes]) -> bytes:
    # RFC 6962 §2.1 as written: split at the largest power of two below n.
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def test_hashes_are_domain_separated() -> None:
    # REQ L1 — leaf and node hashes cannot be confused (0x00 / 0x01 prefixes)
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", SIZES)
def test_root_matches_the_rfc_definition(n: int) -> None:
    # REQ L1
    assert merkle.root(_leaves(n)) == _reference_root(_leaves(n))


@pytest.mark.parametrize("n", SIZES)
def test_every_leaf_has_an_inclusion_proof_and_no_other_leaf_fits(n: int) -> None:
    # REQ L1 — any entry can be proven to be in a published head
    leaves, root = _leaves(n), merkle.root(_leaves(n))
    for index in range(n):
        proof = merkle.inclusion_proof(index, leaves)
        merkle.verify_inclusion(leaves[index], index, n, proof, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, n, proof, root)
        if n > 1:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(leaves[index], (index + 1) % n, n, proof, root)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_between_every_pair_of_sizes(n: int) -> None:
    # REQ L1 — a later head contains every earlier one
    leaves = _leaves(n)
    for m in range(n + 1):
        proof = merkle.consistency_proof(m, leaves)
        merkle.verify_consistency(m, n, merkle.root(leaves[:m]), merkle.root(leaves), proof)


@pytest.mark.parametrize("m", [1, 2, 3, 5, 8])
def test_a_rewritten_prefix_fails_consistency(m: int) -> None:
    # REQ L1 — a log that changed an old entry cannot prove it only grew
    leaves = _leaves(9)
    old_root = merkle.root(leaves[:m])
    rewritten = [*leaves]
    rewritten[m - 1] = merkle.leaf_hash(b"rewritten")
    proof = merkle.consistency_proof(m, rewritten)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(m, 9, old_root, merkle.root(rewritten), proof)


def test_a_smaller_tree_cannot_be_consistent_with_a_larger_head() -> None:
    # REQ L1 — rollback
    leaves = _leaves(8)
    with pytest.raises(merkle.ProofError, match="rolled back"):
        merkle.verify_consistency(8, 5, merkle.root(leaves), merkle.root(leaves[:5]), [])


def test_packed_leaves_give_the_same_roots_and_proofs() -> None:
    # REQ L1 — the packed form used for large logs is the same tree
    leaves = _leaves(21)
    packed = merkle.LeafArray(b"".join(leaves))
    assert len(packed) == 21 and packed[-1] == leaves[-1] and list(packed[3:5]) == leaves[3:5]
    assert merkle.root(packed) == merkle.root(leaves)
    assert merkle.inclusion_proof(13, packed) == merkle.inclusion_proof(13, leaves)
    assert merkle.consistency_proof(6, packed) == merkle.consistency_proof(6, leaves)
