"""Sessions end everywhere (issue 18.3; CJIS AC-11, AC-12, SC-10): a live alert stream
closes on logout, suspension, credential change and the idle limits; the console's CSRF
token is bound to its session; a camera key never opens a console page or a user route."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from alpr.api.app import create_app
from alpr.db.base import utcnow
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine
from alpr.hotlists import alert_views
from alpr.policy import Duration, default_policy
from alpr.users import service
from alpr.users.permissions import Role
from tests.helpers import PASSWORD, CameraFactory, active_user, workstation
from tests.security.conftest import Server, start


class Stream:
    """An SSE client in a thread: what it received, and whether the server closed it."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.closed = threading.Event()
        self.opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(20), "the stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=60) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                self.lines.append(line)
                self.opened.set()
        self.closed.set()

    def ended(self, within: float) -> bool:
        return self.closed.wait(within)


def _logout(server: Server, token: str, username: str) -> None:
    httpx.post(f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})


def _suspend(server: Server, token: str, username: str) -> None:
    with server.database.unit_of_work() as session:
        service.suspend_for_misuse(session, username=username, reason="under investigation",
                                   actor="system:test", policy=server.policy, now=utcnow())


def _new_credentials(server: Server, token: str, username: str) -> None:
    with server.database.unit_of_work() as session:
        service.issue_credentials(session, username=username, password="reissued pass phrase",
                                  actor="system:test", policy=server.policy, now=utcnow())


def _separate(server: Server, token: str, username: str) -> None:
    with server.database.unit_of_work() as session:
        service.separate_user(session, username=username, actor="system:test", now=utcnow())


ENDINGS: list[tuple[str, Callable[[Server, str, str], None]]] = [
    ("logout", _logout), ("misuse-suspension", _suspend),
    ("credentials-reissued", _new_credentials), ("separation", _separate),
]


@pytest.mark.parametrize(("case", "end"), ENDINGS, ids=[e[0] for e in ENDINGS])
def test_the_alert_stream_closes_when_the_session_ends(
    server: Server, monkeypatch: pytest.MonkeyPatch, case: str,
    end: Callable[[Server, str, str], None],
) -> None:
    # REQ U11 REQ A1 — CJIS AC-12: a stream is part of the session, not a way around it
    monkeypatch.setattr(alert_views, "RECHECK_SECONDS", 0.2)
    secret = server.account("watcher", Role.PATROL)
    token = server.login("watcher", secret).json()["token"]
    stream = Stream(f"{server.url}/api/v1/alerts/stream",
                    {"Authorization": f"Bearer {token}"})
    assert not stream.ended(1.0), "the stream must stay open while the session holds"
    end(server, token, "watcher")
    assert stream.ended(30), case
    assert any(line.startswith("event: end") for line in stream.lines), stream.lines


@pytest.fixture(params=["sqlite"])
def idle_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server whose policy locks a session after 2 s idle and ends it after 4 s."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'alpr.db'}")
    upgrade(engine)
    base = default_policy()
    policy = base.model_copy(update={"security": base.security.model_copy(update={
        "idle_lock_after": Duration(seconds=2), "idle_disconnect_after": Duration(seconds=4)})})
    try:
        yield from start(Database(engine), policy, "sqlite")
    finally:
        engine.dispose()


def test_the_alert_stream_closes_at_the_idle_limit(
    idle_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ U11 — CJIS AC-11: an open stream does not count as activity; it closes when the
    # session locks for idleness, and the session itself ends at the disconnect limit (SC-10)
    monkeypatch.setattr(alert_views, "RECHECK_SECONDS", 0.2)
    server = idle_server
    secret = server.account("sleepy", Role.PATROL)
    token = server.login("sleepy", secret).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    stream = Stream(f"{server.url}/api/v1/alerts/stream", auth)
    assert stream.ended(10)
    assert time.monotonic() - started >= 1.5
    assert any("AC-11" in line for line in stream.lines), stream.lines
    time.sleep(4.5)
    ended = httpx.get(f"{server.url}/api/v1/alerts", headers=auth)
    assert ended.status_code == 401 and "SC-10" in ended.json()["detail"]


@pytest.fixture
def browser(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(policy=default_policy()), base_url="https://testserver") as client:
        yield client


def _cookie_login(client: TestClient, database: Database, username: str) -> str:
    secret = active_user(database, username, [Role.SYSTEM_ADMINISTRATOR,
                                              Role.ALPR_ADMINISTRATOR])
    answer = client.post("/api/v1/auth/login", json={
        "username": username, "password": PASSWORD, "code": pyotp.TOTP(secret).now(),
        "banner_acknowledged": True, "cookie": True, "device_token": workstation(database)})
    assert answer.status_code == 200, answer.text
    csrf: str = client.cookies["alpr_csrf"]
    return csrf


BODY = {"username": "victim", "full_name": "V", "agency": "Test PD",
        "classification": default_policy().users.authorized_classifications[0],
        "roles": ["data-user"]}


def test_csrf_token_is_bound_to_the_session(browser: TestClient, database: Database) -> None:
    # REQ U11 — CSRF: the token is a MAC of the session, the CSRF cookie is never trusted
    other = TestClient(browser.app, base_url="https://testserver")
    their_csrf = _cookie_login(other, database, "other")
    real = _cookie_login(browser, database, "admin")
    session_cookie = browser.cookies["alpr_session"]
    forged: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("no-header", {}, {}),
        ("planted-cookie-and-header", {"alpr_csrf": "evil"}, {"X-CSRF-Token": "evil"}),
        ("no-cookie-dash", {"alpr_csrf": ""}, {"X-CSRF-Token": "-"}),
        ("empty-header", {}, {"X-CSRF-Token": ""}),
        ("another-sessions-token", {"alpr_csrf": their_csrf}, {"X-CSRF-Token": their_csrf}),
        ("the-session-token-itself", {}, {"X-CSRF-Token": session_cookie}),
        ("upper-case", {}, {"X-CSRF-Token": real.upper()}),
        ("padded", {}, {"X-CSRF-Token": f" {real} "}),
        ("truncated", {}, {"X-CSRF-Token": real[:-1]}),
    ]
    for case, cookies, header in forged:
        jar = {"alpr_session": session_cookie, **cookies}
        answer = httpx.Client(transport=browser._transport,
                              base_url="https://testserver", cookies=jar).post(
            "/api/v1/users", json=BODY, headers=header)
        assert answer.status_code == 403, (case, answer.status_code)
    made = browser.post("/api/v1/users", json=BODY, headers={"X-CSRF-Token": real})
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/account"), ("GET", "/users"), ("GET", "/alerts"),
    ("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password"),
    ("GET", "/api/v1/users"), ("GET", "/api/v1/alerts/stream"),
])
def test_a_camera_key_never_opens_console_pages_or_user_routes(
    database: Database, make_camera: CameraFactory, method: str, path: str
) -> None:
    # REQ C7 REQ U2 — a camera is a device, never a signed-in person
    _, key = make_camera("cam-key")
    with TestClient(create_app(policy=default_policy())) as client:
        answer = client.request(method, path, headers={"Authorization": f"Bearer {key}"},
                                json={"current_password": "x", "new_password": "y"})
    assert answer.status_code == 403, (path, answer.status_code, answer.text[:200])
