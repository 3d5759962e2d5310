"""Console page: search stored reads for a stated purpose (REQ Q1–Q8).

The page only renders the form and the policy's hints; the search itself, every read view
and every image are the API's (POST /api/v1/searches, /api/v1/reads/{id}/view and
/images/{kind}), so each is validated and audited there (static/search.js).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal
from alpr.cameras.service import list_cameras
from alpr.db.session import unit_of_work
from alpr.policy.model import PermittedPurpose, SensitiveLocation
from alpr.retention.models import HoldReason
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)

_REFERENCES = {"case_number": "case number", "code_section": "code section",
               "last_name": "suspect's last name", "court_order": "court order"}


def needs(purpose: PermittedPurpose) -> str:
    """What a category asks for, in words, the way purpose.validate_purpose checks it."""
    parts = [" and ".join(_REFERENCES[kind] for kind in purpose.requires)]
    one_of = purpose.requires_one_of or (
        () if purpose.requires else ("case_number", "code_section", "last_name"))
    parts.append(" or ".join(_REFERENCES[kind] for kind in one_of))
    said = [part for part in parts if part]
    return "Needs: " + "; plus ".join(said) + "." if said else "No reference required."


def _sensitive(location: SensitiveLocation) -> dict[str, Any]:
    return {"name": location.name, "kind": location.kind, "lat": location.lat,
            "lon": location.lon, "radius_m": location.radius_m,
            "polygon": [list(point) for point in location.polygon or ()]}


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request,
                principal: Annotated[Principal, Depends(page(Permission.READS_SEARCH))],
                policy: PolicyDep) -> HTMLResponse:
    rules = policy.search
    with unit_of_work() as session:
        # Disabled cameras too: their reads are still stored and searchable.
        cameras = [{"id": c.id, "name": c.name, "lat": c.lat, "lon": c.lon,
                    "active": c.active} for c in list_cameras(session)]
    return render(request, "search.html", principal, title="Search reads",
                  purposes=[(p.code, p.label, needs(p)) for p in rules.permitted_purposes],
                  standard=rules.standard,
                  case_number_pattern=", ".join(f.example for f in rules.case_number_formats)
                  or rules.case_number_pattern,
                  prohibited_uses=rules.prohibited_uses, cameras=cameras,
                  sensitive=[_sensitive(s) for s in rules.sensitive_locations],
                  hold_reasons=[(r.value, r.value.replace("_", " ").capitalize())
                                for r in HoldReason])
