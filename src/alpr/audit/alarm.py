"""CJIS AU-5: when the audit log cannot be written, the designated personnel are alerted
within the policy's `security.audit_failure_alert_within`.

Every failure is appended to `<data dir>/audit-failures.log` (a file, because the database
may be what failed). The first failure alerts at once — a signed webhook
(ALPR_SECURITY_ALERT_WEBHOOK_URL) and/or an e-mail (ALPR_SECURITY_ALERT_EMAIL) — and further
failures inside the window are only logged, so a failing store does not flood anyone; the
next failure after the window alerts again. An alert that cannot be delivered is logged too.
The audited action itself has already been refused (503): nothing happens unaudited.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import httpx

from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.policy import Duration

log = logging.getLogger("alpr.audit")
FAILURES = "audit-failures.log"
LAST_ALERT = "audit-failure-alerted"


def _last_alert(folder: Path) -> datetime | None:
    try:
        return datetime.fromisoformat((folder / LAST_ALERT).read_text().strip())
    except (OSError, ValueError):
        return None


def report_failure(settings: Settings, window: Duration, reason: str,
                   now: datetime | None = None) -> bool:
    """Log one audit-write failure; alert unless an alert went out within `window`.
    True when an alert was sent now."""
    from alpr.cameras.notify import post_signed, send_email  # one sender for the system

    now = now or utcnow()
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / FAILURES).open("a", encoding="utf-8") as out:
        out.write(json.dumps({"at": now.isoformat(), "reason": reason[:500]}) + "\n")
    last = _last_alert(folder)
    if last is not None and window.after(last) > now:
        return False
    text = (f"The ALPR audit log could not be written at {now:%Y-%m-%d %H:%M:%S} UTC: {reason}."
            " Audited actions are refused (503) until it is repaired; every failure is listed"
            f" in {folder / FAILURES}.")
    sent = False
    if settings.security_alert_webhook_url:
        try:
            with httpx.Client(timeout=5) as client:
                post_signed(client, url=settings.security_alert_webhook_url,
                            secret=settings.security_alert_webhook_secret or "",
                            event="audit:failure", now=now,
                            body=json.dumps({"event": "audit:failure", "at": now.isoformat(),
                                             "reason": reason[:500]}))
            sent = True
        except (httpx.HTTPError, OSError, RuntimeError) as error:
            log.error("audit failure alert (webhook) not delivered: %s", error)
    if settings.security_alert_email:
        try:
            send_email(settings, to=settings.security_alert_email,
                       subject="ALPR: the audit log cannot be written", text=text)
            sent = True
        except OSError as error:
            log.error("audit failure alert (e-mail) not delivered: %s", error)
    log.critical(text)
    if sent:
        (folder / LAST_ALERT).write_text(now.isoformat())
    return sent
