"""`alpr reads import FILE.jsonl`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alpr.config import get_settings
from alpr.console import acting_as, cli_actor, console, fail
from alpr.db.session import unit_of_work
from alpr.policy import PolicyError, load_checked_policy
from alpr.reads.corrections import CorrectionError, correct_read
from alpr.reads.images import image_store
from alpr.reads.importer import ImportSummary, count_lines, import_jsonl
from alpr.users.permissions import Permission

app = typer.Typer(help="Plate reads.", no_args_is_help=True)


def run_import(path: Path, *, actor: str) -> ImportSummary:
    """Import with a progress bar, using the configured policy and image store."""
    settings = get_settings()
    try:
        policy = load_checked_policy(settings.policy)
    except PolicyError as error:
        raise fail(str(error)) from error
    total = count_lines(path)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=total)
        return import_jsonl(
            path,
            actor=actor,
            policy=policy,
            images=image_store(settings),
            max_clock_skew=settings.max_clock_skew,
            progress=lambda done: progress.update(task, completed=done),
        )


def print_summary(summary: ImportSummary) -> None:
    console.print(
        f"[bold]{summary.lines}[/] lines: [green]{summary.accepted} accepted[/],"
        f" [yellow]{summary.duplicates} duplicates[/], [red]{summary.rejected} rejected[/]"
    )
    if summary.rejections:
        table = Table("line", "why it was rejected", title="Rejected lines")
        for line, reason in summary.rejections[:50]:
            table.add_row(str(line), reason)
        console.print(table)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Ingest a JSONL file of reads (image paths relative to the file)."""
    if not file.is_file():
        raise fail(f"{file} is not a regular file")
    summary = run_import(file, actor=cli_actor())
    print_summary(summary)
    if summary.rejected and not summary.accepted and not summary.duplicates:
        raise typer.Exit(1)


@app.command("correct")
def correct_command(
    read_id: uuid.UUID,
    plate: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Correct a misread plate; the original is kept and the change audited."""
    try:
        with unit_of_work() as session:
            done = correct_read(session, read_id=read_id, plate=plate, reason=reason,
                                actor=acting_as(Permission.READS_CORRECT))
    except CorrectionError as error:
        raise fail(str(error)) from error
    console.print(f"read {read_id}: {done.correction.original_plate} →"
                  f" [bold]{done.correction.corrected_plate}[/]"
                  f"{f', {len(done.alerts)} hot-list hit(s)' if done.alerts else ''}")
