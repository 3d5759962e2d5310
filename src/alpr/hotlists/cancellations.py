"""Cancellation notices for records in error (REQ A4): whoever keeps the source list hears
that a record must be cancelled.

When an entry is flagged, one notice per active webhook (the subscribers of
`hotlists.webhooks`, signed the same way, `X-ALPR-Event: hotlist-cancellation`) and one per
address in `ALPR_HOTLIST_CANCEL_EMAIL_TO` (through `ALPR_SMTP_HOST`) is queued in the
flag's own transaction, the way trouble-ticket notices are (cameras.notify). The
`hotlist-cancellation-notify` job sends what is due, retrying with the same backoff, and a
notice given up after MAX_ATTEMPTS is audited.
"""

from __future__ import annotations

import json
import smtplib
from datetime import datetime
from email.message import EmailMessage

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.notify import deliver, due_notices, notice_targets
from alpr.config import Settings, get_settings
from alpr.hotlists.models import CancellationNotice, ErrorFlag, HotList, Webhook
from alpr.hotlists.webhooks import TIMEOUT_SECONDS, backoff, sign

MAX_ATTEMPTS = 30
ACTOR = "system:hotlist-cancellations"


def _body(flag: ErrorFlag, hotlist: HotList) -> str:
    return json.dumps({
        "event": "hotlist.record_in_error", "flag": flag.id, "list": hotlist.name,
        "source": hotlist.source, "plate": flag.plate, "state": flag.state,
        "source_record_id": flag.source_record_id, "reason": flag.reason,
        "flagged_by": flag.flagged_by, "flagged_at": flag.flagged_at.isoformat(),
        "request": "cancel or correct this record at its source",
    }, sort_keys=True)


def enqueue(session: Session, flag: ErrorFlag, hotlist: HotList, now: datetime) -> int:
    """Queue the notices of a new flag (in the flag's transaction); how many."""
    body = _body(flag, hotlist)
    targets = notice_targets(session, get_settings().hotlist_cancel_email_to)
    for channel, target in targets:
        session.add(CancellationNotice(flag_id=flag.id, channel=channel, target=target,
                                       body=body, attempts=0, next_attempt_at=now))
    return len(targets)


def _send_webhook(session: Session, client: httpx.Client, notice: CancellationNotice,
                  now: datetime) -> None:
    hook = session.get(Webhook, int(notice.target))
    if hook is None or not hook.active:
        raise LookupError(f"webhook {notice.target} is gone or inactive")
    timestamp = str(int(now.timestamp()))
    response = client.post(hook.url, content=notice.body, headers={
        "Content-Type": "application/json", "X-ALPR-Event": "hotlist-cancellation",
        "X-ALPR-Timestamp": timestamp,
        "X-ALPR-Signature": sign(hook.secret, timestamp, notice.body)})
    if not 200 <= response.status_code < 300:
        raise OSError(f"HTTP {response.status_code}")


def _send_email(settings: Settings, notice: CancellationNotice) -> None:
    if not settings.smtp_host:
        raise OSError("ALPR_SMTP_HOST is not set")
    data = json.loads(notice.body)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = notice.target
    message["Subject"] = (f"ALPR record in error: cancel {data['plate']} on hot list"
                          f" {data['list']}")
    message.set_content("\n".join(f"{key}: {value}" for key, value in data.items()
                                  if value is not None) + "\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message)


def deliver_due(session: Session, *, now: datetime, client: httpx.Client | None = None,
                settings: Settings | None = None) -> str:
    """Send the notices that are due; a failure is rescheduled, never dropped silently."""
    settings = settings or get_settings()
    due = due_notices(session, CancellationNotice, now)
    if not due:
        return "no cancellation notices due"

    def send(client: httpx.Client, notice: CancellationNotice) -> None:
        if notice.channel == "webhook":
            _send_webhook(session, client, notice, now)
        else:
            _send_email(settings, notice)

    sent, failed = deliver(due, send=send, now=now, client=client,
                           failed_once=lambda notice, error: _after_failure(
                               session, notice, error, now))
    session.flush()
    return f"{sent} cancellation notice(s) sent, {failed} failed"


def _after_failure(session: Session, notice: CancellationNotice, error: str,
                   now: datetime) -> None:
    notice.last_error = error[:500]
    if notice.attempts < MAX_ATTEMPTS:
        notice.next_attempt_at = now + backoff(notice.attempts)
        return
    notice.failed_at = now
    record(session, event=AuditEvent.WEBHOOK_DELIVERY_FAILED, actor=ACTOR,
           outcome=Outcome.FAILURE, now=now, details={
               "cancellation_notice": notice.id, "flag": notice.flag_id,
               "channel": notice.channel, "target": notice.target,
               "attempts": notice.attempts, "error": notice.last_error})


def notices(session: Session, flag_id: int | None = None) -> list[CancellationNotice]:
    query = select(CancellationNotice).order_by(CancellationNotice.id)
    if flag_id is not None:
        query = query.where(CancellationNotice.flag_id == flag_id)
    return list(session.scalars(query))
