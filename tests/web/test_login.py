"""Signing in to the console: password, one-time code, the notice; refusals explained."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from alpr.users.permissions import Role
from tests.web.conftest import PASSWORD, Console, login, screenshot


def test_login_with_totp_lands_on_the_start_page(page: Page, console: Console) -> None:
    # REQ U5
    account = console.account(Role.DATA_USER)
    page.goto("/")
    expect(page).to_have_url(f"{console.url}/login?next=/")  # no session: to the login page
    screenshot(page, "login")
    login(page, account)
    expect(page.locator("#whoami")).to_have_text(account.username)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Search")
           ).to_be_visible()
    screenshot(page, "home")


def test_wrong_code_is_refused_without_saying_why(page: Page, console: Console) -> None:
    # REQ U5
    account = console.account(Role.DATA_USER)
    page.goto("/login")
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill("000000" if account.code() != "000000" else "111111")
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form [data-error]")).to_have_text("login refused")
    expect(page).to_have_url(f"{console.url}/login")


def test_suspended_account_is_told_why(page: Page, console: Console) -> None:
    # REQ U9
    from alpr.db.base import utcnow
    from alpr.users import service

    account = console.account(Role.DATA_USER)
    with console.database.unit_of_work() as session:
        service.suspend_for_misuse(session, username=account.username, reason="misuse review",
                                   actor="console-test", policy=console.policy, now=utcnow())
    page.goto("/login")
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(account.code())
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form [data-error]")).to_contain_text("suspended")


def test_login_page_asks_for_the_device_where_policy_requires_it() -> None:
    # REQ U12 — registered devices only: the sign-in page asks for the device's token
    from fastapi.testclient import TestClient

    from alpr.api.app import create_app
    from alpr.policy import default_policy

    strict = default_policy()  # 429.9: the default preset requires agency devices
    base = strict.model_copy(update={"security": strict.security.model_copy(
        update={"require_registered_devices": False})})
    for policy, asked in ((base, False), (strict, True)):
        with TestClient(create_app(policy=policy)) as client:
            page = client.get("/login", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert ('id="device_token"' in page.text) is asked


def test_every_answer_carries_the_security_headers() -> None:
    # REQ U11 — console pages cannot be framed or cached, and run only the server's scripts
    from fastapi.testclient import TestClient

    from alpr.api.app import create_app
    from alpr.config import Settings
    from alpr.web.headers import content_security_policy

    with TestClient(create_app(settings=Settings())) as client:
        login_page = client.get("/login", headers={"accept": "text/html"})
        health = client.get("/api/v1/health")
    assert login_page.headers["x-frame-options"] == "DENY"
    assert login_page.headers["cache-control"] == "no-store"
    assert "script-src 'self';" in login_page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in login_page.headers["content-security-policy"]
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in health.headers  # JSON answers keep their own caching
    tiles = content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in tiles
