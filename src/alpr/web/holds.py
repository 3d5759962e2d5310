"""Console page: holds (request, approve, re-verify, release) and exported data (REQ R3–R7)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal
from alpr.retention.models import HoldReason
from alpr.retention.views import list_downloads, list_holds
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)


@router.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request, principal: Annotated[Principal, Depends(
        page(Permission.RETENTION_MANAGE))], policy: PolicyDep) -> HTMLResponse:
    downloads = list_downloads()
    return render(request, "holds.html", principal, title="Holds & exports",
                  holds=list_holds(policy), downloads=downloads, reasons=list(HoldReason),
                  overdue=sum(d.overdue for d in downloads),
                  purposes=policy.search.permitted_purposes,
                  reverify=policy.retention.hold_reverify_every,
                  destroy_after=policy.retention.downloaded_data_destroy_after)
