"""Health flags beyond silence (REQ C6): reading far below its usual rate, a stale hot list.

Each is judged from the camera's own heartbeat history and has its own ticket kind: the
check opens exactly one ticket of that kind while the problem lasts and closes it when the
camera recovers. Where the history is too thin to judge, nothing changes.

* **low_rate**: the mean reads/h of the last hour's heartbeats is below `low_rate_fraction`
  of the camera's trailing mean over the week before (a trailing mean below
  `low_rate_min_baseline`, or fewer than MIN_SAMPLES heartbeats, is too thin to judge).
* **stale_hotlist**: for longer than the policy's `hotlists.import_at_least_every`, every
  heartbeat reported a hot-list version that was not the current revision when it arrived
  (the unit never caught up within the interval lists must be renewed in).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.cameras import gps
from alpr.cameras.health import (
    CHECK_ACTOR,
    check_silent,
    close_ticket,
    open_ticket,
    open_tickets,
    prune_heartbeats,
)
from alpr.cameras.models import Camera, Heartbeat, TroubleTicket
from alpr.config import Settings
from alpr.policy import Policy

LOW_RATE = "low_rate"
STALE_HOTLIST = "stale_hotlist"
RECENT = timedelta(hours=1)
TRAILING = timedelta(days=7)
MIN_SAMPLES = 6


def _mean_rate(session: Session, camera_id: str, start: datetime, end: datetime
               ) -> tuple[float | None, int]:
    mean, count = session.execute(
        select(func.avg(Heartbeat.reads_per_hour), func.count(Heartbeat.reads_per_hour))
        .where(Heartbeat.camera_id == camera_id, Heartbeat.received_at > start,
               Heartbeat.received_at <= end)).one()
    return (float(mean) if mean is not None else None), int(count)


def low_rate(session: Session, camera: Camera, now: datetime, settings: Settings) -> str | None:
    """What is wrong with the camera's read rate, '' when it is fine, None: cannot judge."""
    recent, _ = _mean_rate(session, camera.id, now - RECENT, now)
    baseline, samples = _mean_rate(session, camera.id, now - RECENT - TRAILING, now - RECENT)
    if (recent is None or baseline is None or samples < MIN_SAMPLES
            or baseline < settings.low_rate_min_baseline):
        return None
    if recent >= settings.low_rate_fraction * baseline:
        return ""
    return (f"reading {recent:.0f} reads/h, far below its usual {baseline:.0f} reads/h"
            f" (threshold {settings.low_rate_fraction:.0%})")


def stale_hotlist(session: Session, camera: Camera, now: datetime, policy: Policy
                  ) -> str | None:
    """What is wrong with the unit's hot list, '' when current, None: cannot judge."""
    since = policy.hotlists.import_at_least_every.before(now)
    reported = (Heartbeat.camera_id == camera.id, Heartbeat.hotlist_version.is_not(None))
    latest = session.scalar(select(Heartbeat).where(*reported)
                            .order_by(Heartbeat.received_at.desc()).limit(1))
    if latest is None:
        return None
    if latest.hotlist_current:
        return ""
    first = session.scalar(select(func.min(Heartbeat.received_at)).where(*reported))
    current_lately = session.scalar(select(func.count()).where(
        *reported, Heartbeat.hotlist_current.is_(True), Heartbeat.received_at >= since))
    if first is None or first > since:
        return None  # not watched for a whole interval yet
    if current_lately:
        return ""
    return (f"hot list {latest.hotlist_version} not current for longer than"
            f" {policy.hotlists.import_at_least_every}")


def _settle(session: Session, camera: Camera, kind: str, problem: str | None, now: datetime,
            actor: str) -> TroubleTicket | None:
    """Open the one ticket of `kind` for a problem; close it when the problem is gone."""
    if problem is None:
        return None
    tickets = open_tickets(session, camera.id, kind)
    ticket = tickets[0] if tickets else None
    if problem and ticket is None:  # opening is audited (camera:ticket:open, with the kind)
        return open_ticket(session, camera=camera, kind=kind, description=problem,
                           actor=actor, now=now)
    if not problem and ticket is not None:
        close_ticket(session, ticket_id=ticket.id, actor=actor, now=now,
                     resolution=f"recovered: {kind.replace('_', ' ')} cleared at {now.isoformat()}")
    return None


def check_health(session: Session, *, now: datetime, policy: Policy, settings: Settings,
                 actor: str = CHECK_ACTOR) -> list[TroubleTicket]:
    """Every health check, then the bounded history is pruned. Returns the tickets opened."""
    opened = check_silent(session, now=now, actor=actor)
    for camera in session.scalars(select(Camera).where(Camera.active.is_(True))
                                  .order_by(Camera.id)).all():
        for kind, problem in ((LOW_RATE, low_rate(session, camera, now, settings)),
                              (STALE_HOTLIST, stale_hotlist(session, camera, now, policy))):
            ticket = _settle(session, camera, kind, problem, now, actor)
            if ticket is not None:
                opened.append(ticket)
    prune_heartbeats(session, now - timedelta(days=settings.heartbeat_history_days))
    gps.prune(session, policy.retention.delete_after.before(now))
    return opened
