"""Camera jobs (REQ C6): the health check (silent, low rate, stale hot list; history
pruned) and the delivery of trouble-ticket notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.cameras import notify
from alpr.cameras.flags import check_health
from alpr.jobs.registry import Job, JobContext, register


def heartbeat_check(session: Session, context: JobContext) -> str:
    opened = check_health(session, now=context.now, policy=context.policy,
                          settings=context.settings)
    found = ", ".join(f"{ticket.camera_id} ({ticket.kind})" for ticket in opened)
    return f"{len(opened)} camera ticket(s) opened" + (f": {found}" if found else "")


def ticket_notify(session: Session, context: JobContext) -> str:
    return notify.deliver_due(session, now=context.now, settings=context.settings)


register(Job("cameras-heartbeat-check",
             "Ticket cameras gone silent, reading far below their rate, or with stale lists",
             lambda _policy: timedelta(minutes=5), heartbeat_check))
register(Job("cameras-ticket-notify", "Send trouble-ticket notices (webhook, e-mail)",
             lambda _policy: timedelta(minutes=1), ticket_notify))
