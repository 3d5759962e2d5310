"""`alpr hotlists ...` and `alpr alerts list`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from alpr.audit.events import AuditEvent
from alpr.audit.listing import listed
from alpr.audit.service import record
from alpr.console import acting_as, configured_policy, console, fail, folded
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists import importing, responses, service, webhooks
from alpr.hotlists.models import Alert, EntryStatus
from alpr.hotlists.profiles import Profile, ProfileError, file_lines, iter_records, open_list_file
from alpr.hotlists.schemas import AlertOut
from alpr.search.deleted_access import LIVE_ONLY
from alpr.users.permissions import Permission

app = typer.Typer(help="Hot lists: imports, manual entries, approval, flags.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerts raised by hot-list hits.", no_args_is_help=True)




@app.command("create")
def create(
    name: str,
    source: Annotated[str, typer.Option(help="SVS, NCIC, CA_DOJ, AMBER, SILVER or BOLO")],
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an empty hot list."""
    actor = acting_as(Permission.HOTLIST_IMPORT)
    try:
        with unit_of_work() as session:
            service.create_list(session, name=name, source=source.upper(), actor=actor,
                                policy=configured_policy(), description=description)
    except service.HotlistError as error:
        raise fail(str(error)) from error
    console.print(f"hot list [bold]{name}[/] created")


@app.command("import")
def import_command(
    name: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    profile: Annotated[Profile, typer.Option(help="File layout")] = Profile.CLEW_SVS,
    map_: Annotated[list[str], typer.Option("--map", help="CSV: field=column")] = [],  # noqa: B006
    reason: Annotated[str | None, typer.Option(help="CSV: reason when no column")] = None,
    force_reason: Annotated[str | None, typer.Option(
        "--force-reason",
        help="ALPR Administrator: load a file that shrinks the list past the policy's"
             " import_max_drop, and say why (audited)")] = None,
) -> None:
    """Replace a list's content with a file (atomically; bad lines reported, rest loaded).

    The whole file is checked first: a file with no loadable record, or one that would
    drop more than the policy's share of the list without --force-reason, is refused; so
    is a second import of a list while one runs."""
    actor = acting_as(Permission.HOTLIST_IMPORT)
    policy = configured_policy()
    try:
        # Streamed: the file is read line by line while its rows are written.
        # In short transactions: serving and ingest go on meanwhile (importing.import_staged).
        # No prebuilt match index: it would live in this process, not in the server's.
        with open_list_file(file) as handle:
            records = iter_records(file_lines(handle), profile, map_, reason)
            result = importing.import_staged(list_name=name, parsed=records, actor=actor,
                                           policy=policy, file_name=file.name,
                                           force_reason=force_reason, prebuild=False)
    except (ProfileError, service.HotlistError) as error:
        with unit_of_work() as session:
            importing.record_import_refusal(session, list_name=name, file_name=file.name,
                                          error=error, actor=actor)
        raise fail(f"{file}: {error}; the active list is unchanged") from error
    console.print(f"[bold]{name}[/]: {result.loaded} entries loaded (generation"
                  f" {result.generation}, {result.replaced} replaced)")
    for line, problem in result.problems[:50]:
        console.print(f"  line {line}: [red]{problem}[/]")
    if result.problem_count > 50:
        console.print(f"  ... {result.problem_count} records not loaded in all")


@app.command("list")
def list_command(
    name: Annotated[str | None, typer.Option("--list", help="Only this list")] = None,
    status: Annotated[EntryStatus | None, typer.Option(help="Only this status")] = None,
) -> None:
    """List hot-list entries."""
    acting_as(Permission.HOTLIST_ENTER)
    with unit_of_work() as session:
        rows = service.list_entries(session, list_name=name, status=status)
    table = Table("id", "list", "plate", "state", "reason", "status", "expires", "case")
    for entry, hotlist in rows[:500]:
        table.add_row(str(entry.id), hotlist.name, entry.plate, entry.state or "", entry.reason,
                      entry.status, entry.expires_at.strftime("%Y-%m-%d"), entry.case_number or "")
    console.print(table)


@app.command("add")
def add(
    name: str,
    plate: str,
    reason: Annotated[str, typer.Option(help="BOLO: one of the policy's categories")],
    case_number: Annotated[str, typer.Option(help="Case number")],
    justification: Annotated[str, typer.Option(help="Why the vehicle is sought")],
    state: Annotated[str | None, typer.Option()] = None,
    urgent: Annotated[bool, typer.Option(help="Amber/Silver: live at once")] = False,
) -> None:
    """Enter a vehicle by hand (pending until an ALPR Administrator approves it)."""
    actor = acting_as(Permission.HOTLIST_ENTER)
    try:
        with unit_of_work() as session:
            entry = service.add_manual_entry(
                session, list_name=name, plate=plate, reason=reason, case_number=case_number,
                justification=justification, actor=actor, policy=configured_policy(), state=state,
                urgent=urgent)
    except service.HotlistError as error:
        raise fail(str(error)) from error
    console.print(f"entry [bold]{entry.id}[/] ({entry.plate}) is {entry.status}")


@app.command("approve")
def approve(
    entry_id: int, reject: Annotated[bool, typer.Option(help="Reject instead")] = False
) -> None:
    """Approve (or --reject) a pending manual entry."""
    actor = acting_as(Permission.HOTLIST_APPROVE)
    try:
        with unit_of_work() as session:
            entry = service.decide_entry(session, entry_id=entry_id, approve=not reject,
                                         actor=actor)
    except service.HotlistError as error:
        raise fail(str(error)) from error
    console.print(f"entry [bold]{entry.id}[/] is {entry.status}")


