"""Outgoing webhooks: every alert is POSTed to each active subscriber.

The body is the alert as JSON; `X-ALPR-Signature: sha256=<hex>` is the HMAC-SHA256 of
`<timestamp>.<body>` with the webhook's secret and `X-ALPR-Timestamp` the timestamp, so a
receiver can check origin and refuse replays. Deliveries are queued in the alert's own
transaction and sent by the `webhook-delivery` job; failures are retried with exponential
backoff (5 s, 10 s, 20 s … at most 1 h) and given up after MAX_ATTEMPTS, audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.hotlists.models import Alert, Webhook, WebhookDelivery
from alpr.hotlists.schemas import AlertOut

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(hours=1)
TIMEOUT_SECONDS = 5.0


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def add_webhook(session: Session, *, url: str, actor: str, now: datetime) -> Webhook:
    """Register a subscriber; the returned secret is what the receiver verifies with."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("a webhook URL must start with https:// or http://")
    hook = Webhook(url=url, secret=secrets.token_hex(32), active=True, created_by=actor,
                   created_at=now)
    session.add(hook)
    session.flush()
    record(session, event=AuditEvent.WEBHOOK_ADD, actor=actor, now=now,
           details={"webhook_id": hook.id, "url": url})
    return hook


def enqueue(session: Session, alerts: Sequence[Alert], now: datetime) -> int:
    hooks = list(session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    for alert in alerts:
        body = AlertOut.model_validate(alert).model_dump_json()
        for hook in hooks:
            session.add(WebhookDelivery(webhook_id=hook.id, alert_id=alert.id, body=body,
                                        attempts=0, next_attempt_at=now))
    return len(alerts) * len(hooks)


def backoff(attempts: int) -> timedelta:
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def deliver_due(session: Session, *, now: datetime, client: httpx.Client | None = None) -> str:
    due = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None))
        .where(or_(WebhookDelivery.next_attempt_at.is_(None),
                   WebhookDelivery.next_attempt_at <= now))
        .order_by(WebhookDelivery.id).limit(500)
    ).all()
    if not due:
        return "nothing to deliver"
    hooks = {h.id: h for h in session.scalars(select(Webhook))}
    sent = failed = 0
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        for delivery in due:
            if _attempt(client, hooks[delivery.webhook_id], delivery, now):
                sent += 1
            else:
                failed += 1
                _after_failure(session, delivery, hooks[delivery.webhook_id], now)
    finally:
        if own_client:
            client.close()
    return f"{sent} delivered, {failed} failed"


def _attempt(client: httpx.Client, hook: Webhook, delivery: WebhookDelivery, now: datetime
             ) -> bool:
    timestamp = str(int(now.timestamp()))
    delivery.attempts += 1
    try:
        response = client.post(hook.url, content=delivery.body, headers={
            "Content-Type": "application/json", "X-ALPR-Event": "alert",
            "X-ALPR-Timestamp": timestamp,
            "X-ALPR-Signature": sign(hook.secret, timestamp, delivery.body)})
        ok = 200 <= response.status_code < 300
        delivery.last_error = None if ok else f"HTTP {response.status_code}"
    except httpx.HTTPError as error:
        ok = False
        delivery.last_error = f"{type(error).__name__}: {error}"[:500]
    if ok:
        delivery.delivered_at = now
    return ok


def _after_failure(session: Session, delivery: WebhookDelivery, hook: Webhook, now: datetime
                   ) -> None:
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.failed_at = now
        record(session, event=AuditEvent.WEBHOOK_DELIVERY_FAILED, actor="system:webhooks",
               outcome=Outcome.FAILURE, now=now, details={
                   "webhook_id": hook.id, "alert_id": str(delivery.alert_id),
                   "attempts": delivery.attempts, "error": delivery.last_error})
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
