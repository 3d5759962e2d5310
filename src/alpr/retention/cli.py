"""`alpr retention run` and `alpr holds request/approve/list/review/release`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from alpr.config import get_settings
from alpr.console import acting_as, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.jobs.registry import JobContext, load_all, run_job
from alpr.policy import load_checked_policy
from alpr.reads.plates import normalize_plate
from alpr.retention import holds
from alpr.retention.models import HoldReason
from alpr.search import service as search_service
from alpr.users.permissions import Permission

app = typer.Typer(help="Retention: purge and logical deletion.", no_args_is_help=True)
holds_app = typer.Typer(help="Holds that keep reads past their period.", no_args_is_help=True)


@app.command("run")
def run() -> None:
    """Purge everything past its period now (the `retention` job does it hourly)."""
    acting_as(Permission.RETENTION_MANAGE)
    context = JobContext(settings=get_settings(), policy=load_checked_policy(
        get_settings().policy), now=utcnow())
    result = run_job(load_all()["retention"], context)
    console.print(f"retention: {result.outcome} — {result.detail}")
    if result.outcome == "failure":
        raise typer.Exit(1)


@holds_app.command("request")
def request(
    case_number: Annotated[str, typer.Option("--case")],
    reason: Annotated[HoldReason, typer.Option()],
    details: Annotated[str, typer.Option(help="What the reads are needed for")],
    contact: Annotated[str, typer.Option(help="Investigator's name and contact")],
    read: Annotated[list[uuid.UUID] | None, typer.Option(help="Read id; repeatable")] = None,
    plate: Annotated[str | None, typer.Option(help="Or: every read of this plate ...")] = None,
    since: Annotated[datetime | None, typer.Option(help="... from this time")] = None,
    until: Annotated[datetime | None, typer.Option(help="... to this time")] = None,
    deleted_approval: Annotated[int | None, typer.Option(
        help="Command approval opening the plate's logically deleted reads")] = None,
) -> None:
    """Ask for a hold on reads by id, or by plate and time window (a supervisor approves)."""
    actor = acting_as(Permission.READS_SEARCH)
    now = utcnow()
    try:
        with unit_of_work() as session:
            access = search_service.access_for(
                session, search_service.Caller(actor, None, deleted_approval is not None),
                deleted_approval, now)
            ids = list(read or [])
            if plate:
                if since is None or until is None:
                    raise holds.HoldError("a hold by plate needs --since and --until")
                ids += holds.reads_of_plate(session, plate=normalize_plate(plate),
                                            since=since.astimezone(), until=until.astimezone(),
                                            access=access)
            hold = holds.request_hold(session, read_ids=ids, case_number=case_number,
                                      reason=reason, details=details,
                                      investigator_contact=contact, actor=actor, now=now,
                                      access=access)
            held = holds.read_count(session, hold.id)
    except (holds.HoldError, search_service.SearchError) as error:
        raise fail(str(error)) from error
    console.print(f"hold [bold]{hold.id}[/] requested ({hold.status}, {held} reads)")


def _act(verb: str, hold_id: int, reason: str | None = None) -> None:
    actor = acting_as(Permission.RETENTION_MANAGE)
    now = utcnow()
    try:
        with unit_of_work() as session:
            if verb == "approve":
                hold = holds.approve_hold(session, hold_id=hold_id, actor=actor, now=now)
            elif verb == "review":
                hold = holds.review_hold(session, hold_id=hold_id, actor=actor, now=now)
            else:
                hold = holds.release_hold(session, hold_id=hold_id, actor=actor, now=now,
                                          reason=reason or "released")
    except holds.HoldError as error:
        raise fail(str(error)) from error
    console.print(f"hold {hold_id}: {hold.status}")


@holds_app.command("approve")
def approve(hold_id: int) -> None:
    """Supervisor approval: the reads now survive every purge."""
    _act("approve", hold_id)


@holds_app.command("review")
def review(hold_id: int) -> None:
    """Re-verify that the hold is still needed."""
    _act("review", hold_id)


@holds_app.command("release")
def release(hold_id: int, reason: Annotated[str, typer.Option()]) -> None:
    """Release a hold: its reads follow the normal retention again."""
    _act("release", hold_id, reason)


@holds_app.command("list")
def list_holds() -> None:
    """Holds with their reads, status and last verification."""
    acting_as(Permission.RETENTION_MANAGE)
    with unit_of_work() as session:
        rows = holds.all_holds(session)
    table = Table("id", "case", "reason", "reads", "status", "requested by", "verified")
    for hold, count in rows:
        table.add_row(str(hold.id), hold.case_number, hold.reason, str(count), hold.status,
                      hold.requested_by, hold.last_verified_at.strftime("%Y-%m-%d")
                      if hold.last_verified_at else "")
    console.print(table)
