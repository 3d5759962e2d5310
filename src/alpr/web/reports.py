"""Console pages: periodic and operator audits (run, review samples, approve, publish) and
the annual report (view, PDF, all files as a zip) — what the CLI did alone before (issue 21).

Every page goes through the audits API's own functions, so each look is recorded as the API
records it; approving and publishing stay with the ALPR Administrator (REQ L4, L5).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from alpr.api.deps import PolicyDep, Principal
from alpr.db.base import utcnow
from alpr.reports import annual_files
from alpr.reports.audits import SEARCH_QUESTIONS
from alpr.reports.views import annual_report, list_audits, show
from alpr.users.permissions import Permission
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Principal, Depends(page(Permission.AUDIT_VIEW))]
Year = Annotated[int, PathParam(ge=2000, le=2999)]

QUESTIONS = {
    "purpose_specific": "The purpose names a specific matter",
    "case_number_real": "The case number is a real case",
    "on_behalf_of_plausible": "The person searched for is plausible",
}
assert set(QUESTIONS) == set(SEARCH_QUESTIONS)


@router.get("/audits", response_class=HTMLResponse)
def audits_page(request: Request, principal: Auditor) -> HTMLResponse:
    return render(request, "audits.html", principal, title="Audits and reports",
                  audits=list_audits(principal), this_year=utcnow().year)


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
def audit_page(request: Request, principal: Auditor,
               audit_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    detail = show(audit_id, principal)
    return render(request, "audit_detail.html", principal, title=f"Audit {audit_id}",
                  audit=detail, questions=QUESTIONS)


@router.get("/reports/annual/{year}", response_class=HTMLResponse)
def annual_page(request: Request, principal: Auditor, year: Year,
                policy: PolicyDep) -> HTMLResponse:
    data = annual_report(year, principal)
    return render(request, "annual.html", principal, title=f"Annual report {year}",
                  year=year, tables=annual_files.tables(data))


@router.get("/reports/annual/{year}/download/{name}")
def annual_download(principal: Auditor, year: Year, name: str, policy: PolicyDep) -> Response:
    """annual-YEAR.pdf, or annual-YEAR.zip with the PDF, HTML, CSV tables and charts."""
    if name not in (f"annual-{year}.pdf", f"annual-{year}.zip"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "annual-YEAR.pdf or annual-YEAR.zip")
    data = annual_report(year, principal)
    with tempfile.TemporaryDirectory(prefix="alpr-annual-") as folder:
        out = Path(folder)
        annual_files.write_all(data, out, agency=policy.agency.name, generated_at=utcnow())
        if name.endswith(".pdf"):
            body, media = (out / name).read_bytes(), "application/pdf"
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.iterdir()):
                    archive.write(path, path.name)
            body, media = buffer.getvalue(), "application/zip"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
