"""Console page: cameras with their health, trouble tickets and privacy masks (REQ C-series).

Read through the camera services and the API's own shapes; disabling a camera, closing a
ticket and changing a mask go through /api/v1/cameras from the browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import Principal
from alpr.cameras import health, service
from alpr.cameras.models import MaskKind
from alpr.cameras.schemas import CameraOut
from alpr.cameras.views_health import list_masks, list_tickets, mask_history
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class CameraRow:
    camera: CameraOut
    health: str  # ok, silent (nothing heard within its silence limit) or disabled
    open_tickets: int


@router.get("/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, principal: Annotated[Principal, Depends(
        page(Permission.CAMERAS_MANAGE))]) -> HTMLResponse:
    now = utcnow()
    tickets = list_tickets(principal, include_closed=True)
    open_count: dict[str, int] = {}
    for ticket in tickets:
        if ticket.status == "open":
            open_count[ticket.camera_id] = open_count.get(ticket.camera_id, 0) + 1
    with unit_of_work() as session:
        rows = [CameraRow(CameraOut.model_validate(c),
                          "disabled" if not c.active else
                          "silent" if health.is_silent(c, now) else "ok",
                          open_count.get(c.id, 0)) for c in service.list_cameras(session)]
    masks = list_masks(principal)
    return render(request, "cameras.html", principal, title="Cameras", cameras=rows,
                  tickets=tickets, masks=masks,
                  history={m.name: mask_history(m.name, principal) for m in masks},
                  mask_kinds=list(MaskKind), as_json=lambda v: json.dumps(v))
