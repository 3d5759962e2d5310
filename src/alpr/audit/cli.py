"""`alpr audit verify`: walk the hash chain and name the first broken entry."""

from __future__ import annotations

import typer

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.retention import audit_key
from alpr.audit.service import ChainReport, record, verify_chain
from alpr.config import get_settings
from alpr.console import cli_actor, console, fail
from alpr.db.session import unit_of_work

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def verify_and_record(actor: str) -> ChainReport:
    """Verify the chain; reading the audit log is itself an audited event."""
    with unit_of_work() as session:
        report = verify_chain(session, key=audit_key(get_settings().data_dir))
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
    """Check every entry's link and content, and the heads published on the transparency
    page; exit 1 at the first problem."""
    from alpr.reports.publication import mismatched_publications

    report = verify_and_record(cli_actor())
    if not report.ok:
        raise fail(f"audit chain broken at entry {report.broken_id}: {report.reason}"
                   f" ({report.checked} entries before it are intact)")
    with unit_of_work() as session:
        rewritten = mismatched_publications(session)
    if rewritten:
        raise fail("audit log rewritten after publication: " + "; ".join(rewritten))
    console.print(f"audit chain intact: {report.checked} entries verified")
    # The head is what the transparency page publishes daily: compare it with a copy.
    console.print(f"head: entry {report.head_id}, hash {report.head_hash}")
