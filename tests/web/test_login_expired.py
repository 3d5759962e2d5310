"""An expired password is changed on the sign-in page itself (CJIS IA-5(1); issue 16.3)."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from alpr.users import service
from alpr.users.permissions import Role
from tests.web.conftest import PASSWORD, Console


def test_an_expired_password_is_replaced_at_sign_in(page: Page, console: Console) -> None:
    # REQ U11 — password_max_age: the sign-in says why and takes a new pass phrase
    account = console.account(Role.DATA_USER, prefix="expired")
    with console.database.unit_of_work() as session:
        user = service.get_user(session, account.username)
        user.password_changed_at = console.policy.security.password_max_age.before(
            user.created_at)
    page.goto("/login")
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("One-time code").fill(account.code())
    assert account.device
    page.get_by_label("Device registration token").fill(account.device)  # 429.9
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form [data-error]")).to_contain_text("password expired")
    time.sleep(31)  # the next one-time code: each is accepted once
    page.get_by_text("Has your password expired?").click()
    page.get_by_label("New pass phrase").fill("a brand new pass phrase")
    page.get_by_label("One-time code").fill(account.code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console.url}/")
    expect(page.locator("#whoami")).to_have_text(account.username)
