"""`alpr audit ...`: verify the log, publish and check signed tree heads, prove entries,
export the log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from alpr.audit import heads
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.export import FORMATS, write_export
from alpr.audit.keys import chain_key, public_key_pem
from alpr.audit.merkle import ProofError
from alpr.audit.service import ChainReport, record, verify_chain
from alpr.console import cli_actor, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def verify_and_record(actor: str) -> ChainReport:
    """Verify the chain; reading the audit log is itself an audited event."""
    with unit_of_work() as session:
        report = verify_chain(session, key=chain_key())
    with unit_of_work() as session:
        record(
            session,
            event=AuditEvent.AUDIT_VERIFY,
            actor=actor,
            outcome=Outcome.SUCCESS if report.ok else Outcome.FAILURE,
            details={"checked": report.checked, "broken_id": report.broken_id,
                     "reason": report.reason},
        )
    return report


@app.command("verify")
def verify() -> None:
    """Check every entry's link, keyed hash and Merkle leaf, every published tree head
    (database, heads file, daily page) and the tail witness; exit 1 at any problem."""
    from alpr.reports.publication import mismatched_publications

    actor = cli_actor()
    with unit_of_work() as session:
        report = verify_chain(session, key=chain_key())
        problems = heads.full_verify(session)
        problems += ["audit log rewritten after publication: " + p
                     for p in mismatched_publications(session)]
        size = len(heads.leaves(session)) if not problems else None
    with unit_of_work() as session:
        record(session, event=AuditEvent.AUDIT_VERIFY, actor=actor,
               outcome=Outcome.FAILURE if problems else Outcome.SUCCESS,
               details={"checked": report.checked, "broken_id": report.broken_id,
                        "problems": problems[:20]})
    if problems:
        raise fail("audit log NOT intact: " + "; ".join(problems))
    console.print(f"audit chain intact: {report.checked} entries verified, tree size {size},"
                  " consistent with every published head")
    console.print(f"head: entry {report.head_id}, hash {report.head_hash}")


@app.command("publish")
def publish() -> None:
    """Sign and publish the current tree head now (the hourly job does this too)."""
    try:
        with unit_of_work() as session:
            head = heads.publish(session, now=utcnow())
            document = heads.head_document(head)
    except heads.RollbackError as error:
        raise fail(f"not published: {error}") from error
    console.print_json(json.dumps(document))


@app.command("prove")
def prove(entry: Annotated[int, typer.Argument(help="Audit entry id", min=1)]) -> None:
    """Print an inclusion proof of ENTRY in the newest published head (JSON), which
    `alpr audit check-proof` or docs/verify_audit_proof.py checks with no database."""
    actor = cli_actor()
    try:
        with unit_of_work() as session:
            proof = heads.inclusion(session, entry)
            record(session, event=AuditEvent.AUDIT_QUERY, actor=actor,
                   details={"proof_of": entry, "tree_size": proof["head"]["tree_size"]})
    except ProofError as error:
        raise fail(str(error)) from error
    print(json.dumps(proof, indent=2))


@app.command("consistency")
def consistency(first: Annotated[int, typer.Argument(help="Older head's tree size", min=0)],
                second: Annotated[int, typer.Argument(help="Newer head's tree size", min=0)]
                ) -> None:
    """Print a consistency proof between two published heads (JSON)."""
    try:
        with unit_of_work() as session:
            proof = heads.consistency(session, first, second)
    except ProofError as error:
        raise fail(str(error)) from error
    print(json.dumps(proof, indent=2))


@app.command("check-proof")
def check_proof(
    proof_file: Annotated[Path, typer.Argument(help="A proof from `alpr audit prove` or"
                                               " `alpr audit consistency`", exists=True,
                                               dir_okay=False)],
    public_key: Annotated[Path | None, typer.Option(
        help="The published public key (PEM); default: the key inside the proof")] = None,
) -> None:
    """Check a proof offline: no database, only the proof and the published public key."""
    proof = json.loads(proof_file.read_text())
    key_text = public_key.read_text() if public_key else proof.get("public_key")
    if not key_text:
        raise fail("give --public-key: the key published at /transparency/audit-heads.json")
    try:
        if "audit_path" in proof:
            heads.check_inclusion(proof, key_text)
            what = f"entry at leaf {proof['leaf_index']} is in the tree of size" \
                   f" {proof['head']['tree_size']}"
        else:
            heads.check_consistency(proof, key_text)
            what = (f"tree of size {proof['first']['tree_size']} is a prefix of the tree of"
                    f" size {proof['second']['tree_size']}")
    except (ProofError, KeyError, ValueError) as error:
        raise fail(f"proof does NOT verify: {error}") from error
    console.print(f"proof verifies: {what}")


@app.command("public-key")
def show_public_key() -> None:
    """Print the Ed25519 public key that signs tree heads (PEM)."""
    print(public_key_pem(), end="")


@app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write", dir_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
) -> None:
    """Export the whole log: JSON Lines, or CSV whose details column is JSON."""
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}")
    actor = cli_actor()
    with unit_of_work() as session:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = write_export(session, out, fmt)
        record(session, event=AuditEvent.AUDIT_QUERY, actor=actor,
               details={"format": fmt, "shown": count, "export": str(output)})
    console.print(f"{count} entries written to {output}")
