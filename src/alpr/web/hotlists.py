"""Console pages: hot lists, their entries, imports, manual entries and the approval queue.

The pages read through the hot-list API's own view functions; every change (import, new
entry, decision, flag) is sent by the browser to that API, which keeps all the rules.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal
from alpr.hotlists import views as api
from alpr.hotlists.models import EntryStatus
from alpr.hotlists.profiles import CSV_FIELDS, Profile
from alpr.hotlists.service import MANUAL_SOURCES, URGENT_SOURCES
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)
Enterer = Annotated[Principal, Depends(page(Permission.HOTLIST_ENTER))]
PAGE_SIZE = 100


@router.get("/hotlists", response_class=HTMLResponse)
def hotlists_page(request: Request, principal: Enterer, policy: PolicyDep) -> HTMLResponse:
    lists = api.lists(principal)
    pending = api.entries(principal, entry_status=EntryStatus.PENDING)
    return render(
        request, "hotlists.html", principal, title="Hot lists", lists=lists, pending=pending,
        manual_lists=[h for h in lists if h.source in MANUAL_SOURCES],
        urgent_sources=sorted(URGENT_SOURCES), profiles=[p.value for p in Profile],
        csv_fields=CSV_FIELDS, sources=policy.hotlists.allowed_sources,
        bolo_reasons=policy.hotlists.bolo_reasons,
        needs_approval=policy.hotlists.manual_entries_require_approval)


@router.get("/hotlists/{name}", response_class=HTMLResponse)
def hotlist_page(
    request: Request, name: str, principal: Enterer,
    entry_status: str = "", plate: str = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    # The filter form sends an empty status for "any".
    wanted = EntryStatus(entry_status) if entry_status in set(EntryStatus) else None
    found = [h for h in api.lists(principal) if h.name == name]
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no hot list {name!r}")
    # One more than a page tells whether there is a next page without counting them all.
    rows = api.entries(principal, list_name=name, entry_status=wanted, plate=plate or None,
                       limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE)
    return render(
        request, "hotlist.html", principal, title=f"Hot list {name}", hotlist=found[0],
        entries=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE, page_number=page_number,
        entry_status=wanted.value if wanted else "", plate=plate,
        statuses=[s.value for s in EntryStatus])
