"""Console page: the audit log (filters, paging, CSV), its chain check and the audits run.

Entries are read through the audit API's own function, so viewing the log is itself
recorded (REQ L1); the hash chain is verified by the page's script through the API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from alpr.api.deps import Principal
from alpr.audit.events import AuditEvent
from alpr.audit.views import Filters, list_entries
from alpr.reports.views import list_audits
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _utc(text: str | None) -> datetime | None:
    """A datetime-local field (no zone: read as UTC, as the page says)."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: Annotated[Principal, Depends(
        page(Permission.AUDIT_VIEW))], actor: str | None = None, event: str | None = None,
               plate: str | None = None, since: str | None = None, until: str | None = None,
               page_number: Annotated[int, Query(alias="page")] = 1) -> HTMLResponse:
    form = {"actor": actor or "", "event": event or "", "plate": plate or "",
            "since": since or "", "until": until or ""}
    shown: dict[str, Any] = {
        "form": form, "events": list(AuditEvent), "audits": list_audits(principal),
        "page_query": urlencode({k: v for k, v in form.items() if v})}
    try:
        filters = Filters(actor=actor or None, event=event or None, plate=plate or None,
                          since=_utc(since), until=_utc(until))
    except (ValueError, ValidationError) as error:
        return render(request, "audit.html", principal, title="Audit log", status_code=422,
                      entries=[], problem=str(error), page=1, has_more=False, query="",
                      **shown)
    number = max(page_number, 1)
    rows = list_entries(principal, filters, limit=PAGE_SIZE + 1,
                        offset=(number - 1) * PAGE_SIZE)
    return render(request, "audit.html", principal, title="Audit log",
                  entries=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, page=number,
                  query=urlencode(filters.model_dump(mode="json", exclude_none=True)),
                  problem=None, **shown)
