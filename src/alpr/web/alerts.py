"""Console pages: live alerts (patrol and operators) and the start-of-shift inspection.

The alerts page loads the latest alerts the way GET /api/v1/alerts does (audited the
same), then follows the SSE stream in the browser (static/alerts.js); verification and
responses are posted to the alerts API, the inspection to the cameras API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from alpr.api.deps import PolicyDep, Principal
from alpr.cameras.health import CHECKLIST
from alpr.cameras.models import CameraKind
from alpr.cameras.service import list_cameras
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists.alert_views import list_alerts
from alpr.hotlists.models import AlertResponse
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)
Receiver = Annotated[Principal, Depends(page(Permission.ALERTS_RECEIVE))]
Inspector = Annotated[Principal, Depends(page(Permission.CAMERAS_INSPECT))]
LOADED = 100  # alerts shown on opening the page; newer ones arrive over the stream

# Plain words for the checklist keys of cameras.health (unknown keys are spelled out).
CHECK_LABELS = {
    "camera_clean_and_aimed": "Camera lenses clean and aimed correctly",
    "hot_list_current": "Hot lists downloaded and current",
    "test_read_ok": "Test read of a known plate succeeded",
}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, principal: Receiver, policy: PolicyDep) -> HTMLResponse:
    since = utcnow()  # the browser's stream starts here: nothing falls between list and stream
    alerts = list_alerts(principal, limit=LOADED)
    with unit_of_work() as session:
        # Which of them already carry a documented response (so nobody records it twice).
        responded = set(session.scalars(select(AlertResponse.alert_id).where(
            AlertResponse.alert_id.in_([a.id for a in alerts])))) if alerts else set()
        # Names and headings of the cameras, so a card says where and which way (the
        # camera registry is configuration, not ALPR data about anyone).
        cameras = {c.id: {"name": c.name, "heading": c.heading}
                   for c in list_cameras(session, include_inactive=True)}
    loaded = [{**a.model_dump(mode="json"), "responded": a.id in responded} for a in alerts]
    return render(request, "alerts.html", principal, title="Live alerts", alerts=loaded,
                  cameras=cameras,
                  dispositions=list(policy.hotlists.disposition_codes),
                  since=since.isoformat())


@router.get("/alerts/inspection", response_class=HTMLResponse)
def inspection_page(request: Request, principal: Inspector) -> HTMLResponse:
    with unit_of_work() as session:
        units = [(c.id, c.name, c.vehicle) for c in list_cameras(session, include_inactive=False)
                 if c.kind == CameraKind.MOBILE.value]
    checklist = [(key, CHECK_LABELS.get(key, key.replace("_", " ").capitalize()))
                 for key in CHECKLIST]
    return render(request, "alerts_inspection.html", principal,
                  title="Start-of-shift inspection", units=units, checklist=checklist)
