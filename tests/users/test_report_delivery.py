"""Professional Standards reports reach someone (REQ U9; issue 16.4): e-mail through a real
SMTP exchange with a sink started here, and a signed webhook to a receiver started here,
delivered by the jobs runner with retries; nothing waits silently in an outbox."""

from __future__ import annotations

import hmac
import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.config import Settings
from alpr.db.session import Database
from alpr.hotlists.webhooks import sign
from alpr.jobs.registry import JOBS, JobContext, load_all, run_job
from alpr.policy import Policy, load_preset
from alpr.users import service
from alpr.users.lifecycle import erase
from alpr.users.models import Notification
from alpr.users.notify import deliver_reports
from tests.users.test_accounts import PASSWORD, T0, make_user

SECRET = "ps-webhook-secret"


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP (RFC 5321) to receive messages: what smtplib sends, kept here."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[dict[str, Any]] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 sink ESMTP")
        message: dict[str, Any] = {"to": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 sink")
            elif verb == "MAIL":
                message = {"from": command[10:], "to": []}
                self._say("250 ok")
            elif verb == "RCPT":
                message["to"].append(command[8:].strip("<>"))
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 end with .")
                data = []
                while (body := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(body.decode())
                message["data"] = "".join(data)
                self.server.messages.append(message)
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


class Hook(ThreadingHTTPServer):
    def __init__(self, fail_first: int) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.received: list[tuple[dict[str, str], str]] = []
        self.fail_first = fail_first


class _HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        failing = self.server.fail_first > 0
        self.server.fail_first -= 1
        if not failing:
            self.server.received.append((dict(self.headers), body))
        self.send_response(503 if failing else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook(fail_first=1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def policy() -> Policy:
    return load_preset("oakland")


def configured(sink: SmtpSink, hook: Hook) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=sink.server_address[1],
                    professional_standards_email=["ps@agency.example"],
                    professional_standards_webhook_url=(
                        f"http://127.0.0.1:{hook.server_address[1]}/ps"),
                    professional_standards_webhook_secret=SECRET)


def _try(database: Database, policy: Policy, settings: Settings, username: str,
         password: str, minutes: int) -> None:
    from alpr.users.auth import login

    with database.unit_of_work() as session:
        result = login(session, username=username, password=password, code=None,
                       policy=policy, now=T0 + timedelta(minutes=minutes), source="10.9.8.7",
                       settings=settings)
    assert result.token is None


def _run_job(database: Database, policy: Policy, settings: Settings, minutes: int) -> str:
    load_all()
    context = JobContext(settings=settings, policy=policy, now=T0 + timedelta(minutes=minutes))
    return run_job(JOBS["users-notify"], context).detail


# Who tries to log in, with what, and what the report says about the account.
ATTEMPTS = [
    ("suspended-right-password", "suspend", PASSWORD, "suspended"),
    ("suspended-wrong-password", "suspend", "not the password", "suspended"),
    ("deactivated", "separate", PASSWORD, "deactivated"),
    ("deleted-account-name", "delete", "anything at all", "deleted"),
]


@pytest.mark.parametrize(("case", "make", "password", "status"), ATTEMPTS,
                         ids=[a[0] for a in ATTEMPTS])
def test_reports_are_delivered_by_mail_and_signed_webhook_with_retries(
    database: Database, policy: Policy, sink: SmtpSink, hook: Hook, case: str, make: str,
    password: str, status: str,
) -> None:
    # REQ U9 — a login attempt by a suspended, deactivated or deleted account is reported
    settings = configured(sink, hook)
    make_user(database, policy)
    with database.unit_of_work() as session:
        if make == "suspend":
            service.suspend_for_misuse(session, username="diaz", reason="misuse review",
                                       actor="user:admin", policy=policy, now=T0)
        else:
            service.separate_user(session, username="diaz", actor="user:admin", now=T0)
            if make == "delete":
                erase(session, service.get_user(session, "diaz"), T0)
    _try(database, policy, settings, "diaz", password, 1)
    first = _run_job(database, policy, settings, 2)  # the webhook answers 503 once
    assert first == "1 report(s) sent, 1 failed", first
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert mail["to"] == ["ps@agency.example"]
    assert f"ALPR login attempt by {status} account diaz" in mail["data"]
    assert "10.9.8.7" in mail["data"]
    with database.unit_of_work() as session:
        retry = session.scalars(select(Notification).where(
            Notification.channel == "webhook")).one()
        assert retry.attempts == 1 and "503" in (retry.last_error or "")
        assert retry.next_attempt_at and retry.next_attempt_at > T0 + timedelta(minutes=2)
    assert _run_job(database, policy, settings, 10) == "1 report(s) sent, 0 failed"
    headers, body = hook.received[0]
    assert json.loads(body)["username"] == "diaz" and json.loads(body)["status"] == status
    assert hmac.compare_digest(headers["X-ALPR-Signature"],
                               sign(SECRET, headers["X-ALPR-Timestamp"], body))
    with database.unit_of_work() as session:
        pending = session.scalars(select(Notification).where(
            Notification.sent_at.is_(None))).all()
    assert pending == []


def test_a_report_without_recipients_is_flagged_then_routed_when_configured(
    database: Database, policy: Policy, sink: SmtpSink, hook: Hook
) -> None:
    # REQ U9 — never left silently in an outbox: the failure is audited until someone is
    # configured, then the report goes to whoever is configured
    make_user(database, policy)
    with database.unit_of_work() as session:
        service.separate_user(session, username="diaz", actor="user:admin", now=T0)
    nobody = Settings()
    _try(database, policy, nobody, "diaz", PASSWORD, 1)
    with database.unit_of_work() as session:
        assert deliver_reports(session, now=T0 + timedelta(minutes=2), settings=nobody) == (
            "0 report(s) sent, 1 failed")
        flagged = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "account:report:failed")).all()
    assert len(flagged) == 1 and "no recipient configured" in flagged[0].details["error"]
    hook.fail_first = 0
    with database.unit_of_work() as session:
        sent = deliver_reports(session, now=T0 + timedelta(hours=1),
                               settings=configured(sink, hook))
    assert sent == "2 report(s) sent, 0 failed"
    assert len(sink.messages) == 1 and len(hook.received) == 1
