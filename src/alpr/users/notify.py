"""Reports to Professional Standards that reach someone (REQ U9; issue 16.4).

A login attempt by a suspended, deactivated or deleted account is queued in the login's own
transaction, one row per recipient configured (ALPR_PROFESSIONAL_STANDARDS_EMAIL,
ALPR_PROFESSIONAL_STANDARDS_WEBHOOK_URL + _SECRET). The `users-notify` job delivers them
through the system's one notifier (cameras/notify.py: SMTP and signed webhooks), retries
with backoff and gives up, audited, after MAX_ATTEMPTS. A report queued while no recipient
was configured ("unrouted") goes to the recipients configured when the job runs, and is
audited as a failure until there is one.
"""

from __future__ import annotations

import json
import smtplib
from datetime import datetime

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.notify import post_signed, send_email
from alpr.config import Settings, get_settings
from alpr.hotlists.webhooks import TIMEOUT_SECONDS, backoff
from alpr.users.models import Notification, User

MAX_ATTEMPTS = 30
ACTOR = "system:users-notify"
EVENT = "account-login-denied"


def _targets(settings: Settings) -> list[tuple[str, str]]:
    found = [("email", address) for address in settings.professional_standards_email]
    if settings.professional_standards_webhook_url:
        found.append(("webhook", settings.professional_standards_webhook_url))
    return found


def report_denied_login(session: Session, user: User, *, password_ok: bool,
                        source: str | None, now: datetime, report_to: str,
                        settings: Settings | None = None) -> int:
    """Queue the report of a login attempt by an account that may not log in; how many."""
    settings = settings or get_settings()
    subject = f"ALPR login attempt by {user.status} account {user.username}"
    body = json.dumps({
        "event": EVENT, "at": now.isoformat(), "username": user.username,
        "full_name": user.full_name, "status": user.status, "reason": user.status_reason,
        "password_correct": password_ok, "source": source or "unknown",
    }, sort_keys=True)
    targets: list[tuple[str, str | None]] = [*_targets(settings)] or [("unrouted", None)]
    for channel, target in targets:
        session.add(Notification(recipient=report_to, subject=subject, body=body,
                                 created_at=now, event=EVENT, channel=channel, target=target,
                                 attempts=0, next_attempt_at=now))
    return len(targets)


def _route(session: Session, notice: Notification, settings: Settings) -> list[Notification]:
    """An unrouted report becomes one row per recipient configured now (none: stays)."""
    targets = _targets(settings)
    if not targets:
        return [notice]
    notice.channel, notice.target = targets[0]
    twins = [Notification(recipient=notice.recipient, subject=notice.subject, body=notice.body,
                          created_at=notice.created_at, event=notice.event, channel=channel,
                          target=target, attempts=notice.attempts,
                          next_attempt_at=notice.next_attempt_at)
             for channel, target in targets[1:]]
    session.add_all(twins)
    session.flush()
    return [notice, *twins]


def _send(client: httpx.Client, settings: Settings, notice: Notification, now: datetime
          ) -> None:
    if notice.channel == "email" and notice.target:
        data = json.loads(notice.body)
        text = "\n".join(f"{key}: {value}" for key, value in sorted(data.items())) + "\n"
        send_email(settings, to=notice.target, subject=notice.subject, text=text)
    elif notice.channel == "webhook" and notice.target:
        if not settings.professional_standards_webhook_secret:
            raise OSError("ALPR_PROFESSIONAL_STANDARDS_WEBHOOK_SECRET is not set")
        post_signed(client, url=notice.target, event=notice.event or EVENT, body=notice.body,
                    secret=settings.professional_standards_webhook_secret, now=now)
    else:
        raise LookupError("no recipient configured (ALPR_PROFESSIONAL_STANDARDS_EMAIL or"
                          " ALPR_PROFESSIONAL_STANDARDS_WEBHOOK_URL)")


def deliver_reports(session: Session, *, now: datetime, client: httpx.Client | None = None,
                    settings: Settings | None = None) -> str:
    """Send the reports that are due; a failure is rescheduled, never dropped silently."""
    settings = settings or get_settings()
    due = list(session.scalars(
        select(Notification)
        .where(Notification.sent_at.is_(None), Notification.failed_at.is_(None))
        .where(or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.id).limit(200)))
    if not due:
        return "no reports due"
    sent = failed = 0
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        for first in due:
            for notice in (_route(session, first, settings) if first.channel == "unrouted"
                           else [first]):
                if notice.sent_at is not None:
                    continue
                notice.attempts += 1
                try:
                    _send(client, settings, notice, now)
                except (httpx.HTTPError, OSError, smtplib.SMTPException, LookupError) as error:
                    failed += 1
                    _after_failure(session, notice, f"{type(error).__name__}: {error}", now)
                    continue
                notice.sent_at, notice.last_error = now, None
                sent += 1
    finally:
        if own_client:
            client.close()
    session.flush()
    return f"{sent} report(s) sent, {failed} failed"


def _after_failure(session: Session, notice: Notification, error: str, now: datetime) -> None:
    notice.last_error = error[:500]
    if notice.attempts < MAX_ATTEMPTS:
        notice.next_attempt_at = now + backoff(notice.attempts)
        if notice.attempts > 1:
            return
    else:
        notice.failed_at = now
    # The first failure and the final one are audited: someone must hear that reports stall.
    record(session, event=AuditEvent.ACCOUNT_REPORT_FAILED, actor=ACTOR, now=now,
           outcome=Outcome.FAILURE, details={
               "notification": notice.id, "channel": notice.channel, "target": notice.target,
               "attempts": notice.attempts, "error": notice.last_error,
               "given_up": notice.failed_at is not None})
