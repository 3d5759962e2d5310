"""Browser tests: a real server (its own process and SQLite store) driven by headless
Chromium through Playwright.

The server runs what `alpr serve` runs; the tests seed it through the same services on
the same database file, and cameras send reads over HTTP as real ones do. Chromium is
Debian's (`make test` installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from alpr.broker.local import free_port
from alpr.cameras.models import CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.db.migrate import upgrade
from alpr.db.session import Database
from alpr.policy import Policy, default_policy
from alpr.users.permissions import Role
from tests.helpers import PASSWORD as PASSWORD
from tests.helpers import active_user, workstation

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of every page, for people and for docs/console.md (ALPR_ARTIFACTS_DIR overrides).
ARTIFACTS = Path(os.environ.get("ALPR_ARTIFACTS_DIR", ROOT / "artifacts")) / "console"
VIEWPORT = {"width": 1366, "height": 768}  # a patrol-car laptop


def chromium_path() -> str:
    found = os.environ.get("ALPR_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    return found


@dataclass
class Account:
    username: str
    secret: str
    device: str | None = None  # the registered device it signs in from (REQ U12)

    def code(self) -> str:
        return pyotp.TOTP(self.secret).now()


@dataclass
class Console:
    """The running server, its database (for seeding and for checking), and its base URL."""

    url: str
    database: Database
    policy: Policy
    data_dir: Path
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    def account(self, *roles: Role, prefix: str = "user") -> Account:
        """A fresh active, trained account with TOTP (fresh: one-time codes are never
        accepted twice for the same account)."""
        username = f"{prefix}{next(self._names)}"
        secret = active_user(self.database, username, roles, policy=self.policy)
        return Account(username, secret, workstation(self.database))

    def camera(self, camera_id: str, *, lat: float = 37.8044, lon: float = -122.2712,
               kind: str = "fixed") -> str:
        """A registered camera; returns its API key (cameras post reads over HTTP)."""
        with self.database.unit_of_work() as session:
            _, key = register_camera(session, actor="console-test", camera=CameraIn(
                id=camera_id, name=camera_id, kind=CameraKind(kind), agency="Test PD", lat=lat,
                lon=lon))
        return key

    def post_reads(self, key: str, reads: list[dict[str, object]]) -> dict[str, object]:
        response = httpx.post(f"{self.url}/api/v1/reads", json={"reads": reads},
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result


@contextmanager
def running_console(data_dir: Path, **env_extra: str) -> Iterator[Console]:
    """A console server of its own on a fresh SQLite store (env_extra: ALPR_* settings)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'alpr.db'}"
    database = Database.from_url(url)
    upgrade(database.bind)
    port = free_port()
    # The server and this test process both write audit entries: one chain, one key (a
    # second console started inside the first shares the first one's key).
    previous_key = os.environ.get("ALPR_AUDIT_KEY")
    if previous_key is None:
        os.environ["ALPR_AUDIT_KEY"] = secrets.token_hex(32)
    env = {**os.environ, "ALPR_DATA_DIR": str(data_dir), "ALPR_DATABASE_URL": url, **env_extra}
    env.pop("ALPR_POLICY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "alpr.api.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield Console(base, database, default_policy(), data_dir)
    finally:
        server.terminate()
        server.wait(10)
        database.bind.dispose()  # type: ignore[union-attr]
        if previous_key is None:
            os.environ.pop("ALPR_AUDIT_KEY", None)


@pytest.fixture(scope="package")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_console(tmp_path_factory.mktemp("console") / "alpr-data") as running:
        yield running


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the console server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the console server did not start within 60 s")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=console.url)  # type: ignore[arg-type]
    opened = context.new_page()
    yield opened
    context.close()


def login(page: Page, account: Account, *, next_path: str = "/", password: str = PASSWORD
          ) -> None:
    """Sign in through the login page as a person would: password, one-time code, notice."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("One-time code").fill(account.code())
    device_field = page.get_by_label("Device registration token")
    if account.device and device_field.count():
        device_field.fill(account.device)
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Sign in").click()
    # Exactly the target: the login page's own address (/login?next=PATH) ends with it too.
    page.wait_for_url(re.compile(r"^https?://[^/]+" + re.escape(next_path) + "$"))


def screenshot(page: Page, name: str) -> Path:
    """Save the page for people and docs (artifacts/console/NAME.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


Login = Callable[[Page, Account], None]
