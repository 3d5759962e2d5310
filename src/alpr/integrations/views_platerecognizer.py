"""Plate Recognizer routes: the Snapshot-compatible `POST /v1/plate-reader/` (our own
recognition, their answer shape) and the webhook receiver (Snapshot and Stream)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from alpr.api.deps import Principal
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.integrations import platerecognizer as pr
from alpr.integrations.auth import PathCamera, TokenCaller
from alpr.integrations.links import CameraResolver
from alpr.integrations.mapping import (
    Fields,
    ForeignRead,
    MappingError,
    decode_base64,
    ingest_reads,
    unmappable,
)
from alpr.integrations.views import MAX_BODY_BYTES, PREFIX, router, run_ingest, unprocessable
from alpr.reads.schemas import IngestReport
from alpr.reads.service import IngestItem
from alpr.recognition.interfaces import PlateResult
from alpr.recognition.pipeline import RecognitionError, Recognizer, decode_image
from alpr.recognition.postprocess import clean_text

_recognizer_lock = threading.Lock()


def recognizer(request: Request) -> Recognizer:
    """The app's recognizer, loaded on first use (models take seconds to load)."""
    with _recognizer_lock:
        found: Recognizer | None = getattr(request.app.state, "recognizer", None)
        if found is None:
            from alpr.recognition.registry import load_recognizer

            found = request.app.state.recognizer = load_recognizer()
        return found


async def _form(request: Request) -> FormData:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body larger than 20 MB")
    return await request.form(max_files=4, max_fields=50)


async def _snapshot_fields(request: Request) -> dict[str, Any]:
    """The request's fields, whatever the encoding (multipart, form or JSON)."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {error}"
                                ) from error
        if not isinstance(body, dict):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                "body: expected a JSON object")
        regions = body.get("regions") or []
        body["regions"] = [regions] if isinstance(regions, str) else regions
        return body
    form = await _form(request)
    fields: dict[str, Any] = {name: form.get(name) for name in
                              ("upload", "upload_url", "camera_id", "timestamp", "mmc", "config")}
    fields["regions"] = [r for r in form.getlist("regions") if isinstance(r, str)]
    upload = fields["upload"]
    if isinstance(upload, UploadFile):
        fields["filename"] = upload.filename or "upload.jpg"
        fields["upload"] = await upload.read()
    return fields


def _image_bytes(fields: dict[str, Any]) -> bytes:
    upload = fields.get("upload")
    if upload is None:
        if fields.get("upload_url"):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "upload_url: not supported here"
                                " (the server fetches no URLs); send the image as `upload`")
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "upload: required (a file or base64)")
    if isinstance(upload, bytes):
        return upload
    try:
        return decode_base64(upload, "upload")
    except MappingError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error


def _options(fields: dict[str, Any]) -> tuple[list[str], bool, datetime | None, str | None]:
    regions = fields.get("regions") or []
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "regions: expected text codes (us-ca)")
    mmc = str(fields.get("mmc") or "").strip().lower() in {"true", "1", "yes"}
    config = fields.get("config")
    if config:
        try:
            parsed = json.loads(config) if isinstance(config, str) else config
        except json.JSONDecodeError as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"config: not JSON: {error}"
                                ) from error
        if not isinstance(parsed, dict):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "config: expected a JSON object")
    when = None
    if fields.get("timestamp"):
        try:
            when = Fields({"timestamp": fields["timestamp"]}).iso_time("timestamp")
        except MappingError as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    camera = fields.get("camera_id")
    if camera is not None and (not isinstance(camera, str) or len(camera) > 200):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "camera_id: text of at most 200")
    return [r.lower() for r in regions], mmc, when, camera or None


@router.post("/v1/plate-reader/", summary="Plate Recognizer Snapshot-compatible reader")
@router.post("/v1/plate-reader", include_in_schema=False)
async def plate_reader(request: Request, principal: TokenCaller) -> JSONResponse:
    """Read the plates in `upload` with alpr's own recognition; answered as Plate
    Recognizer's Snapshot API answers. With the `camera_id` of a registered (or linked)
    camera the reads are also stored, matched and alerted like any other."""
    started = time.perf_counter()
    fields = await _snapshot_fields(request)
    image_data = _image_bytes(fields)
    regions, mmc, when, camera_id = _options(fields)
    try:
        image = decode_image(image_data, "upload")
    except RecognitionError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    engine = await run_in_threadpool(recognizer, request)
    plates = await run_in_threadpool(engine.recognize, image)
    height, width = image.shape[:2]
    results = [pr.snapshot_result(p, regions=regions, width=width, height=height, mmc=mmc)
               for p in plates]
    stored = None
    if camera_id is not None:
        stored = await run_in_threadpool(_store_snapshot, request, principal, camera_id,
                                         plates, image_data, when or utcnow(), regions)
    else:
        await run_in_threadpool(_audit_recognition, principal, len(plates), None)
    body = pr.snapshot_response(results, camera_id=camera_id,
                                filename=str(fields.get("filename") or "upload.jpg"),
                                started=started, finished=time.perf_counter(),
                                when=when or utcnow())
    if stored is not None:
        body["alpr"] = stored  # what ingest answered; clients ignore unknown fields
    return JSONResponse(body)


def _audit_recognition(principal: Principal, plates: int, camera_id: str | None) -> None:
    with unit_of_work() as session:
        record(session, event=AuditEvent.INTEGRATION_RECOGNIZE, actor=principal.actor,
               organization=principal.organization,
               details={"plates": plates, "camera_id": camera_id})


def _store_snapshot(request: Request, principal: Principal, camera_id: str,
                    plates: list[PlateResult], image: bytes, when: datetime,
                    regions: list[str]) -> dict[str, Any]:
    """Ingest the reads of a registered camera's frame; the frame is the vehicle image."""
    state = request.app.state

    def items(session: Session) -> Sequence[IngestItem]:
        sender = session.get(Camera, principal.id) if principal.kind == "camera" else None
        resolve = CameraResolver(session, pr.SOURCE, sender, agency=principal.organization)
        built = []
        for index, plate in enumerate(plates):
            key = pr.snapshot_key(camera_id, image, index)
            try:
                read = ForeignRead(
                    source=pr.SOURCE, key=key, plate=clean_text(plate.plate).upper(),
                    confidence=plate.confidence, captured_at=when, camera_id=resolve(camera_id),
                    region=plate.region or (regions[0] if regions else None),
                    candidates=[text.upper() for text, _ in plate.candidates],
                    plate_box=[float(v) for v in plate.box.as_list()], vehicle_jpeg=image,
                    raw={"source": pr.SOURCE, "camera_id": camera_id, "regions": regions})
                built.append(read.item())
            except MappingError as error:
                built.append(unmappable(pr.SOURCE, key, str(error)))
        return built

    def audit(session: Session, report: IngestReport) -> None:
        record(session, event=AuditEvent.INTEGRATION_RECOGNIZE, actor=principal.actor,
               organization=principal.organization,
               details={"plates": len(plates), "camera_id": camera_id,
                        "accepted": report.accepted})

    report = ingest_reads(items, actor=principal.actor, policy=state.policy,
                          images=state.images, settings=state.settings, after=audit)
    return report.model_dump(mode="json", include={"accepted", "duplicates", "rejected",
                                                   "masked", "results", "alerts"})


