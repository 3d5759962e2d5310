"""The start page per role (issue 21): a patrol user sees the latest alerts, an
administrator what waits for approval and the cameras in trouble; nobody sees a panel their
role does not give them, and the alert panel is audited like the alerts page."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.cameras.health import open_ticket
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.users import service
from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot
from tests.web.test_alerts import hot_list, read


def test_patrol_start_page_shows_latest_alerts_audited(page: Page, console: Console) -> None:
    # REQ A1, L1 — the alerts a patrol user is sent, on the first page; the look is audited
    key = console.camera("dash-cam-1")
    with console.database.unit_of_work() as session:
        camera = session.get(Camera, "dash-cam-1")
        assert camera is not None
        camera.name = "Dashboard Ave at 1st"
    hot_list(console, "svs-dash", "DASH123")
    console.post_reads(key, [read("DASH123")])
    patrol = console.account(Role.PATROL, prefix="patrol")
    login(page, patrol)
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text("Hits today")
    expect(alerts.get_by_role("row", name="DASH123")).to_contain_text("Dashboard Ave at 1st")
    expect(page.get_by_role("region", name="Waiting for you")).to_have_count(0)
    expect(page.get_by_role("region", name="Camera health")).to_be_visible()  # inspects units
    screenshot(page, "home-patrol")
    with console.database.unit_of_work() as session:
        listed = session.scalars(select(AuditEntry).where(
            AuditEntry.actor == f"user:{patrol.username}",
            AuditEntry.event == "alert:list")).all()
        assert listed


def test_administrator_start_page_shows_what_waits_and_broken_cameras(page: Page,
                                                                      console: Console) -> None:
    # REQ U1 (accounts to approve), C6 (trouble tickets)
    console.camera("dash-cam-2")
    with console.database.unit_of_work() as session:
        service.create_user(session, username="dash-pending", full_name="Pending Person",
                            agency="Test PD",
                            classification=console.policy.users.authorized_classifications[0],
                            roles=[Role.DATA_USER], actor="console-test", policy=console.policy,
                            now=utcnow())
        camera = session.get(Camera, "dash-cam-2")
        assert camera is not None
        open_ticket(session, camera=camera, kind="manual", description="lens cracked",
                    actor="console-test")
    admin = console.account(Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR, prefix="admin")
    login(page, admin)
    waiting = page.get_by_role("region", name="Waiting for you")
    expect(waiting).to_contain_text("Accounts to approve")
    figure = waiting.locator("div", has_text="Accounts to approve").locator("dd")
    assert int(figure.inner_text()) >= 1
    health = page.get_by_role("region", name="Camera health")
    expect(health.get_by_role("row", name="lens cracked")).to_contain_text("dash-cam-2")
    screenshot(page, "home-admin")


def test_auditor_start_page_has_counts_but_no_plates(page: Page, console: Console) -> None:
    # REQ U2 — an auditor reads the log; alerts with plates are not theirs
    auditor = console.account(Role.AUDITOR, prefix="auditor")
    login(page, auditor)
    expect(page.get_by_role("region", name="Activity")).to_contain_text("Hits today")
    expect(page.get_by_role("region", name="Alerts")).to_have_count(0)
    expect(page.locator("td.plate")).to_have_count(0)
