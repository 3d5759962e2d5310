"""HTTP routes of the integrations: OpenALPR agent webhook, Plate Recognizer (Snapshot
emulation and webhook receiver). Each maps the foreign payload and calls the one ingest."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from alpr.api.deps import Principal
from alpr.cameras import health
from alpr.cameras.models import Camera
from alpr.db.session import unit_of_work
from alpr.integrations import openalpr
from alpr.integrations.auth import PathCamera
from alpr.integrations.links import CameraResolver
from alpr.integrations.mapping import MappingError, all_rejected, ingest_reads
from alpr.reads.schemas import IngestReport
from alpr.reads.service import IngestItem

router = APIRouter(tags=["integrations"])
PREFIX = "/api/v1/integrations"
MAX_BODY_BYTES = 20 * 1024 * 1024


async def json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body larger than 20 MB")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {error}") from error


def unprocessable(error: MappingError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


async def run_ingest(request: Request, principal: Principal, source: str,
                     build: Callable[[CameraResolver], Sequence[IngestItem]]) -> IngestReport:
    """Map and ingest in a worker thread; 422 (with every reason) when no read was kept."""
    app = request.app

    def run() -> IngestReport:
        def items(session: Session) -> Sequence[IngestItem]:
            sender = session.get(Camera, principal.id) if principal.kind == "camera" else None
            return build(CameraResolver(session, source, sender,
                                        agency=principal.organization))

        return ingest_reads(items, actor=principal.actor, policy=app.state.policy,
                            images=app.state.images, settings=app.state.settings)

    report = await run_in_threadpool(run)
    if all_rejected(report):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, {
            "message": "no read could be stored",
            "reasons": [r.reason for r in report.results]})
    return report


@router.post(PREFIX + "/openalpr/{key}", summary="OpenALPR / Rekor Scout agent webhook")
async def openalpr_webhook(request: Request, principal: PathCamera) -> JSONResponse:
    """Point the agent's `upload_address` (or a Rekor webhook) here; `key` is the camera's
    API key. Takes alpr_group, alpr_results, alpr_alert, heartbeat and the Test ping."""
    body = await json_body(request)
    if openalpr.is_test(body):
        return JSONResponse({"status": "ok", "camera_id": principal.id})
    try:
        kind = openalpr.data_type(body)
    except MappingError as error:
        raise unprocessable(error) from error
    if kind == "heartbeat":
        return JSONResponse(await run_in_threadpool(_openalpr_heartbeat, body, principal))
    if kind == "alpr_group" and body.get("is_preview") is True:
        # A preview is followed by the final group of the same vehicle: store that one.
        return JSONResponse({"status": "ignored", "reason": "is_preview: a preview group"})
    report = await run_ingest(request, principal, openalpr.SOURCE,
                              lambda resolve: openalpr.items(body, resolve))
    return JSONResponse(report.model_dump(mode="json"))


def _openalpr_heartbeat(body: Any, principal: Principal) -> dict[str, Any]:
    try:
        streams = openalpr.heartbeat(body)
    except MappingError as error:
        raise unprocessable(error) from error
    noted: list[str] = []
    problems: list[str] = []
    with unit_of_work() as session:
        sender = session.get(Camera, principal.id)
        resolve = CameraResolver(session, openalpr.SOURCE, sender)
        for stream in streams:
            try:
                camera = session.get(Camera, resolve(stream.external_id))
            except MappingError as error:
                problems.append(str(error))
                continue
            # A stream that is down is not a sign of life: its camera may go silent (C6).
            if camera is not None and stream.streaming and camera.id not in noted:
                health.heartbeat(session, camera=camera, metrics=stream.metrics)
                noted.append(camera.id)
    return {"status": "ok", "cameras": noted, "problems": problems}


import alpr.integrations.views_platerecognizer  # noqa: E402, F401  (its routes join router)
