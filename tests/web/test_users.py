"""The users page: an administrator approves a pending account, records its training,
creates an account and suspends one; anyone without USERS_MANAGE gets a 403 page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from alpr.db.base import utcnow
from alpr.users import service
from alpr.users.models import TrainingRecord, User
from alpr.users.permissions import Role
from alpr.users.security import verify_password
from tests.helpers import PASSWORD, registered_agency, workstation
from tests.web.conftest import Account, Console, login, screenshot


def pending_user(console: Console, username: str) -> None:
    with console.database.unit_of_work() as session:
        registered_agency(session, "Test PD")
        service.create_user(
            session, username=username, full_name="New Hire", agency="Test PD",
            classification=console.policy.users.authorized_classifications[0],
            roles=[Role.DATA_USER], actor="console-test", policy=console.policy, now=utcnow())


def user(console: Console, username: str) -> tuple[User, list[TrainingRecord]]:
    with console.database.unit_of_work() as session:
        found = service.get_user(session, username)
        trainings = list(session.scalars(select(TrainingRecord).where(
            TrainingRecord.user_id == found.id)))
        session.expunge_all()
        return found, trainings


def test_administrator_approves_a_pending_user_and_records_training(
        page: Page, console: Console) -> None:
    # REQ U1 REQ U4
    pending_user(console, "newhire")
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="useradmin")
    login(page, admin, next_path="/users")
    row = page.locator("#pending-users").get_by_role("row").filter(has_text="newhire")
    expect(row).to_contain_text("data-user")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator("#flash")).to_have_text("newhire approved")
    expect(page.locator("#pending-users").get_by_role("row").filter(has_text="newhire")
           ).to_have_count(0)
    approved, trainings = user(console, "newhire")
    assert (approved.status, approved.approved_by) == ("active", f"user:{admin.username}")
    assert trainings == []

    row = page.locator("#accounts").get_by_role("row").filter(has_text="newhire")
    expect(row).to_contain_text("Training: never done")  # no access until trained (U4)
    row.get_by_text("Actions").click()
    row.get_by_label("Training for newhire").select_option("initial")
    screenshot(page, "users")
    row.get_by_role("button", name="Record training").click()
    expect(page.locator("#flash")).to_have_text("Training recorded for newhire")
    _, trainings = user(console, "newhire")
    assert [(t.kind, t.recorded_by) for t in trainings] == [("initial", f"user:{admin.username}")]
    expect(page.locator("#training-due").get_by_role("row").filter(has_text="newhire")
           ).to_have_count(0)


def test_new_account_is_pending_and_suspension_needs_a_reason(
        page: Page, console: Console) -> None:
    # REQ U3 REQ U10
    target = console.account(Role.DATA_USER, prefix="misuser")
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="useradmin")
    login(page, admin, next_path="/users")
    form = page.locator("#user-form")
    form.get_by_label("User name").fill("analyst7")
    form.get_by_label("Full name").fill("Dana Analyst")
    form.get_by_label("Job classification").select_option(
        console.policy.users.authorized_classifications[-1])
    form.get_by_label("Roles").select_option(["data-user", "auditor"])
    form.get_by_role("button", name="Create account").click()
    expect(page.locator("#flash")).to_contain_text("Account created")
    expect(page.locator("#pending-users")).to_contain_text("analyst7")
    created, _ = user(console, "analyst7")
    assert (created.status, created.roles) == ("pending", ["data-user", "auditor"])

    row = page.locator("#accounts").get_by_role("row").filter(has_text=target.username)
    row.get_by_text("Actions").click()
    row.get_by_label(f"Reason for suspending {target.username}").fill("searched without a case")
    row.get_by_role("button", name="Suspend for misuse").click()
    expect(page.locator("#flash")).to_have_text(f"{target.username} suspended")
    row = page.locator("#accounts").get_by_role("row").filter(has_text=target.username)
    expect(row).to_contain_text("misuse: searched without a case")
    suspended, _ = user(console, target.username)
    assert suspended.status == "suspended" and suspended.suspended_until is not None


def test_data_user_gets_403_on_users(page: Page, console: Console) -> None:
    # REQ U2
    officer = console.account(Role.DATA_USER, prefix="officer")
    login(page, officer, next_path="/")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")
           ).to_have_count(0)
    response = page.goto("/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("requires permission users:manage")


def test_credentials_issued_on_the_page_let_the_person_sign_in_and_change_them(
        page: Page, console: Console, browser: Browser) -> None:
    # REQ U11 — a console-created account gets its first password and authenticator secret
    # from an administrator, once; the person then sets their own password.
    pending_user(console, "newcomer")
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="useradmin")
    login(page, admin, next_path="/users")
    row = page.locator("#pending-users").get_by_role("row").filter(has_text="newcomer")
    row.locator("summary", has_text="Sign-in credentials").click()
    row.get_by_label("First password for newcomer").fill("first pass phrase")
    row.get_by_role("button", name="Issue sign-in credentials").click()
    issued = row.locator(".issued")
    expect(issued.get_by_role("img", name="QR code for the authenticator app of newcomer")
           ).to_be_visible()
    screenshot(page, "users-credentials")
    secret = re.search(r"type it\): ([A-Z2-7]+)\.", issued.inner_text())
    assert secret is not None
    row.get_by_role("button", name="Approve").click()
    expect(page.locator("#flash")).to_have_text("newcomer approved")
    with console.database.unit_of_work() as session:
        service.record_training(session, username="newcomer", kind="initial",
                                actor="console-test", now=utcnow() - timedelta(minutes=1))

    context = browser.new_context(base_url=console.url)
    newcomer = context.new_page()
    login(newcomer, Account("newcomer", secret.group(1), workstation(console.database)),
          password="first pass phrase",
          next_path="/account")
    newcomer.get_by_label("Current password").fill("first pass phrase")
    newcomer.get_by_label("New password").fill("only the newcomer knows")
    newcomer.get_by_role("button", name="Change password").click()
    newcomer.wait_for_url(re.compile(r".*/login$"))
    expect(newcomer.locator("#flash")).to_have_text("Password changed: sign in with the new one")
    context.close()
    with console.database.unit_of_work() as session:
        assert verify_password(service.get_user(session, "newcomer").password_hash,
                               "only the newcomer knows")


def test_administrator_registers_a_device_that_then_signs_in_and_revokes_it(
        page: Page, browser: Browser, console: Console) -> None:
    # REQ U12 — 429.9: sign-in only from agency devices, managed from the console
    admin = console.account(Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR,
                            prefix="deviceadmin")
    login(page, admin, next_path="/users")
    form = page.locator("#device-form")
    form.get_by_label("New device").fill("MDC unit 31")
    form.get_by_role("button", name="Register device").click()
    shown = form.locator(".device-token")
    expect(shown).to_contain_text("alpr_dev_")
    screenshot(page, "users-devices")
    token = re.search(r"(alpr_dev_\S+)", shown.inner_text())
    assert token is not None

    officer = console.account(Role.PATROL, prefix="unit31")
    context = browser.new_context(base_url=console.url)
    car = context.new_page()
    refused = Account(officer.username, officer.secret, None)  # a car with no token
    car.goto("/login?next=/")
    car.get_by_label("User name").fill(refused.username)
    car.get_by_label("Password").fill(PASSWORD)
    car.get_by_label("One-time code").fill(refused.code())
    car.get_by_label("I have read and accept").check()
    car.get_by_role("button", name="Sign in").click()
    expect(car.locator("#login-form [data-error]")).to_contain_text(
        "this device is not registered (U12)")
    with console.database.unit_of_work() as session:  # the next 30-second code
        service.get_user(session, officer.username).totp_last_step = None
    login(car, Account(officer.username, officer.secret, f"  {token.group(1)} "))

    page.reload()
    row = page.locator("#devices").get_by_role("row").filter(has_text="MDC unit 31")
    row.locator("summary").click()
    row.get_by_label("Reason for revoking MDC unit 31").fill("stolen with the car")
    row.get_by_role("button", name="Revoke", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("revoked")
    expect(page.locator("#devices").get_by_role("row").filter(has_text="MDC unit 31")
           ).to_contain_text("revoked")
    car.goto("/")
    car.wait_for_url(re.compile(r".*/login"))  # the car's session ended with its device
    context.close()
