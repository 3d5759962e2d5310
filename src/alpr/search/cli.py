"""`alpr search`: the same purpose-bound, audited search as the API, as a logged-in user."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from alpr.config import get_settings
from alpr.console import acting_as, console, fail, plain_errors
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import load_checked_policy
from alpr.search import deleted_access, service
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose
from alpr.search.schemas import Near, SearchQuery
from alpr.search.views import geojson, record_refusal
from alpr.users.permissions import Permission


def search_command(
    purpose: Annotated[str, typer.Option(help="Permitted purpose code (alpr policy show)")],
    on_behalf_of: Annotated[str, typer.Option(help="Employee the search is for")],
    attest: Annotated[bool, typer.Option(
        "--attest", help="I attest the standard is met and no prohibited use applies")] = False,
    plate: Annotated[str | None, typer.Option(help="Plate; * and ? are wildcards")] = None,
    confusion: Annotated[bool, typer.Option(help="Also look-alike characters")] = False,
    case_number: Annotated[str | None, typer.Option("--case")] = None,
    code_section: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    court_order: Annotated[str | None, typer.Option(
        help="Court order or warrant reference (needed near sensitive locations)")] = None,
    since: Annotated[datetime | None, typer.Option()] = None,
    until: Annotated[datetime | None, typer.Option()] = None,
    camera: Annotated[list[str] | None, typer.Option(help="Repeat for several")] = None,
    near: Annotated[str | None, typer.Option(help="LAT,LON,RADIUS_M")] = None,
    color: Annotated[str | None, typer.Option()] = None,
    make: Annotated[str | None, typer.Option()] = None,
    as_geojson: Annotated[bool, typer.Option("--geojson")] = False,
    deleted_approval: Annotated[int | None, typer.Option(
        help="Command approval opening this plate's logically deleted reads")] = None,
) -> None:
    """Search stored reads for a stated purpose (refused when vague; always audited)."""
    actor = acting_as(Permission.READS_SEARCH)
    policy = load_checked_policy(get_settings().policy)
    attempted: dict[str, object] = {
        "query": {"plate": plate, "cameras": camera or [], "near": near, "since": str(since),
                  "until": str(until), "color": color, "make": make},
        "purpose": {"category": purpose, "case_number": case_number,
                    "code_section": code_section, "last_name": last_name,
                    "description": description, "court_order": court_order,
                    "on_behalf_of": on_behalf_of, "attests": attest}}
    try:
        query = SearchQuery(
            plate=plate, confusion=confusion, since=_aware(since), until=_aware(until),
            cameras=camera or [], near=_near(near), vehicle_color=color, vehicle_make=make,
            page_size=500)
        given = PurposeIn(category=purpose, case_number=case_number, code_section=code_section,
                          last_name=last_name, description=description,
                          court_order=court_order, on_behalf_of=on_behalf_of,
                          attests_standard=attest, attests_prohibited_uses=attest)
        checked = validate_purpose(given, policy=policy)
        with unit_of_work() as session:
            # The approval's own rule checks the System Administrator role on the account.
            found = service.search(session, query=query, purpose=checked,
                                   caller=service.Caller(actor, None, deleted_approval is not None),
                                   policy=policy, now=utcnow(),
                                   deleted_approval_id=deleted_approval)
    except (PurposeRefused, service.SearchError) as error:
        record_refusal(actor=actor, organization=None, path="cli:search", error=error,
                       attempted=attempted)
        raise fail(f"search refused: {error}") from error
    except (ValidationError, ValueError) as error:
        raise fail(f"search refused: {plain_errors(error)}") from error
    if as_geojson:
        console.print_json(json.dumps(geojson(found.reads)))
        return
    table = Table("captured (UTC)", "plate", "camera", "lat", "lon", "vehicle",
                  title=f"{len(found.reads)} reads (audit entry {found.audit_id})")
    for read in found.reads:
        table.add_row(read.captured_at.strftime("%Y-%m-%d %H:%M:%S"), read.plate_normalized,
                      read.camera_id, _coordinate(read.lat), _coordinate(read.lon),
                      " ".join(filter(None, (read.vehicle_color, read.vehicle_make))))
    console.print(table)


deleted_access_app = typer.Typer(
    help="Command approvals to see logically deleted reads (REQ Q7).", no_args_is_help=True)


@deleted_access_app.command("request")
def request_access(
    plate: Annotated[str, typer.Option(help="The one plate whose deleted reads to open")],
    case_number: Annotated[str, typer.Option("--case")],
    offense: Annotated[str | None, typer.Option(help="An offense from the policy's list")] = None,
    court_order: Annotated[str | None, typer.Option(help="Or a court order reference")] = None,
) -> None:
    """System Administrator: ask a commander to open one plate's deleted reads."""
    actor = acting_as(Permission.READS_VIEW_LOGICALLY_DELETED)
    policy = load_checked_policy(get_settings().policy)
    try:
        with unit_of_work() as session:
            row = deleted_access.request_approval(
                session, actor=actor, organization=None, may_see_deleted=True, plate=plate,
                case_number=case_number, offense=offense, court_order=court_order,
                policy=policy, now=utcnow())
    except deleted_access.DeletedAccessRefused as error:
        record_refusal(actor=actor, organization=None, path="cli:deleted-access:request",
                       error=error, attempted={"plate": plate, "case_number": case_number,
                                               "offense": offense, "court_order": court_order})
        raise fail(f"refused: {error}") from error
    console.print(f"approval request [bold]{row.id}[/] for {row.plate}: waiting for a commander")


@deleted_access_app.command("decide")
def decide_access(
    approval_id: int,
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse instead of approving")] = False,
) -> None:
    """Commander: approve (or --refuse) another person's request."""
    actor = acting_as(Permission.READS_APPROVE_DELETED_ACCESS)
    policy = load_checked_policy(get_settings().policy)
    try:
        with unit_of_work() as session:
            row = deleted_access.decide_approval(
                session, approval_id=approval_id, approve=not refuse, actor=actor,
                organization=None, policy=policy, now=utcnow())
    except deleted_access.DeletedAccessRefused as error:
        record_refusal(actor=actor, organization=None, path="cli:deleted-access:decide",
                       error=error, attempted={"approval_id": approval_id, "refuse": refuse})
        raise fail(f"refused: {error}") from error
    console.print(f"approval {row.id} for {row.plate}: [bold]{row.status}[/]"
                  f" until {row.expires_at:%Y-%m-%d %H:%M} UTC")


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.5f}"


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.astimezone()


def _near(text: str | None) -> Near | None:
    if not text:
        return None
    lat, lon, radius = (float(part) for part in text.split(","))
    return Near(lat=lat, lon=lon, radius_m=radius)
