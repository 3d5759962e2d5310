"""The alert card tells an officer where and which way, how long ago, shows the crops and a
small map on one phone screen, takes a misread correction, and notifies the browser
(issue 21)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.reads.models import ReadCorrection
from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot
from tests.web.test_alerts import alert_card, hot_list, read

PHONE = {"width": 390, "height": 844}
# Records each browser notification the page creates (the browser's own UI is not visible
# to a test).
RECORD_NOTIFICATIONS = """
window.__notes = [];
class RecordedNotification {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({ title, body: options.body }); }
  close() {}
}
window.Notification = RecordedNotification;
"""


@pytest.fixture
def phone(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, base_url=console.url,  # type: ignore[arg-type]
                                  is_mobile=True, has_touch=True)
    context.add_init_script(RECORD_NOTIFICATIONS)
    opened = context.new_page()
    yield opened
    context.close()


def test_alert_card_where_which_way_and_when_on_one_phone_screen(phone: Page,
                                                                 console: Console) -> None:
    # REQ A1, A2 — what the officer needs to act on, at a glance
    key = console.camera("card-cam-1", lat=37.80440, lon=-122.27120)
    with console.database.unit_of_work() as session:
        camera = session.get(Camera, "card-cam-1")
        assert camera is not None
        camera.name = "Broadway at 14th, northbound"
    officer = console.account(Role.ALPR_ADMINISTRATOR, prefix="officer")
    login(phone, officer, next_path="/alerts")
    expect(phone.locator("#live-state")).to_have_text(re.compile("Live"))
    phone.get_by_role("button", name="Notifications off").click()
    expect(phone.locator("#notify-toggle")).to_have_attribute("aria-pressed", "true")

    hot_list(console, "svs-card", "CARD123")
    body = read("CARD123")
    body["heading"] = 92.0
    console.post_reads(key, [body])

    card = alert_card(phone, "CARD123")
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("Broadway at 14th, northbound")
    expect(card).to_contain_text("just now")
    expect(card).to_contain_text("heading east (92°)")
    expect(card).to_contain_text("37.80440, -122.27120")
    expect(card.locator("[data-map]")).to_be_visible()
    expect(card.locator("[data-images]").get_by_role("img")).to_have_count(2)  # crops
    notes = phone.evaluate("window.__notes")
    assert notes and notes[-1]["title"] == "ALPR alert: CARD123"
    assert "Broadway at 14th" in notes[-1]["body"]

    # One screen: the card from its title to the verification button fits the phone.
    phone.evaluate("document.getElementById('alert-list').scrollIntoView()")
    screenshot(phone, "alert-card-phone")
    top = card.bounding_box()
    button = card.get_by_role("button", name="Record verification").bounding_box()
    assert top and button
    assert button["y"] + button["height"] - top["y"] <= PHONE["height"], (
        f"the alert needs {button['y'] + button['height'] - top['y']:.0f}px")

    # A5 — the misread is corrected from the card; the original is kept, the change audited.
    card.get_by_text("Correct a misread").click()
    card.get_by_label("Correct plate").fill("CARD128")
    card.get_by_label("Why (what the image shows)").fill("last character is an 8 on the crop")
    card.get_by_role("button", name="Record correction").click()
    expect(card).to_contain_text("Corrected to CARD128 (was CARD123)")
    with console.database.unit_of_work() as session:
        fixed = session.scalars(select(ReadCorrection).where(
            ReadCorrection.original_plate == "CARD123")).one()
        assert fixed.corrected_plate == "CARD128"
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.actor == f"user:{officer.username}",
            AuditEntry.event.like("read:correct%"))).all()
        assert audited


def test_patrol_without_correction_rights_sees_no_correction_form(phone: Page,
                                                                   console: Console) -> None:
    # REQ U2 — a Patrol user receives alerts and cannot change data
    key = console.camera("card-cam-2")
    patrol = console.account(Role.PATROL, prefix="patrol")
    login(phone, patrol, next_path="/alerts")
    hot_list(console, "svs-card2", "CARD222")
    console.post_reads(key, [read("CARD222")])
    card = alert_card(phone, "CARD222")
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator("[data-images]").get_by_role("img")).to_have_count(2)
    expect(card.get_by_text("Correct a misread")).to_have_count(0)


def test_alerts_reach_other_console_pages_once_notifications_are_on(phone: Page,
                                                                    console: Console) -> None:
    # REQ A1 — a hit reaches the operator at once, also while they work on another page
    key = console.camera("card-cam-3")
    officer = console.account(Role.DATA_USER, prefix="analyst")
    login(phone, officer, next_path="/alerts")
    phone.get_by_role("button", name="Notifications off").click()
    expect(phone.locator("#notify-toggle")).to_have_attribute("aria-pressed", "true")
    phone.goto("/hotlists")
    phone.wait_for_load_state("networkidle")
    hot_list(console, "svs-card3", "CARD333")
    console.post_reads(key, [read("CARD333")])
    expect(phone.locator("#flash")).to_contain_text("New alert: CARD333", timeout=10_000)
    notes = phone.evaluate("window.__notes")
    assert [n["title"] for n in notes] == ["ALPR alert: CARD333"]
