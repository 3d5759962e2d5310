"""`alpr agencies …`, `alpr shares …` (with `public-records`) and `alpr incidents …`."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alpr.config import get_settings
from alpr.console import acting_as, configured_policy, console, fail, parse_when
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.reads.images import image_store
from alpr.retention.evidence import evidence_key
from alpr.sharing import agencies, incidents, public_records, requests
from alpr.sharing.agencies import SharingError
from alpr.sharing.models import AgencyKind, LegalProcess, RequestStatus
from alpr.sharing.schemas import ShareRequestIn
from alpr.users.permissions import Permission

agencies_app = typer.Typer(help="Agencies and interagency agreements (MOU).",
                           no_args_is_help=True)
shares_app = typer.Typer(help="Share requests, exports and the record of shares.",
                         no_args_is_help=True)
records_app = typer.Typer(help="Public records requests: aggregate data only.",
                          no_args_is_help=True)
incidents_app = typer.Typer(help="Breach incidents and their notifications.",
                            no_args_is_help=True)
shares_app.add_typer(records_app, name="public-records")
MANAGE = Permission.SHARING_MANAGE






def _day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


# --- agencies -----------------------------------------------------------------------------


@agencies_app.command("add")
def add_agency(
    name: str, kind: Annotated[AgencyKind, typer.Option()],
    jurisdiction: Annotated[str, typer.Option()],
    contacts: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register an agency (federal, out-of-state and private ones can never receive data)."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            agency = agencies.register_agency(session, name=name, kind=kind,
                                              jurisdiction=jurisdiction, contacts=contacts,
                                              actor=actor, now=utcnow())
            agency_id = agency.id
    except SharingError as error:
        raise fail(str(error)) from error
    note = "" if agencies.is_ca_public(kind) else " [red](never a recipient: REQ S1)[/]"
    console.print(f"agency {agency_id} [bold]{name}[/] registered{note}")


@agencies_app.command("list")
def list_agencies() -> None:
    """Registered agencies."""
    acting_as(MANAGE)
    with unit_of_work() as session:
        rows = agencies.all_agencies(session)
        table = Table("id", "name", "kind", "jurisdiction", "contacts")
        for a in rows:
            table.add_row(str(a.id), a.name, a.kind, a.jurisdiction, a.contacts or "")
    console.print(table)


@agencies_app.command("agreement")
def add_agreement(
    agency: str, start: Annotated[str, typer.Option()], end: Annotated[str, typer.Option()],
    scope: Annotated[str, typer.Option()],
    standing: Annotated[bool, typer.Option("--standing", help="Grants standing access")] = False,
) -> None:
    """Record an interagency agreement (MOU) with its end date."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            found = agencies.get_agency(session, agency)
            agreement = agencies.record_agreement(
                session, agency_id=found.id, starts_at=parse_when(start), ends_at=parse_when(end),
                scope=scope, standing_access=standing, actor=actor, now=utcnow())
            agreement_id = agreement.id
    except SharingError as error:
        raise fail(str(error)) from error
    console.print(f"agreement {agreement_id} with [bold]{agency}[/] recorded")


@agencies_app.command("agreements")
def list_agreements(agency: Annotated[str | None, typer.Argument()] = None) -> None:
    """Agreements, with whether each is current."""
    acting_as(MANAGE)
    now = utcnow()
    try:
        with unit_of_work() as session:
            agency_id = agencies.get_agency(session, agency).id if agency else None
            table = Table("id", "agency", "from", "to", "standing", "current", "scope")
            for a in agencies.agreements(session, agency_id):
                table.add_row(str(a.id), agencies.get_agency(session, a.agency_id).name,
                              _day(a.starts_at), _day(a.ends_at), "yes" if a.standing_access
                              else "", "yes" if a.starts_at <= now < a.ends_at else "no", a.scope)
    except SharingError as error:
        raise fail(str(error)) from error
    console.print(table)


# --- shares -------------------------------------------------------------------------------


