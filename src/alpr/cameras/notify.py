"""Trouble-ticket notifications (REQ C6): a supervisor hears of a ticket opened or closed.

When a ticket opens or closes, one notice per active webhook (the alert subscribers of
`hotlists.webhooks`, signed the same way, `X-ALPR-Event: camera-ticket`) and per address in
`ALPR_TICKET_EMAIL_TO` (through `ALPR_SMTP_HOST`) is queued in the ticket's own
transaction: the ticket is stored whether or not anyone can be reached. The
`cameras-ticket-notify` job sends what is due; a failure is retried with backoff (5 s
doubling to at most 1 h) and given up, audited, after MAX_ATTEMPTS (about a day).
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol, TypeVar

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.models import TicketNotice, TroubleTicket
from alpr.config import Settings, get_settings
from alpr.hotlists.models import Webhook
from alpr.hotlists.webhooks import TIMEOUT_SECONDS, backoff, sign

MAX_ATTEMPTS = 30
ACTOR = "system:ticket-notify"


def _body(ticket: TroubleTicket, event: str) -> str:
    return json.dumps({
        "event": f"ticket.{event}", "ticket": ticket.id, "camera_id": ticket.camera_id,
        "kind": ticket.kind, "description": ticket.description, "status": ticket.status,
        "opened_by": ticket.opened_by, "opened_at": ticket.opened_at.isoformat(),
        "closed_by": ticket.closed_by,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "resolution": ticket.resolution,
    }, sort_keys=True)


def notice_targets(session: Session, emails: Sequence[str]) -> list[tuple[str, str]]:
    """Where a queued notice goes: every active webhook, then each configured address."""
    targets = [("webhook", str(hook_id)) for hook_id in session.scalars(
        select(Webhook.id).where(Webhook.active.is_(True)).order_by(Webhook.id))]
    return targets + [("email", address) for address in emails]


def enqueue_ticket(session: Session, ticket: TroubleTicket, event: str, now: datetime) -> int:
    """Queue the notices of a ticket event (in the ticket's transaction); how many."""
    body = _body(ticket, event)
    targets = notice_targets(session, get_settings().ticket_email_to)
    for channel, target in targets:
        session.add(TicketNotice(ticket_id=ticket.id, event=event, channel=channel,
                                 target=target, body=body, attempts=0, next_attempt_at=now))
    return len(targets)


def post_signed(client: httpx.Client, *, url: str, secret: str, event: str, body: str,
                now: datetime) -> None:
    """POST a JSON body signed like the hot-list webhooks; raises on a non-2xx answer.
    The one webhook sender of the system (tickets, Professional Standards reports)."""
    timestamp = str(int(now.timestamp()))
    response = client.post(url, content=body, headers={
        "Content-Type": "application/json", "X-ALPR-Event": event,
        "X-ALPR-Timestamp": timestamp, "X-ALPR-Signature": sign(secret, timestamp, body)})
    if not 200 <= response.status_code < 300:
        raise OSError(f"HTTP {response.status_code}")


def send_email(settings: Settings, *, to: str, subject: str, text: str) -> None:
    """One plain-text message through the configured SMTP relay; raises when it fails.
    The one e-mail sender of the system (tickets, Professional Standards reports)."""
    if not settings.smtp_host:
        raise OSError("ALPR_SMTP_HOST is not set")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message)


def _send_webhook(session: Session, client: httpx.Client, notice: TicketNotice,
                  now: datetime) -> None:
    hook = session.get(Webhook, int(notice.target))
    if hook is None or not hook.active:
        raise LookupError(f"webhook {notice.target} is gone or inactive")
    post_signed(client, url=hook.url, secret=hook.secret, event="camera-ticket",
                body=notice.body, now=now)


def _send_email(settings: Settings, notice: TicketNotice) -> None:
    data = json.loads(notice.body)
    lines = [f"{key}: {value}" for key, value in data.items() if value is not None]
    send_email(settings, to=notice.target, text="\n".join(lines) + "\n",
               subject=(f"ALPR trouble ticket {data['ticket']} {notice.event}:"
                        f" {data['camera_id']} ({data['kind']})"))


class Notice(Protocol):
    """What a queued notice row has: tickets, list cancellations (one delivery loop)."""

    channel: str
    attempts: int
    delivered_at: datetime | None
    last_error: str | None


N = TypeVar("N", bound=Notice)


def due_notices(session: Session, model: type[N], now: datetime, limit: int = 200) -> list[N]:
    """Notices of `model` not delivered nor given up, whose next attempt is due."""
    table: Any = model
    return list(session.scalars(
        select(model)
        .where(table.delivered_at.is_(None), table.failed_at.is_(None))
        .where(or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now))
        .order_by(table.id).limit(limit)))


def deliver(due: Sequence[N], *, send: Callable[[httpx.Client, N], None],
            failed_once: Callable[[N, str], None], now: datetime,
            client: httpx.Client | None = None) -> tuple[int, int]:
    """Send each due notice with `send`; a failure goes to `failed_once` (reschedule or give
    up, audited), never dropped silently. Returns (sent, failed)."""
    sent = failed = 0
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        for notice in due:
            notice.attempts += 1
            try:
                send(client, notice)
            except (httpx.HTTPError, OSError, smtplib.SMTPException, LookupError) as error:
                failed += 1
                failed_once(notice, f"{type(error).__name__}: {error}")
                continue
            notice.delivered_at, notice.last_error = now, None
            sent += 1
    finally:
        if own_client:
            client.close()
    return sent, failed


def deliver_due(session: Session, *, now: datetime, client: httpx.Client | None = None,
                settings: Settings | None = None) -> str:
    """Send the notices that are due; a failure is rescheduled, never dropped silently."""
    settings = settings or get_settings()
    due = due_notices(session, TicketNotice, now)
    if not due:
        return "no ticket notices due"

    def send(client: httpx.Client, notice: TicketNotice) -> None:
        if notice.channel == "webhook":
            _send_webhook(session, client, notice, now)
        else:
            _send_email(settings, notice)

    sent, failed = deliver(due, send=send, now=now, client=client,
                           failed_once=lambda notice, error: _after_failure(
                               session, notice, error, now))
    session.flush()
    return f"{sent} ticket notice(s) sent, {failed} failed"


def _after_failure(session: Session, notice: TicketNotice, error: str, now: datetime) -> None:
    notice.last_error = error[:500]
    if notice.attempts < MAX_ATTEMPTS:
        notice.next_attempt_at = now + backoff(notice.attempts)
        return
    notice.failed_at = now
    record(session, event=AuditEvent.CAMERA_NOTICE_FAILED, actor=ACTOR, outcome=Outcome.FAILURE,
           now=now, details={"notice": notice.id, "ticket": notice.ticket_id,
                             "channel": notice.channel, "target": notice.target,
                             "attempts": notice.attempts, "error": notice.last_error})


def notices(session: Session, ticket_id: int | None = None) -> list[TicketNotice]:
    query = select(TicketNotice).order_by(TicketNotice.id)
    if ticket_id is not None:
        query = query.where(TicketNotice.ticket_id == ticket_id)
    return list(session.scalars(query))
