"""Attack tests against a REAL server: uvicorn on a free loopback port, in a thread of this
process (so a test may shorten the stream re-check interval), over its own store on
SQLite and on PostgreSQL (a schema of its own, really committed, dropped afterwards).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
import uvicorn

from alpr.api.app import create_app
from alpr.broker.local import free_port
from alpr.config import get_settings
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database
from alpr.policy import Policy, default_policy
from alpr.users.permissions import Role
from tests.conftest import drop_postgresql_schema, postgresql_schema_engine
from tests.helpers import PASSWORD, active_user, workstation


@dataclass
class Server:
    url: str
    database: Database
    policy: Policy
    backend: str

    def account(self, username: str, *roles: Role) -> str:
        """An active, trained account; its TOTP secret."""
        return active_user(self.database, username, roles or (Role.DATA_USER,),
                           policy=self.policy)

    def login(self, username: str, secret: str, *, cookie: bool = False,
              client: httpx.Client | None = None) -> httpx.Response:
        body = {"username": username, "password": PASSWORD, "banner_acknowledged": True,
                "code": pyotp.TOTP(secret).now(), "cookie": cookie,
                "device_token": workstation(self.database)}
        return (client or httpx).post(f"{self.url}/api/v1/auth/login", json=body, timeout=30)


def start(database: Database, policy: Policy, backend: str) -> Iterator[Server]:
    set_database(database)
    port = free_port()
    app = create_app(policy=policy)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", workers=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", database, policy, backend)
    finally:
        server.should_exit = True
        thread.join(10)
        set_database(None)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A running server over a fresh, really committed store (per test: lockouts and
    one-time codes must not leak between tests)."""
    backend: str = request.param
    get_settings.cache_clear()
    if backend == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'alpr.db'}")
        upgrade(engine)
        schema = None
    else:
        schema = f"alpr_sec_{os.getpid()}_{request.node.name[-40:]}".lower()
        schema = "".join(c if c.isalnum() or c == "_" else "_" for c in schema)
        engine = postgresql_schema_engine(schema)
    try:
        yield from start(Database(engine), default_policy(), backend)
    finally:
        engine.dispose()
        if schema:
            drop_postgresql_schema(schema)