@shares_app.command("request")
def request_share(
    agency: Annotated[str, typer.Option()], requester: Annotated[str, typer.Option()],
    right_to_know: Annotated[str, typer.Option(help="Legal authority")],
    case_number: Annotated[str, typer.Option("--case")],
    involvement: Annotated[str, typer.Option(help="Need to know")],
    purpose: Annotated[str, typer.Option(help="Permitted purpose code")],
    purpose_text: Annotated[str, typer.Option("--purpose-text")],
    received_via: Annotated[str, typer.Option(help="letter, email, form or verbal")] = "form",
    legal_process: Annotated[LegalProcess, typer.Option()] = LegalProcess.NONE,
    legal_process_ref: Annotated[str | None, typer.Option()] = None,
    on_behalf_of: Annotated[str | None, typer.Option()] = None,
    on_behalf_of_kind: Annotated[AgencyKind | None, typer.Option()] = None,
    standing: Annotated[bool, typer.Option("--standing")] = False,
    attest_no_immigration: Annotated[bool, typer.Option("--attest-no-immigration")] = False,
    attest_no_reproductive_health: Annotated[
        bool, typer.Option("--attest-no-reproductive-health")] = False,
    attest_no_resharing: Annotated[bool, typer.Option("--attest-no-resharing")] = False,
) -> None:
    """Record a written share request; the rules refuse it at once if the law forbids it."""
    actor = acting_as(MANAGE)
    try:
        given = ShareRequestIn.model_validate({
            "agency": agency, "requester_name": requester, "received_via": received_via,
            "right_to_know": right_to_know, "case_number": case_number,
            "involvement": involvement, "purpose_category": purpose,
            "purpose_text": purpose_text, "legal_process": legal_process,
            "legal_process_ref": legal_process_ref, "on_behalf_of_name": on_behalf_of,
            "on_behalf_of_kind": on_behalf_of_kind, "standing_access": standing,
            "attests_no_immigration": attest_no_immigration,
            "attests_no_reproductive_health": attest_no_reproductive_health,
            "attests_no_resharing": attest_no_resharing})
        with unit_of_work() as session:
            request = requests.submit(session, given=given, actor=actor, policy=configured_policy(),
                                      now=utcnow())
            request_id, status, reason = request.id, request.status, request.reason
    except (SharingError, ValueError) as error:
        raise fail(str(error)) from error
    if status == RequestStatus.REFUSED:
        raise fail(f"request {request_id} refused: {reason}")
    console.print(f"request {request_id} recorded, pending a decision")


@shares_app.command("list")
def list_requests(status: Annotated[RequestStatus | None, typer.Option()] = None) -> None:
    """Share requests and their decisions."""
    acting_as(MANAGE)
    with unit_of_work() as session:
        table = Table("id", "agency", "requester", "case", "received", "status", "by", "reason")
        for r in requests.all_requests(session, status):
            table.add_row(str(r.id), agencies.get_agency(session, r.agency_id).name,
                          r.requester_name, r.case_number, _day(r.received_at), r.status,
                          r.decided_by or "", r.reason or "")
    console.print(table)


@shares_app.command("decide")
def decide(
    request_id: int, reason: Annotated[str, typer.Option()],
    honor: Annotated[bool, typer.Option("--honor/--deny")] = False,
) -> None:
    """Honor or deny a pending request (you are the processing officer)."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            request = requests.decide(session, request_id=request_id, honor=honor,
                                      reason=reason, officer=actor, policy=configured_policy(),
                                      now=utcnow())
            status, why = request.status, request.reason
    except SharingError as error:
        raise fail(str(error)) from error
    if status == RequestStatus.REFUSED:
        raise fail(f"request {request_id} refused: {why}")
    console.print(f"request {request_id} {status}")


@shares_app.command("export")
def export(
    request_id: int,
    read: Annotated[list[uuid.UUID], typer.Option(help="Read id; repeat for several")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Package file (.zip)")],
) -> None:
    """Fulfil an honored request with a signed evidence package, recorded as a share."""
    actor = acting_as(MANAGE)
    settings = get_settings()
    try:
        with unit_of_work() as session:
            done = requests.fulfil(
                session, request_id=request_id, read_ids=read, actor=actor, organization=None,
                images=image_store(settings), key=evidence_key(settings.data_dir),
                policy=configured_policy(), now=utcnow())
            reads = done.share.reads if done.share else 0
    except SharingError as error:
        raise fail(str(error)) from error
    if done.package is None:
        raise fail(f"request {request_id} refused: {done.request.reason}")
    output.write_bytes(done.package)
    console.print(f"wrote {output} ({reads} reads); the share is recorded")


@shares_app.command("transfer")
def transfer(
    request_id: int, message: Annotated[str, typer.Option(help="The message as sent")],
    reads: Annotated[int, typer.Option(help="Reads transferred")],
    channel: Annotated[str, typer.Option()] = "email",
) -> None:
    """Record a transfer made outside the export (e.g. an email), keeping the message."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            done = requests.record_transfer(session, request_id=request_id, channel=channel,
                                            message=message, reads=reads, actor=actor,
                                            policy=configured_policy(), now=utcnow())
            share_id, why = (done.share.id if done.share else None), done.request.reason
    except SharingError as error:
        raise fail(str(error)) from error
    if share_id is None:
        raise fail(f"request {request_id} refused: {why}")
    console.print(f"share {share_id} recorded ({channel})")


