"""POST /api/v1/reads: a camera sends a batch of reads (JSON, or multipart with image files)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from alpr.api.deps import ImagesDep, PolicyDep, Principal, require, unprocessable
from alpr.api.inputs import JsonError, parse_json
from alpr.api.limits import JSON_STATE_KEY
from alpr.broker.connection import BrokerUnavailableError
from alpr.broker.route import broker_configured, ingest_batch_async
from alpr.db.session import unit_of_work
from alpr.hotlists.alert_views import announce_alerts
from alpr.hotlists.schemas import AlertOut
from alpr.reads.corrections import CorrectionError, correct_read
from alpr.reads.schemas import IngestReport
from alpr.reads.service import IngestItem, item_with_images
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/reads", tags=["reads"])
Sender = Annotated[Principal, Depends(require(Permission.READS_INGEST))]
Corrector = Annotated[Principal, Depends(require(Permission.READS_CORRECT))]
MAX_BATCH = 1000

_BATCH_SCHEMA = {
    "type": "object",
    "required": ["reads"],
    "properties": {"reads": {"type": "array", "items": {"$ref": "#/components/schemas/ReadIn"}}},
}


@router.post(
    "",
    response_model=IngestReport,
    responses={202: {"model": IngestReport, "description": "Queued on the broker"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "JSON: {\"reads\": [...]} with images as base64 strings. Multipart: a part"
                " `reads` holding that JSON, and one file part per image, named by the"
                " read's plate_image / vehicle_image."
            ),
            "content": {
                "application/json": {"schema": _BATCH_SCHEMA},
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"reads": {"type": "string"}}}
                },
            },
        }
    },
)
async def post_reads(
    request: Request, sender: Sender, policy: PolicyDep, images: ImagesDep
) -> IngestReport | JSONResponse:
    """Store a batch; each item is answered accepted, duplicate or rejected with a reason.

    With a broker (ALPR_BROKER_URL): 202, each item `queued` (or rejected by the front
    checks) once the stream acknowledged it; a worker stores it (docs/scale-out.md).
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        items = await _multipart_items(request)
    else:
        items = _json_items(_batch(await _json_body(request)))
    settings = request.app.state.settings
    try:
        # With ALPR_BROKER_URL the reads are queued for the workers (202); else stored now.
        report = await ingest_batch_async(
            items, actor=sender.actor, policy=policy, images=images, camera_id=sender.id,
            max_clock_skew=settings.max_clock_skew, settings=settings)
    except BrokerUnavailableError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error),
                            headers={"Retry-After": str(settings.db_retry_after_seconds)}
                            ) from error
    if broker_configured(settings):
        return JSONResponse(report.model_dump(mode="json"), status.HTTP_202_ACCEPTED)
    if report.alerts:
        announce_alerts()
    return report


async def _json_body(request: Request) -> Any:
    if JSON_STATE_KEY in request.scope.get("state", {}):
        return request.scope["state"][JSON_STATE_KEY]  # parsed (and limited) by the gate
    try:
        return parse_json(await request.body(), max_depth=request.app.state.settings
                          .max_json_depth)
    except JsonError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error


def _batch(body: Any) -> list[Any]:
    reads = body.get("reads") if isinstance(body, dict) else None
    if not isinstance(reads, list):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, 'expected an object {"reads": [...]}'
        )
    if len(reads) > MAX_BATCH:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"at most {MAX_BATCH} reads per request"
        )
    return reads


def _json_items(reads: list[Any]) -> list[IngestItem]:
    return [item_with_images(data, _decode_base64) for data in reads]


def _decode_base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected base64 text")
    if value.startswith("data:"):  # data URI: data:image/jpeg;base64,....
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("not valid base64") from error


async def _multipart_items(request: Request) -> list[IngestItem]:
    form = await request.form(max_files=2 * MAX_BATCH, max_fields=10)
    raw = form.get("reads")
    if not isinstance(raw, str):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "multipart upload needs a text part 'reads'"
        )
    try:
        reads = _batch(parse_json(raw, max_depth=request.app.state.settings.max_json_depth))
    except JsonError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"part 'reads': {error}") from error
    files = {
        name: await value.read()
        for name, value in form.multi_items()
        if isinstance(value, UploadFile)
    }

    def attached(part: Any) -> bytes:
        if str(part) not in files:
            raise ValueError(f"no file part named {part!r}")
        return files[str(part)]

    return [item_with_images(data, attached) for data in reads]


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plate: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=5, max_length=1000)


class CorrectionOut(BaseModel):
    read_id: uuid.UUID
    original_plate: str
    corrected_plate: str
    alerts: list[AlertOut]


@router.post("/{read_id}/corrections", status_code=status.HTTP_201_CREATED)
def correct(read_id: uuid.UUID, body: CorrectionIn, principal: Corrector) -> CorrectionOut:
    """Correct a misread; the original stays, the change is audited (REQ A5)."""
    try:
        with unit_of_work() as session:
            done = correct_read(session, read_id=read_id, plate=body.plate, reason=body.reason,
                                actor=principal.actor)
            return CorrectionOut(
                read_id=read_id, original_plate=done.correction.original_plate,
                corrected_plate=done.correction.corrected_plate,
                alerts=[AlertOut.model_validate(a) for a in done.alerts])
    except CorrectionError as error:
        raise unprocessable(error) from error
