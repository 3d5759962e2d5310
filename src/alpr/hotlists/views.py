"""Hot-list API: lists, imports, manual entries, approval, flags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Response,
    UploadFile,
    status,
)
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from alpr.api.deps import PolicyDep, Principal, require, unprocessable
from alpr.api.inputs import DB_INT_MAX
from alpr.api.paging import DEFAULT_PAGE, EVERYTHING, MAX_PAGE, PageDep
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.service import get_camera
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists import importing, service
from alpr.hotlists.models import EntryStatus
from alpr.hotlists.profiles import Profile, ProfileError, file_lines, iter_records
from alpr.hotlists.snapshot import signature, snapshot_body
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/hotlists", tags=["hotlists"])
Enterer = Annotated[Principal, Depends(require(Permission.HOTLIST_ENTER))]
Approver = Annotated[Principal, Depends(require(Permission.HOTLIST_APPROVE))]
Importer = Annotated[Principal, Depends(require(Permission.HOTLIST_IMPORT))]
Snapshotter = Annotated[Principal, Depends(require(Permission.HOTLIST_SNAPSHOT))]


class ListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    source: str
    description: str | None = None


class ListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    source: str
    description: str | None
    generation: int
    imported_at: datetime | None = None
    counts: dict[str, int] = Field(default_factory=dict, description="entries per status")


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plate: str
    state: str | None = None
    reason: str
    case_number: str
    justification: str
    urgent: bool = False


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    list_id: int
    plate: str
    state: str | None
    reason: str
    status: str
    origin: str
    urgent: bool
    case_number: str | None
    entered_by: str | None
    entered_at: datetime | None = None
    expires_at: datetime | None = None
    justification: str | None = None
    source_record_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    flagged_by: str | None = None
    flag_reason: str | None = None
    list_name: str | None = None


class ImportOut(BaseModel):
    list_name: str
    generation: int
    loaded: int
    replaced: int
    problems: list[tuple[int, str]] = Field(
        description="(line, problem) of records not loaded: the first 1000 by line")
    problem_count: int = Field(0, description="how many records were not loaded in all")


class Decision(BaseModel):
    approve: bool


class Flag(BaseModel):
    reason: str = Field(min_length=3)



@router.get("")
def lists(_: Enterer, page: PageDep = EVERYTHING) -> list[ListOut]:
    with unit_of_work() as session:
        counts = service.entry_counts(session)
        return [ListOut.model_validate(h).model_copy(update={"counts": counts.get(h.id, {})})
                for h in page.of(service.all_lists(session))]


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: ListIn, principal: Importer, policy: PolicyDep) -> ListOut:
    try:
        with unit_of_work() as session:
            created = service.create_list(session, name=body.name, source=body.source,
                                          description=body.description, actor=principal.actor,
                                          policy=policy)
            return ListOut.model_validate(created)
    except service.HotlistError as error:
        raise unprocessable(error) from error


@router.post("/{name}/import")
async def import_file(
    name: str, principal: Importer, policy: PolicyDep, file: Annotated[UploadFile, File()],
    profile: Annotated[Profile, Form()] = Profile.CLEW_SVS,
    mapping: Annotated[list[str] | None, Form(description="CSV: field=column")] = None,
    reason: Annotated[str | None, Form()] = None,
    force_reason: Annotated[str | None, Form(
        description="ALPR Administrator: why a list may shrink past hotlists.import_max_drop"
    )] = None,
) -> ImportOut:
    """Replace the list with the file, atomically; bad lines are reported by number. A file
    with no loadable record, or one that would drop more than the policy allows without
    a `force_reason`, is refused and the active list kept; so is a second import of a
    list while one runs (409)."""
    file_name = file.filename or "upload"

    def run() -> ImportOut:
        # Parsing and writing a state-wide list takes seconds: a worker thread does it, in
        # short transactions (importing.import_staged), so ingest and /health keep answering
        # meanwhile (issue 18.7). It reads the spooled upload line by line: memory holds a
        # batch, never the file.
        try:
            file.file.seek(0)
            # The gate bounded the body by ALPR_MAX_UPLOAD_BYTES; the same bound here.
            lines = file_lines(file.file, max_bytes=get_settings().max_upload_bytes)
            records = iter_records(lines, profile, mapping or [], reason)
            result = importing.import_staged(list_name=name, parsed=records,
                                           actor=principal.actor, policy=policy,
                                           file_name=file_name, force_reason=force_reason)
        except (ProfileError, service.HotlistError) as error:
            with unit_of_work() as session:
                importing.record_import_refusal(session, list_name=name, file_name=file_name,
                                              error=error, actor=principal.actor,
                                              organization=principal.organization)
            if isinstance(error, importing.ImportBusy):
                raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
            raise unprocessable(error) from error
        return ImportOut(list_name=name, generation=result.generation, loaded=result.loaded,
                         replaced=result.replaced, problems=result.problems,
                         problem_count=result.problem_count)

    return await run_in_threadpool(run)


@router.get("/snapshot")
def snapshot(principal: Snapshotter) -> Response:
    """Every entry that can alert now, for a patrol unit to match offline (signed)."""
    now = utcnow()
    with unit_of_work() as session:
        camera = get_camera(session, principal.id)
        body = snapshot_body(session, now=now)
        record(session, event=AuditEvent.HOTLIST_SNAPSHOT, actor=principal.actor,
               organization=principal.organization, now=now, details={"bytes": len(body)})
    return Response(body, media_type="application/json",
                    headers={"X-ALPR-Signature": signature(camera.api_key_hash, body)})


@router.get("/entries")
def entries(
    _: Enterer, list_name: str | None = None, entry_status: EntryStatus | None = None,
    plate: Annotated[str | None, Query(description="plate contains")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0,
) -> list[EntryOut]:
    """A page of entries (a state-wide list is millions: 100 by default, at most 1000)."""
    with unit_of_work() as session:
        rows = service.list_entries(session, list_name=list_name, status=entry_status,
                                    plate=plate, limit=limit, offset=offset)
        return [EntryOut.model_validate(entry).model_copy(update={"list_name": hotlist.name})
                for entry, hotlist in rows]


@router.post("/{name}/entries", status_code=status.HTTP_201_CREATED)
def add_entry(name: str, body: EntryIn, principal: Enterer, policy: PolicyDep) -> EntryOut:
    try:
        with unit_of_work() as session:
            entry = service.add_manual_entry(
                session, list_name=name, plate=body.plate, state=body.state, reason=body.reason,
                case_number=body.case_number, justification=body.justification,
                urgent=body.urgent, actor=principal.actor, policy=policy)
            return EntryOut.model_validate(entry)
    except service.HotlistError as error:
        raise unprocessable(error) from error


@router.post("/entries/{entry_id}/decision")
def decide(entry_id: int, body: Decision, principal: Approver) -> EntryOut:
    try:
        with unit_of_work() as session:
            entry = service.decide_entry(session, entry_id=entry_id, approve=body.approve,
                                         actor=principal.actor)
            return EntryOut.model_validate(entry)
    except service.HotlistError as error:
        raise unprocessable(error) from error


@router.post("/entries/{entry_id}/flag")
def flag(entry_id: int, body: Flag, principal: Enterer) -> EntryOut:
    try:
        with unit_of_work() as session:
            entry = service.flag_in_error(session, entry_id=entry_id, actor=principal.actor,
                                          reason=body.reason)
            return EntryOut.model_validate(entry)
    except service.HotlistError as error:
        raise unprocessable(error) from error