async def _webhook(request: Request, principal: Principal) -> JSONResponse:
    kind = request.headers.get("content-type", "")
    upload: bytes | None = None
    if kind.startswith("application/json"):
        raw: Any = await request.body()
    else:  # multipart (json + upload) or form-urlencoded json=
        form = await _form(request)
        raw = form.get("json")
        part = form.get("upload")
        if isinstance(part, UploadFile):
            upload = await part.read()
        if not isinstance(raw, str):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                "json: a form field `json` holding the webhook body is required")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {error}") from error
    received = utcnow()
    try:  # the envelope (hook, data, results) must be right before any read is looked at
        pr.webhook_items(body, lambda _: "", upload, received)
    except MappingError as error:
        raise unprocessable(error) from error
    report = await run_ingest(request, principal, pr.SOURCE,
                              lambda resolve: pr.webhook_items(body, resolve, upload, received))
    return JSONResponse(report.model_dump(mode="json"))


@router.post(PREFIX + "/platerecognizer/{key}", summary="Plate Recognizer webhook (secret URL)")
async def platerecognizer_webhook_path(request: Request, principal: PathCamera) -> JSONResponse:
    """Snapshot cloud `image.done` or Stream `recognition` webhooks; `key` is a camera's key
    (Snapshot cloud webhooks carry no header)."""
    return await _webhook(request, principal)


@router.post(PREFIX + "/platerecognizer", summary="Plate Recognizer webhook (Token header)")
async def platerecognizer_webhook(request: Request, principal: TokenCaller) -> JSONResponse:
    """Stream webhooks with `webhook_header = Authorization: Token <camera key>`."""
    return await _webhook(request, principal)
