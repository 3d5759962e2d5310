"""`GET /transparency`: the public page (REQ P2, L5) — no login, aggregates only.

It shows the agency's policy (retention, permitted purposes, sensitive-location rule,
sharing rules), the camera count, the last 30 days' reads, hits and searches by purpose
(from the daily publication, so an anonymous visitor never makes the server scan the
reads), the agencies shared with, the audits an administrator published, the latest annual
report, and the audit-chain heads published daily. Nothing on it names a plate, a read or
a person, so viewing it is not an access to ALPR information and is not audited (an
anonymous page view per entry would also let anyone flood the audit log).
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.api.deps import PolicyDep, public
from alpr.api.paging import EVERYTHING, PageDep
from alpr.cameras.models import Camera
from alpr.db.session import unit_of_work
from alpr.policy import Policy
from alpr.reports import annual, publication
from alpr.reports.audits import all_audits
from alpr.reports.models import PublishedChainHead
from alpr.sharing.models import Agency, Share

router = APIRouter(tags=["transparency"])


def _rows(pairs: list[tuple[str, Any]]) -> str:
    return "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in pairs)


def _list(items: Any) -> str:
    return "<ul>" + "".join(f"<li>{escape(str(i))}</li>" for i in items) + "</ul>"


def _policy(policy: Policy) -> str:
    r, s, sharing = policy.retention, policy.search, policy.sharing
    retention = [("Reads deleted after", r.delete_after),
                 ("Hidden from data users after", r.logical_delete_after or "—"),
                 ("Reads that matched a hot list kept", r.hit_reads_delete_after
                  or r.delete_after),
                 ("Access records kept", r.audit_records_keep),
                 ("Audit results kept", r.audit_results_keep or "indefinitely")]
    purposes = [f"{p.label}" + (f" (requires {', '.join(p.requires)})" if p.requires else "")
                for p in s.permitted_purposes]
    rules = [("Recipients allowed", ", ".join(sharing.allowed_recipient_kinds)),
             ("Agreement required for standing access",
              sharing.require_agreement_for_standing_access),
             ("Agreement required for any sharing", sharing.require_agreement_for_any_sharing),
             ("Written request required", sharing.require_written_request),
             ("Immigration enforcement allowed", sharing.allow_immigration_enforcement)]
    return (f"<h2>Policy</h2><p>{escape(policy.agency.name)} — {escape(policy.agency.source)}"
            f"</p><h3>Retention</h3><table>{_rows(retention)}</table>"
            f"<h3>Permitted purposes</h3>{_list(purposes)}"
            f"<p>Standard: {escape(s.standard)}</p>{_sensitive(policy)}"
            f"<h3>Prohibited uses</h3>{_list(s.prohibited_uses)}"
            f"<h3>Sharing</h3><table>{_rows(rules)}</table>")


def _audits(session: Session) -> str:
    rows = []
    for audit in all_audits(session, published_only=True):
        summary = audit.summary
        found = ", ".join(f"{k}: {v}" for k, v in summary.get("findings", {}).items()) or "none"
        extra = (f"; read accuracy {summary['read_accuracy']:.1%}"
                 if "read_accuracy" in summary else "")
        rows.append(f"<tr><td>{audit.id}</td><td>{escape(audit.kind)}</td>"
                    f"<td>{audit.period_start:%Y-%m-%d} – {audit.period_end:%Y-%m-%d}</td>"
                    f"<td>{audit.population}</td><td>{audit.sample_size}</td>"
                    f"<td>{summary.get('passed', 0)} of {summary.get('reviewed', 0)}{extra}</td>"
                    f"<td>{escape(found)}</td>"
                    f"<td>{audit.approved_at:%Y-%m-%d}</td></tr>" if audit.approved_at else "")
    if not rows:
        return "<h2>Published audits</h2><p>None published yet.</p>"
    return ("<h2>Published audits</h2><table><tr><th>Audit</th><th>Kind</th><th>Period</th>"
            "<th>Population</th><th>Sample</th><th>Passed review</th><th>Findings</th>"
            "<th>Approved</th></tr>" + "".join(rows) + "</table>")


def _counts(title: str, counts: dict[str, Any]) -> str:
    return f"<h3>{escape(title)}</h3><table>{_rows(list(counts.items()))}</table>"


def _annual(session: Session) -> str:
    report = annual.latest(session)
    if report is None:
        return "<h2>Annual report</h2><p>No annual report yet.</p>"
    d = report.data
    headline = [("Cameras", d["cameras"]), ("Searches", d["searches"]["total"]),
                ("Shares", d["sharing"]["shares"]),
                ("Hot-list entries", d["hotlist_entries"]["total"]),
                ("Alerts", d["alerts"]["total"]), ("Breaches", d["breaches"])]
    return (f"<h2>Annual report {d['year']}</h2><table>{_rows(headline)}</table>"
            + _counts("Searches by purpose", d["searches"]["by_purpose_category"])
            + _counts("Agencies shared with", d["sharing"]["shares_by_agency"])
            + _counts("Alerts by match", d["alerts"]["by_match"])
            + _counts("Audits performed", d["audits"]["performed"])
            + _counts("Trainings", d["trainings"]))


def _sensitive(policy: Policy) -> str:
    kinds = sorted({loc.kind for loc in policy.search.sensitive_locations})
    if not kinds:
        return ""
    # Kinds and count only: the list itself could guide someone to the places.
    return (f"<h3>Sensitive locations</h3><p>{len(policy.search.sensitive_locations)}"
            f" places ({escape(', '.join(kinds))}): a search whose area or results touch one"
            " is refused unless it names a court order, and every such search is audited.</p>")


def _activity(session: Session, published: PublishedChainHead | None) -> str:
    cameras = session.scalar(select(func.count()).select_from(Camera)
                             .where(Camera.active.is_(True))) or 0
    html = f"<h2>Activity</h2><table>{_rows([('Cameras in service', cameras)])}</table>"
    if published is None:
        return html + "<p>The 30-day figures are published daily; none yet.</p>"
    f = published.figures
    recent = [("Reads", f.get("reads", 0)), ("Hits (hot-list alerts)", f.get("hits", 0)),
              ("Searches", f.get("searches", 0))]
    return (html + f"<h3>Last 30 days (to {published.day:%Y-%m-%d})</h3>"
            f"<table>{_rows(recent)}</table>"
            + _counts("Searches by purpose category (last 30 days)",
                      f.get("searches_by_purpose_category", {})))


def _shared(session: Session) -> str:
    rows = session.execute(select(Agency.name, func.count(), func.max(Share.shared_at))
                           .join(Share, Share.agency_id == Agency.id)
                           .group_by(Agency.name).order_by(Agency.name)).all()
    if not rows:
        return "<h2>Agencies shared with</h2><p>None.</p>"
    body = "".join(f"<tr><td>{escape(name)}</td><td>{n}</td><td>{last:%Y-%m-%d}</td></tr>"
                   for name, n, last in rows)
    return ("<h2>Agencies shared with</h2><table><tr><th>Agency</th><th>Shares</th>"
            f"<th>Latest</th></tr>{body}</table>")


def _chain(heads: list[PublishedChainHead]) -> str:
    intro = ("<h2>Audit log fingerprint</h2><p>Every access is written to a hash-chained log."
             " Each day we publish its last entry and hash; keep a copy: if the log were"
             " later rewritten, that entry's hash would no longer match"
             " (<a href=\"/transparency/chain-heads.json\">JSON</a>).</p>")
    if not heads:
        return intro + "<p>Nothing published yet.</p>"
    top = heads[0]
    rows = "".join(f"<tr><td>{h.day:%Y-%m-%d}</td><td>{h.last_id}</td>"
                   f"<td><code>{h.hash}</code></td></tr>" for h in heads)
    return (intro + f"<p id=\"chain-head\">Latest ({top.day:%Y-%m-%d}): entry {top.last_id},"
            f" hash <code>{top.hash}</code></p><table><tr><th>Day</th><th>Last entry</th>"
            f"<th>Hash</th></tr>{rows}</table>")


def render(session: Session, policy: Policy) -> str:
    title = f"ALPR transparency — {escape(policy.agency.name)}"
    heads = publication.history(session)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}"
            f"</title></head><body><h1>{title}</h1>{_policy(policy)}"
            f"{_activity(session, heads[0] if heads else None)}{_shared(session)}"
            f"{_audits(session)}{_annual(session)}{_chain(heads)}</body></html>")


@router.get("/transparency", response_class=HTMLResponse, dependencies=[Depends(public)])
def transparency(policy: PolicyDep) -> HTMLResponse:
    with unit_of_work() as session:
        return HTMLResponse(render(session, policy))


@router.get("/transparency/chain-heads.json", dependencies=[Depends(public)])
def chain_heads(page: PageDep = EVERYTHING) -> list[dict[str, Any]]:
    """The published heads, newest first, for anyone keeping their own copy."""
    with unit_of_work() as session:
        return [{"day": h.day.isoformat(), "last_id": h.last_id, "hash": h.hash}
                for h in page.of(publication.history(session))]