@shares_app.command("report")
def report(since: Annotated[str | None, typer.Option()] = None,
           until: Annotated[str | None, typer.Option()] = None) -> None:
    """The record of every agency shared with (REQ S5)."""
    acting_as(MANAGE)
    with unit_of_work() as session:
        rows = requests.report(session, since=parse_when(since) if since else None,
                               until=parse_when(until) if until else None)
    table = Table("share", "agency", "kind", "date", "reads", "case", "officer", "channel",
                  "legal process")
    for r in rows:
        table.add_row(str(r.share_id), r.agency, r.agency_kind, _day(r.shared_at), str(r.reads),
                      r.case_number, r.officer, r.channel, r.legal_process)
    console.print(table)


@records_app.command("request")
def records_request(requester: Annotated[str, typer.Option()],
                    description: Annotated[str, typer.Option()]) -> None:
    """Log a public records request."""
    actor = acting_as(MANAGE)
    with unit_of_work() as session:
        request_id = public_records.record_request(session, requester=requester,
                                                   description=description, actor=actor,
                                                   now=utcnow()).id
    console.print(f"public records request {request_id} logged")


@records_app.command("list")
def records_list() -> None:
    """The public records request log."""
    acting_as(MANAGE)
    with unit_of_work() as session:
        table = Table("id", "requester", "received", "status", "fulfilled", "description")
        for r in public_records.all_requests(session):
            table.add_row(str(r.id), r.requester, _day(r.received_at), r.status,
                          _day(r.fulfilled_at), r.description)
    console.print(table)


@records_app.command("export")
def records_export(
    request_id: int, start: Annotated[str, typer.Option()], end: Annotated[str, typer.Option()],
    output: Annotated[Path, typer.Option("--output", "-o")],
) -> None:
    """Aggregate counts for a request (reads per camera per day, hot-list hits): no plates."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            data = public_records.export(session, request_id=request_id, start=parse_when(start),
                                         end=parse_when(end), actor=actor, now=utcnow())
    except SharingError as error:
        raise fail(str(error)) from error
    output.write_bytes(data)
    console.print(f"wrote {output}")


# --- incidents ----------------------------------------------------------------------------


@incidents_app.command("record")
def record_incident(
    discovered: Annotated[str, typer.Option(help="When it was discovered (ISO)")],
    description: Annotated[str, typer.Option()], data: Annotated[str, typer.Option()],
    persons: Annotated[int, typer.Option(help="Estimated persons affected")],
) -> None:
    """Record a breach and create its notification tasks."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            incident = incidents.record_incident(
                session, discovered_at=parse_when(discovered), description=description,
                data_involved=data, persons_affected=persons, actor=actor, now=utcnow(),
                notify_within=incidents.notice_window(configured_policy(), parse_when(discovered)),
                policy=configured_policy())
            created = [(t.id, t.kind, _day(t.due_at)) for t in incidents.tasks(session,
                                                                               incident.id)]
            incident_id = incident.id
    except SharingError as error:
        raise fail(str(error)) from error
    console.print(f"incident {incident_id} recorded; tasks:")
    for task_id, kind, due in created:
        console.print(f"  {task_id} {kind} due {due}")


@incidents_app.command("list")
def list_tasks(all_: Annotated[bool, typer.Option("--all", help="Include completed")] = False
               ) -> None:
    """Notification tasks (open ones unless --all)."""
    acting_as(MANAGE)
    now = utcnow()
    with unit_of_work() as session:
        table = Table("task", "incident", "kind", "due", "completed", "by")
        for t in incidents.tasks(session, open_only=not all_):
            due = _day(t.due_at) + (" [red]overdue[/]" if not t.completed_at and t.due_at < now
                                    else "")
            table.add_row(str(t.id), str(t.incident_id), t.kind, due, _day(t.completed_at),
                          t.completed_by or "")
    console.print(table)


@incidents_app.command("notify")
def notify(task_id: int, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Record a notification task as done."""
    actor = acting_as(MANAGE)
    try:
        with unit_of_work() as session:
            incidents.complete_task(session, task_id=task_id, actor=actor, now=utcnow(),
                                    note=note)
    except SharingError as error:
        raise fail(str(error)) from error
    console.print(f"task {task_id} completed")
