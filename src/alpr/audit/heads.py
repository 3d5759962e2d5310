"""Signed tree heads of the audit log: publish, prove inclusion and consistency, verify.

A head names the log's size and Merkle root at a time, signed with the agency's Ed25519
key. Every head is stored in `audit_tree_heads` *and* appended to
`<data dir>/audit-heads.jsonl`, and served at `/transparency/audit-heads.json`, so a
rollback (entries removed after a head was published) is caught by whichever copy the
attacker could not reach. `verify_log` checks the database against all of them and
against the tail witness (`audit-tail.log`, one line per committed entry).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import event as orm_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit import merkle
from alpr.audit.keys import key_id, public_key_pem, signing_key
from alpr.audit.models import AuditEntry, AuditLeaf, TreeHead
from alpr.audit.retention import latest_checkpoint
from alpr.audit.service import leaf_document, tail_witness_path, verify_chain
from alpr.config import get_settings

LOG_NAME = "alpr-audit"


class RollbackError(RuntimeError):
    """The log is smaller than, or differs from, a head already published."""


def heads_file(data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / "audit-heads.jsonl"


def signed_message(tree_size: int, root_hash: str, timestamp: str, log_id: str) -> bytes:
    """The exact bytes a head's signature covers (canonical JSON, sorted keys)."""
    document = {"log": LOG_NAME, "log_id": log_id, "root_hash": root_hash,
                "timestamp": timestamp, "tree_size": tree_size}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def head_document(head: TreeHead) -> dict[str, Any]:
    return {"tree_size": head.tree_size, "root_hash": head.root_hash,
            "timestamp": _stamp(head.timestamp), "log_id": head.key_id,
            "signature": head.signature}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def leaves(session: Session, limit: int | None = None) -> merkle.LeafArray:
    """Every leaf hash in order (32 bytes each), checking none is missing."""
    query = select(AuditLeaf.idx, AuditLeaf.leaf_hash).order_by(AuditLeaf.idx)
    if limit is not None:
        query = query.where(AuditLeaf.idx < limit)
    packed = bytearray()
    rows = session.execute(query.execution_options(yield_per=10_000))
    for position, (index, leaf_hex) in enumerate(rows):
        if index != position:
            raise RollbackError(f"Merkle leaf {position} is missing: the log was cut")
        packed += bytes.fromhex(leaf_hex)
    return merkle.LeafArray(packed)


def prefix_roots(all_leaves: Iterable[bytes], sizes: set[int]) -> dict[int, bytes]:
    """The root of every requested prefix in one pass (a stack of perfect subtrees)."""
    found: dict[int, bytes] = {}
    if 0 in sizes:
        found[0] = merkle.root([])
    stack: list[tuple[int, bytes]] = []
    for count, leaf in enumerate(all_leaves, start=1):
        height, node = 0, leaf
        while stack and stack[-1][0] == height:
            node = merkle.node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        if count in sizes:
            value = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                value = merkle.node_hash(left, value)
            found[count] = value
    return found


def published(session: Session) -> list[TreeHead]:
    return list(session.scalars(select(TreeHead).order_by(TreeHead.tree_size, TreeHead.id)))


def file_heads(data_dir: Path | None = None) -> list[dict[str, Any]]:
    path = heads_file(data_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def publish(session: Session, *, now: datetime, data_dir: Path | None = None) -> TreeHead:
    """Sign and publish the current head, only over a log that verifies and that contains
    every head published before (else RollbackError: nothing is published)."""
    problems = _chain_since_last_head(session, data_dir) + verify_log(session, data_dir=data_dir)
    if problems:
        raise RollbackError("; ".join(problems))
    current = leaves(session)
    size = len(current)
    root_hash = merkle.root(current).hex()
    log_id = key_id(data_dir)
    stamp = _stamp(now)
    signature = signing_key(data_dir).sign(signed_message(size, root_hash, stamp, log_id))
    head = TreeHead(tree_size=size, root_hash=root_hash, timestamp=now.replace(microsecond=0),
                    key_id=log_id, signature=signature.hex())
    session.add(head)
    session.flush()
    document = head_document(head)
    path = heads_file(data_dir)

    def append(_session: Session) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(document, sort_keys=True) + "\n")
        rotate_witness(size)

    orm_event.listen(session, "after_commit", append, once=True)
    return head


