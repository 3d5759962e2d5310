"""Console page: agencies and agreements, share requests and decisions, the sharing report.

The page only shows and asks: the API's rules (SB 34's California-public-agency limit,
agreements, attestations) decide, and a refusal comes back with the rule that fired.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.sharing import agencies
from alpr.sharing.models import AgencyKind, LegalProcess
from alpr.sharing.schemas import AgreementOut
from alpr.sharing.views import list_agencies, list_requests, report
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)


def _day(text: str | None) -> datetime | None:
    """A report bound from the page's date field (midnight UTC); bad input is ignored."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None
    except ValueError:
        return None


@router.get("/sharing", response_class=HTMLResponse)
def sharing_page(request: Request, principal: Annotated[Principal, Depends(
        page(Permission.SHARING_MANAGE))], policy: PolicyDep, since: str | None = None,
                 until: str | None = None) -> HTMLResponse:
    known = list_agencies(principal)
    with unit_of_work() as session:
        agreements = [AgreementOut.model_validate(a) for a in agencies.agreements(session)]
    return render(request, "sharing.html", principal, title="Sharing",
                  agencies=known, names={a.id: a.name for a in known},
                  agreements=agreements, requests=list_requests(principal, None),
                  report=report(principal, _day(since), _day(until)), since=since or "",
                  until=until or "", now=utcnow(), kinds=list(AgencyKind),
                  processes=list(LegalProcess), purposes=policy.search.permitted_purposes)
