"""Registering a camera in the console (issue 21): the key is shown once and works; a user
without the camera permission cannot register one. # REQ C7"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from playwright.sync_api import Page, expect

from alpr.db.base import utcnow
from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot


def test_admin_registers_a_camera_and_its_key_works_once_shown(page: Page,
                                                               console: Console) -> None:
    # REQ C7 — only administrators change configuration
    admin = console.account(Role.SYSTEM_ADMINISTRATOR, prefix="sysadmin")
    login(page, admin, next_path="/cameras")
    page.get_by_text("Register a camera").click()
    page.get_by_label("Camera id").fill("reg-cam-1")
    page.get_by_label("Name (where it is, for officers)").fill("Telegraph at 40th")
    page.get_by_label("Latitude (fixed cameras)").fill("37.8300")
    page.get_by_label("Longitude (fixed cameras)").fill("-122.2640")
    page.get_by_label("Direction it faces (degrees, 0 = north)").fill("180")
    page.get_by_role("button", name="Register camera").click()
    shown = page.locator("#camera-key")
    expect(page.locator("#camera-form [data-error]")).to_be_empty()
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("reg-cam-1")
    key = shown.locator("[data-key]").inner_text().strip()
    assert len(key) >= 32
    screenshot(page, "camera-registered")
    answer = httpx.post(f"{console.url}/api/v1/reads", headers={"Authorization": f"Bearer {key}"},
                        json={"reads": [{"id": str(uuid.uuid4()), "plate": "7REG123",
                                         "confidence": 0.9,
                                         "captured_at": (utcnow() - timedelta(seconds=1))
                                         .isoformat()}]}, timeout=30)
    assert answer.status_code == 200, answer.text
    page.get_by_role("link", name="Done: back to the cameras").click()
    row = page.locator("#cameras-table tr[data-camera='reg-cam-1']")
    expect(row).to_contain_text("Telegraph at 40th")
    assert key not in page.content()  # never shown again


def test_duplicate_camera_id_is_refused_on_the_form(page: Page, console: Console) -> None:
    console.camera("reg-cam-2")
    admin = console.account(Role.SYSTEM_ADMINISTRATOR, prefix="sysadmin")
    login(page, admin, next_path="/cameras")
    page.get_by_text("Register a camera").click()
    page.get_by_label("Camera id").fill("reg-cam-2")
    page.get_by_label("Name (where it is, for officers)").fill("Again")
    page.get_by_role("button", name="Register camera").click()
    expect(page.locator("#camera-form [data-error]")).not_to_be_empty()
    expect(page.locator("#camera-key")).to_be_hidden()