def _chain_since_last_head(session: Session, data_dir: Path | None) -> list[str]:
    """The hourly publication walks only the entries the last head does not cover (the
    leaves of the rest are checked against the published roots); `alpr audit verify`
    walks everything."""
    from alpr.audit.keys import chain_key

    after = None
    last = session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))
    if last is not None and last.tree_size > 0:
        leaf = session.scalar(select(AuditLeaf).where(AuditLeaf.idx == last.tree_size - 1))
        entry = session.get(AuditEntry, leaf.entry_id) if leaf is not None else None
        after = (entry.id, entry.hash) if entry is not None else None
    key = chain_key(data_dir)
    report = verify_chain(session, key=key, after=after, chain=key)
    if report.ok:
        return []
    return [f"audit chain broken at entry {report.broken_id}: {report.reason}"]


def check_signature(document: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    try:
        public_key.verify(bytes.fromhex(document["signature"]), signed_message(
            int(document["tree_size"]), document["root_hash"], document["timestamp"],
            document["log_id"]))
    except (InvalidSignature, ValueError, KeyError) as error:
        raise merkle.ProofError("the tree head's signature does not verify") from error


def public_key(data_dir: Path | None = None) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(public_key_pem(data_dir).encode())
    assert isinstance(key, Ed25519PublicKey)
    return key


@dataclass(frozen=True)
class _Head:
    origin: str
    document: dict[str, Any]


def verify_log(session: Session, *, data_dir: Path | None = None) -> list[str]:
    """Every way the log differs from what was published or witnessed; [] when none."""
    try:
        current = leaves(session)
    except RollbackError as error:
        return [str(error)]
    size = len(current)
    problems: list[str] = []
    database = [_Head("database", head_document(h)) for h in published(session)]
    in_file = [_Head(str(heads_file(data_dir)), d) for d in file_heads(data_dir)]
    known = {(h.document["tree_size"], h.document["root_hash"]) for h in database}
    problems += [f"head of size {h.document['tree_size']} published in {h.origin} is missing"
                 " from the database" for h in in_file
                 if (h.document["tree_size"], h.document["root_hash"]) not in known]
    key = public_key(data_dir)
    all_heads = database + in_file
    roots = prefix_roots(current, {int(h.document["tree_size"]) for h in all_heads
                                   if int(h.document["tree_size"]) <= size})
    for head in all_heads:
        document = head.document
        head_size = int(document["tree_size"])
        try:
            check_signature(document, key)
        except merkle.ProofError as error:
            problems.append(f"{error} (size {head_size}, {head.origin})")
        if head_size > size:
            problems.append(f"the log holds {size} entries but a head of size {head_size} was"
                            f" published ({head.origin}): entries were removed")
        elif roots[head_size].hex() != document["root_hash"]:
            problems.append(f"the first {head_size} entries no longer have the root published"
                            f" at {document['timestamp']} ({head.origin}): the log was"
                            " rewritten")
    problems += _witness_problems(current)
    problems += _missing_entries(session)
    return problems


def witness_files() -> list[Path]:
    """The tail witness and its rotated parts (see `rotate_witness`)."""
    path = tail_witness_path()
    return sorted(path.parent.glob(f"{path.stem}*{path.suffix}"))


def rotate_witness(covered: int) -> None:
    """After a head of size `covered` is published, the witness lines it covers are no
    longer needed: the head (in the database, the heads file, outsiders' copies) pins
    them. The current file is renamed (appenders open it anew for each line), and rotated
    parts whose every line is covered are removed, so the witness holds about an hour."""
    path = tail_witness_path()
    for part in witness_files():
        if part != path and _highest_witnessed(part) < covered:
            part.unlink(missing_ok=True)
    if path.exists():
        path.rename(path.with_name(f"{path.stem}.{covered}{path.suffix}"))


def _highest_witnessed(path: Path) -> int:
    highest = -1
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        index_text = line.partition(" ")[0]
        if index_text.isdigit():
            highest = max(highest, int(index_text))
    return highest


def _witness_problems(current: Sequence[bytes]) -> list[str]:
    problems, highest = [], -1
    lines = [line for part in witness_files()
             for line in part.read_text(encoding="ascii", errors="replace").splitlines()]
    for line in lines:
        index_text, _, leaf_hex = line.partition(" ")
        if not index_text.isdigit():
            continue
        index = int(index_text)
        highest = max(highest, index)
        if index < len(current) and current[index].hex() != leaf_hex.strip():
            problems.append(f"leaf {index} differs from the one witnessed when it was written")
    if highest >= len(current):
        problems.append(f"entries up to leaf {highest} were written but the log holds"
                        f" {len(current)}: its tail was removed")
    return problems


def _missing_entries(session: Session) -> list[str]:
    """Every leaf names an entry that is still there, unless retention removed it (only a
    prefix, recorded by a signed checkpoint)."""
    checkpoint = latest_checkpoint(session)
    removed_up_to = checkpoint.up_to_id if checkpoint else 0
    orphan = session.scalar(
        select(func.min(AuditLeaf.entry_id))
        .outerjoin(AuditEntry, AuditEntry.id == AuditLeaf.entry_id)
        .where(AuditEntry.id.is_(None), AuditLeaf.entry_id > removed_up_to))
    if orphan is not None:
        return [f"entry {orphan} was deleted (its Merkle leaf remains)"]
    return []


def head_for(session: Session, size: int | None = None) -> TreeHead:
    """The newest published head (of at least `size` leaves)."""
    query = select(TreeHead).order_by(TreeHead.tree_size.desc(), TreeHead.id.desc()).limit(1)
    head = session.scalar(query)
    if head is None or (size is not None and head.tree_size < size):
        raise merkle.ProofError("no published tree head covers this entry yet; it is"
                                " covered by the next hourly publication (alpr audit publish)")
    return head


def inclusion(session: Session, entry_id: int) -> dict[str, Any]:
    """Everything an outsider needs to check that entry `entry_id` is in a published head."""
    entry = session.get(AuditEntry, entry_id)
    leaf = session.scalar(select(AuditLeaf).where(AuditLeaf.entry_id == entry_id))
    if entry is None or leaf is None:
        raise merkle.ProofError(f"no audit entry {entry_id}")
    head = head_for(session, leaf.idx + 1)
    current = leaves(session, head.tree_size)
    document = leaf_document(entry)
    return {
        "entry": json.dumps(document, sort_keys=True, separators=(",", ":"),
                            ensure_ascii=False),
        "leaf_index": leaf.idx,
        "head": head_document(head),
        "audit_path": [h.hex() for h in merkle.inclusion_proof(leaf.idx, current)],
        "public_key": public_key_pem(),
    }


def consistency(session: Session, first: int, second: int) -> dict[str, Any]:
    """A proof that published head `first` (a tree size) is a prefix of head `second`."""
    sizes = {h.tree_size: h for h in published(session)}
    for size in (first, second):
        if size not in sizes:
            raise merkle.ProofError(f"no published head of size {size}")
    if first > second:
        raise merkle.ProofError("the first head must not be larger than the second")
    current = leaves(session, second)
    return {"first": head_document(sizes[first]), "second": head_document(sizes[second]),
            "proof": [h.hex() for h in merkle.consistency_proof(first, current)]}


def check_inclusion(proof: dict[str, Any], public_key_pem_text: str | None = None) -> None:
    """Check a proof from `inclusion` with nothing but the proof and the public key.

    Raises merkle.ProofError when the signature, the leaf or the path is wrong."""
    key = serialization.load_pem_public_key(
        (public_key_pem_text or proof["public_key"]).encode())
    if not isinstance(key, Ed25519PublicKey):
        raise merkle.ProofError("the public key is not an Ed25519 key")
    head = proof["head"]
    check_signature(head, key)
    leaf = merkle.leaf_hash(proof["entry"].encode())
    merkle.verify_inclusion(leaf, int(proof["leaf_index"]), int(head["tree_size"]),
                            [bytes.fromhex(h) for h in proof["audit_path"]],
                            bytes.fromhex(head["root_hash"]))


def check_consistency(proof: dict[str, Any], public_key_pem_text: str) -> None:
    key = serialization.load_pem_public_key(public_key_pem_text.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise merkle.ProofError("the public key is not an Ed25519 key")
    first, second = proof["first"], proof["second"]
    check_signature(first, key)
    check_signature(second, key)
    merkle.verify_consistency(int(first["tree_size"]), int(second["tree_size"]),
                              bytes.fromhex(first["root_hash"]),
                              bytes.fromhex(second["root_hash"]),
                              [bytes.fromhex(h) for h in proof["proof"]])


def full_verify(session: Session, *, data_dir: Path | None = None) -> list[str]:
    """The chain (links, keyed hashes, leaves) and the published and witnessed heads."""
    from alpr.audit.keys import chain_key

    report = verify_chain(session, key=chain_key(data_dir))
    problems = [] if report.ok else [
        f"audit chain broken at entry {report.broken_id}: {report.reason}"
        f" ({report.checked} entries before it are intact)"]
    return problems + verify_log(session, data_dir=data_dir)