@app.command("flag")
def flag(entry_id: int, reason: Annotated[str, typer.Option(help="What is wrong")]) -> None:
    """Flag an entry "record in error": it stops alerting and is reported for cancellation."""
    actor = acting_as(Permission.HOTLIST_ENTER)
    try:
        with unit_of_work() as session:
            service.flag_in_error(session, entry_id=entry_id, actor=actor, reason=reason)
    except service.HotlistError as error:
        raise fail(str(error)) from error
    console.print(f"entry [bold]{entry_id}[/] flagged in error")


@app.command("purge")
def purge() -> None:
    """Delete entries past their lifetime (the daily job does this too)."""
    actor = acting_as(Permission.HOTLIST_IMPORT)
    with unit_of_work() as session:
        deleted = service.purge_expired(session, actor=actor)
    console.print(f"{deleted} expired entries deleted")


def alerts_table(alerts: Sequence[Alert | AlertOut], title: str = "Alerts") -> Table:
    table = Table("time (UTC)", "plate read", "listed", "list", "reason", "match", "camera",
                  "status", title=title)
    for alert in alerts:
        table.add_row(alert.created_at.strftime("%Y-%m-%d %H:%M:%S"), alert.plate_read,
                      alert.plate_listed, alert.list_name, alert.reason, alert.match,
                      alert.camera_id, alert.status)
    return folded(table)


@alerts_app.command("list")
def list_alerts(limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """The newest alerts."""
    actor = acting_as(Permission.ALERTS_RECEIVE)
    with unit_of_work() as session:
        alerts = list(session.scalars(select(Alert).where(LIVE_ONLY.alert_condition())
                                      .order_by(Alert.created_at.desc())
                                      .limit(limit)))
        # Alerts carry plates, places and times: viewing them is an audited access.
        record(session, event=AuditEvent.ALERT_LIST, actor=actor,
               details={"limit": limit, "shown": len(alerts),
                        **listed({"id": str(a.id), "plate_read": a.plate_read}
                                 for a in alerts)})
    console.print(alerts_table(alerts))


@alerts_app.command("verify")
def verify(
    alert_id: uuid.UUID,
    plate: Annotated[bool, typer.Option("--plate-matches/--plate-differs")],
    state: Annotated[bool, typer.Option("--state-matches/--state-differs")],
    vehicle: Annotated[bool, typer.Option("--vehicle-matches/--vehicle-differs")],
    clets: Annotated[bool, typer.Option("--clets-confirmed/--clets-not-confirmed")],
    clets_at: Annotated[datetime | None, typer.Option(help="When CLETS/NCIC was checked")] = None,
) -> None:
    """Record the operator's verification of an alert (REQ A2)."""
    actor = acting_as(Permission.ALERTS_RECEIVE)
    check = responses.Verification(plate, state, vehicle, clets,
                                   _aware(clets_at) if clets_at else utcnow())
    try:
        with unit_of_work() as session:
            alert = responses.verify_alert(session, alert_id=alert_id, check=check,
                                           actor=actor)
    except responses.AlertError as error:
        raise fail(str(error)) from error
    console.print(f"alert {alert_id}: [bold]{alert.status}[/]")


@alerts_app.command("respond")
def respond(
    alert_id: uuid.UUID,
    member: Annotated[str, typer.Option(help="Member who responded")],
    justification: Annotated[str, typer.Option()],
    disposition: Annotated[str, typer.Option(help="One of the policy's disposition codes")],
    case_number: Annotated[str | None, typer.Option()] = None,
    next_steps: Annotated[str | None, typer.Option()] = None,
    at: Annotated[datetime | None, typer.Option(help="When (default now)")] = None,
) -> None:
    """Document the response to a verified alert (REQ A3)."""
    actor = acting_as(Permission.ALERTS_RECEIVE)
    response = responses.Response(
        member=member, justification=justification, disposition=disposition,
        case_number=case_number, next_steps=next_steps,
        responded_at=_aware(at) if at else utcnow())
    try:
        with unit_of_work() as session:
            responses.respond(session, alert_id=alert_id, response=response, actor=actor,
                              policy=configured_policy())
    except responses.AlertError as error:
        raise fail(str(error)) from error
    console.print(f"response recorded for alert {alert_id}")


@alerts_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write: .csv or .xlsx")],
) -> None:
    """Export documented responses as a spreadsheet."""
    actor = acting_as(Permission.ALERTS_EXPORT)
    fmt = output.suffix.lower().lstrip(".")
    try:
        with unit_of_work() as session:
            data = responses.export_responses(session, fmt=fmt, actor=actor)
    except responses.AlertError as error:
        raise fail(str(error)) from error
    output.write_bytes(data)
    console.print(f"wrote {output}")


@alerts_app.command("webhook-add")
def webhook_add(url: str) -> None:
    """Send every alert to URL (signed); prints the signing secret once."""
    actor = acting_as(Permission.CONFIG_MANAGE)
    try:
        with unit_of_work() as session:
            hook = webhooks.add_webhook(session, url=url, actor=actor, now=utcnow())
    except ValueError as error:
        raise fail(str(error)) from error
    console.print(f"webhook {hook.id} added; signing secret (shown once): [bold]{hook.secret}[/]")


def _aware(moment: datetime) -> datetime:
    # Typer parses times without an offset; treat them as the machine's local time.
    return moment if moment.tzinfo else moment.astimezone()
