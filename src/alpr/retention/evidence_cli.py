"""`alpr evidence export/verify/downloads/destroyed`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alpr.config import get_settings
from alpr.console import acting_as, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import load_checked_policy
from alpr.reads.images import image_store
from alpr.retention import evidence
from alpr.search import service as search_service
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose
from alpr.search.views import record_refusal
from alpr.users.permissions import Permission

app = typer.Typer(help="Evidence packages and the record of downloads.", no_args_is_help=True)


@app.command("export")
def export(
    read: Annotated[list[uuid.UUID], typer.Option(help="Read id; repeat for several")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Package file (.zip)")],
    purpose: Annotated[str, typer.Option(help="Permitted purpose code")],
    case_number: Annotated[str, typer.Option("--case")],
    on_behalf_of: Annotated[str, typer.Option()],
    attest: Annotated[bool, typer.Option("--attest")] = False,
    deleted_approval: Annotated[int | None, typer.Option(
        help="Command approval opening the plate's logically deleted reads")] = None,
) -> None:
    """Package reads and images with a signed manifest (an audited access)."""
    actor = acting_as(Permission.READS_SEARCH)
    settings = get_settings()
    policy = load_checked_policy(settings.policy)
    try:
        checked = validate_purpose(PurposeIn(
            category=purpose, case_number=case_number, on_behalf_of=on_behalf_of,
            attests_standard=attest, attests_prohibited_uses=attest), policy=policy)
        now = utcnow()
        with unit_of_work() as session:
            access = search_service.access_for(
                session, search_service.Caller(actor, None, deleted_approval is not None),
                deleted_approval, now)
            data, download = evidence.export_package(
                session, read_ids=read, purpose=checked, actor=actor, organization=None,
                images=image_store(settings), key=evidence.evidence_key(
                    settings.data_dir), policy=policy, now=now, access=access)
    except (PurposeRefused, evidence.EvidenceError, search_service.SearchError) as error:
        if isinstance(error, PurposeRefused):  # audited like a refused search
            record_refusal(actor=actor, organization=None, path="cli:evidence:export",
                           error=error, attempted={
                               "read_ids": [str(r) for r in read], "purpose": {
                                   "category": purpose, "case_number": case_number,
                                   "on_behalf_of": on_behalf_of, "attests": attest}})
        raise fail(str(error)) from error
    output.write_bytes(data)
    deadline = f"destroy by {download.destroy_by:%Y-%m-%d}" if download.destroy_by else \
        "kept per the records schedule"
    console.print(f"wrote {output} ({download.reads} reads, sha256 {download.sha256[:16]}…;"
                  f" {deadline})")


@app.command("verify")
def verify(package: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check every file and the signature of an evidence package."""
    problems = evidence.verify_package(package.read_bytes(),
                                       key=evidence.evidence_key(get_settings().data_dir))
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] {package}: intact, signature valid")


@app.command("downloads")
def downloads(overdue: Annotated[bool, typer.Option(help="Only past their deadline")] = False
              ) -> None:
    """Exported data and its destruction deadlines (REQ R7)."""
    acting_as(Permission.RETENTION_MANAGE)
    from sqlalchemy import select

    from alpr.retention.models import Download

    with unit_of_work() as session:
        rows = evidence.overdue_downloads(session, now=utcnow()) if overdue else list(
            session.scalars(select(Download).order_by(Download.id)))
    table = Table("id", "kind", "case", "reads", "by", "at", "destroy by", "destroyed")
    for d in rows:
        table.add_row(str(d.id), d.kind, d.case_number, str(d.reads), d.exported_by,
                      f"{d.exported_at:%Y-%m-%d}", f"{d.destroy_by:%Y-%m-%d}" if d.destroy_by
                      else "", f"{d.destroyed_at:%Y-%m-%d}" if d.destroyed_at else "")
    console.print(table)


@app.command("destroyed")
def destroyed(download_id: int) -> None:
    """Record that a download was destroyed."""
    actor = acting_as(Permission.RETENTION_MANAGE)
    try:
        with unit_of_work() as session:
            evidence.record_destroyed(session, download_id=download_id, actor=actor, now=utcnow())
    except evidence.EvidenceError as error:
        raise fail(str(error)) from error
    console.print(f"download {download_id} recorded as destroyed")
