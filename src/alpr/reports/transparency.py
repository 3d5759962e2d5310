"""`GET /transparency`: the public page (REQ P2, L5) — no login, aggregates only, in plain
words: how the agency uses license plate readers, what each number counts and over which
period, the written policy itself (downloadable), the agencies shared with, published
audits, the latest annual report, and the signed heads of the audit log with how to check
them.

The 30-day figures come from the daily publication, so an anonymous visitor never makes
the server scan the reads. Nothing on the page names a plate, a read or a person, so
viewing it is not an access to ALPR information and is not audited (an anonymous page view
per entry would also let anyone flood the audit log).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.api.deps import PolicyDep, public
from alpr.api.paging import EVERYTHING, PageDep
from alpr.audit import heads as audit_heads
from alpr.cameras.models import Camera
from alpr.db.session import unit_of_work
from alpr.policy import Policy, policy_text
from alpr.reports import annual, publication
from alpr.reports.audits import all_audits
from alpr.sharing.models import Agency, Share

router = APIRouter(tags=["transparency"])

# The policy's vocabulary, as a resident reads it.
RECIPIENTS = {"ca_public_agency": "California public agencies",
              "ca_law_enforcement": "California law enforcement agencies",
              "ca_prosecutor": "California prosecutors (district attorneys)"}
AUDIT_KINDS = {"periodic": "Search audit (a random sample of searches reviewed)",
               "operator": "Operator audit (read accuracy, retention, agencies accessed)"}


def _environment() -> Environment:
    return Environment(loader=PackageLoader("alpr.reports", "templates"),
                       autoescape=select_autoescape(["html"]))


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _policy(policy: Policy) -> dict[str, Any]:
    r, s, sharing = policy.retention, policy.search, policy.sharing
    labels = {p.code: p.label for p in s.permitted_purposes}
    return {
        "retention": [
            ("Plate reads are deleted after", str(r.delete_after),
             "unless a supervisor approved a hold for a case, an investigation or a missing"
             " person"),
            ("Reads that matched a hot list are deleted after",
             str(r.hit_reads_delete_after or r.delete_after), ""),
            ("Records of every access to the data are kept for", str(r.audit_records_keep),
             "who searched, when, for which case and purpose"),
            ("Audit results are kept for", str(r.audit_results_keep or "as long as the agency"
                                               " exists"), "")],
        "purposes": [(p.label, ", ".join(p.requires)) for p in s.permitted_purposes],
        "standard": s.standard,
        "prohibited": list(s.prohibited_uses),
        "sensitive": sorted({loc.kind for loc in s.sensitive_locations}),
        "sensitive_count": len(s.sensitive_locations),
        "recipients": [RECIPIENTS.get(k, k.replace("_", " ")) for k in
                       sharing.allowed_recipient_kinds],
        "sharing": [
            ("A written request is required", _yes_no(sharing.require_written_request)),
            ("Standing access needs a signed agreement with an end date",
             _yes_no(sharing.require_agreement_for_standing_access)),
            ("Every share needs a signed agreement",
             _yes_no(sharing.require_agreement_for_any_sharing)),
            ("Data may be used for immigration enforcement",
             _yes_no(sharing.allow_immigration_enforcement))],
        "labels": labels,
    }


def _recent(session: Session, labels: dict[str, str]) -> dict[str, Any] | None:
    published = publication.history(session)
    if not published:
        return None
    latest = published[0]
    f = latest.figures
    by_purpose = [(labels.get(code, code.replace("_", " ")), n) for code, n in
                  sorted(f.get("searches_by_purpose_category", {}).items())]
    return {"until": latest.day, "reads": f.get("reads", 0), "hits": f.get("hits", 0),
            "searches": f.get("searches", 0), "by_purpose": by_purpose}


def _audits(session: Session) -> list[dict[str, Any]]:
    shown = []
    for audit in all_audits(session, published_only=True):
        if audit.approved_at is None:
            continue
        summary = audit.summary
        shown.append({
            "id": audit.id, "kind": AUDIT_KINDS.get(audit.kind, audit.kind),
            "start": audit.period_start, "end": audit.period_end, "population": audit.population,
            "sample": audit.sample_size, "passed": summary.get("passed", 0),
            "reviewed": summary.get("reviewed", 0),
            "accuracy": summary.get("read_accuracy"),
            "findings": sum(summary.get("findings", {}).values()),
            "approved": audit.approved_at})
    return shown


def _annual(session: Session, labels: dict[str, str]) -> dict[str, Any] | None:
    report = annual.latest(session)
    if report is None:
        return None
    d = report.data
    return {"year": d["year"], "figures": [
        ("Searches of stored reads", d["searches"]["total"]),
        ("Times data was shared with another agency", d["sharing"]["shares"]),
        ("Hot-list entries", d["hotlist_entries"]["total"]),
        ("Alerts (a read matched a hot list)", d["alerts"]["total"]),
        ("Data breaches", d["breaches"])],
        "by_purpose": [(labels.get(c, c.replace("_", " ")), n)
                       for c, n in sorted(d["searches"]["by_purpose_category"].items())]}


def _shared(session: Session) -> list[tuple[str, int, Any]]:
    rows = session.execute(select(Agency.name, func.count(), func.max(Share.shared_at))
                           .join(Share, Share.agency_id == Agency.id)
                           .group_by(Agency.name).order_by(Agency.name)).all()
    return [(name, count, last) for name, count, last in rows]


def page_data(session: Session, policy: Policy) -> dict[str, Any]:
    rules = _policy(policy)
    signed = audit_heads.published(session)
    return {
        "agency": policy.agency.name, "source": policy.agency.source, "policy": rules,
        "cameras": session.scalar(select(func.count()).select_from(Camera)
                                  .where(Camera.active.is_(True))) or 0,
        "recent": _recent(session, rules["labels"]), "shared": _shared(session),
        "audits": _audits(session), "annual": _annual(session, rules["labels"]),
        "tree_head": audit_heads.head_document(signed[-1]) if signed else None,
        "daily_heads": publication.history(session)[:14],
    }


def render(session: Session, policy: Policy) -> str:
    return _environment().get_template("transparency.html").render(**page_data(session, policy))


@router.get("/transparency", response_class=HTMLResponse, dependencies=[Depends(public)])
def transparency(policy: PolicyDep) -> HTMLResponse:
    with unit_of_work() as session:
        return HTMLResponse(render(session, policy))


@router.get("/transparency/policy", dependencies=[Depends(public)], response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def written_policy(request: Request) -> Response:
    """The agency's written ALPR policy file, exactly as the system enforces it."""
    name, text = policy_text(request.app.state.settings.policy)
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/transparency/chain-heads.json", dependencies=[Depends(public)])
def chain_heads(page: PageDep = EVERYTHING) -> list[dict[str, Any]]:
    """The published heads, newest first, for anyone keeping their own copy."""
    with unit_of_work() as session:
        return [{"day": h.day.isoformat(), "last_id": h.last_id, "hash": h.hash}
                for h in page.of(publication.history(session))]
