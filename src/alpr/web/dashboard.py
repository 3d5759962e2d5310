"""The start page's panels, one per duty the signed-in user holds (issue 21): what came in,
what is broken, what waits for them.

Counts are aggregates. The only panel that names plates (recent alerts) loads them the way
the alerts page does, so it is audited as an alert listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.api.deps import Principal
from alpr.cameras.health import is_silent
from alpr.cameras.models import Camera, TicketStatus, TroubleTicket
from alpr.hotlists.models import Alert, HotListEntry
from alpr.hotlists.schemas import AlertOut
from alpr.reports.models import Audit, AuditStatus
from alpr.retention.models import Hold, HoldStatus
from alpr.sharing.models import RequestStatus, ShareRequest
from alpr.users.models import AccountStatus, User
from alpr.users.permissions import Permission

RECENT_ALERTS = 5


@dataclass
class Panel:
    title: str
    href: str
    link: str
    figures: list[tuple[str, int]] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)


def _count(session: Session, query: object) -> int:
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def _alerts(session: Session, recent: list[AlertOut], midnight: datetime,
            cameras: dict[str, str]) -> Panel:
    today = _count(session, select(func.count()).select_from(Alert)
                   .where(Alert.created_at >= midnight))
    open_ = _count(session, select(func.count()).select_from(Alert)
                   .where(Alert.status == "unverified"))
    return Panel("Alerts", "/alerts", "Open live alerts",
                 [("Hits today", today), ("Not yet verified", open_)],
                 [{"plate": a.plate_read, "list": a.list_name, "status": a.status,
                   "camera": cameras.get(a.camera_id, a.camera_id),
                   "at": a.created_at.isoformat()} for a in recent])


def _cameras(session: Session, now: datetime) -> Panel:
    cameras = list(session.scalars(select(Camera).where(Camera.active.is_(True))))
    tickets = list(session.scalars(select(TroubleTicket)
                                   .where(TroubleTicket.status == TicketStatus.OPEN.value)
                                   .order_by(TroubleTicket.opened_at.desc()).limit(5)))
    return Panel("Camera health", "/cameras", "Cameras and tickets",
                 [("Cameras in service", len(cameras)),
                  ("Silent now", sum(is_silent(c, now) for c in cameras)),
                  ("Open trouble tickets", _count(session, select(func.count()).select_from(
                      TroubleTicket).where(TroubleTicket.status == TicketStatus.OPEN.value)))],
                 [{"camera": t.camera_id, "reason": t.description,
                   "at": t.opened_at.isoformat()} for t in tickets])


def _waiting(session: Session, permissions: frozenset[Permission]) -> Panel:
    """What waits for this user's approval or decision."""
    figures: list[tuple[str, int]] = []
    if Permission.USERS_MANAGE in permissions:
        figures.append(("Accounts to approve", _count(session, select(func.count()).select_from(
            User).where(User.status == AccountStatus.PENDING.value))))
    if Permission.HOTLIST_APPROVE in permissions:
        figures.append(("Hot-list entries to approve", _count(session, select(func.count())
                        .select_from(HotListEntry).where(HotListEntry.status == "pending"))))
    if Permission.RETENTION_MANAGE in permissions:
        figures.append(("Holds to approve", _count(session, select(func.count()).select_from(
            Hold).where(Hold.status == HoldStatus.PENDING.value))))
    if Permission.SHARING_MANAGE in permissions:
        figures.append(("Share requests to decide", _count(session, select(func.count())
                        .select_from(ShareRequest)
                        .where(ShareRequest.status == RequestStatus.PENDING.value))))
    if Permission.AUDITS_APPROVE in permissions:
        figures.append(("Audits to review and approve", _count(session, select(func.count())
                        .select_from(Audit).where(Audit.status == AuditStatus.OPEN.value))))
    return Panel("Waiting for you", "/", "", figures)


def panels(session: Session, principal: Principal, now: datetime,
           recent_alerts: list[AlertOut]) -> list[Panel]:
    """The panels for this user; `recent_alerts` were loaded (and audited) by the caller."""
    permissions = frozenset(principal.permissions)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    shown: list[Panel] = []
    cameras = {c.id: c.name for c in session.scalars(select(Camera))}
    if Permission.ALERTS_RECEIVE in permissions:
        shown.append(_alerts(session, recent_alerts, midnight, cameras))
    if permissions & {Permission.CAMERAS_MANAGE, Permission.CAMERAS_INSPECT}:
        shown.append(_cameras(session, now))
    waiting = _waiting(session, permissions)
    if waiting.figures:
        shown.append(waiting)
    if Permission.AUDIT_VIEW in permissions and Permission.ALERTS_RECEIVE not in permissions:
        shown.append(Panel("Activity", "/audit", "Open the audit log", [
            ("Hits today", _count(session, select(func.count()).select_from(Alert)
                                  .where(Alert.created_at >= midnight))),
            ("Hits, last 7 days", _count(session, select(func.count()).select_from(Alert)
                                         .where(Alert.created_at >= now - timedelta(days=7))))]))
    return shown
