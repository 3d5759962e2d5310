"""The search page: purpose first (vague ones refused with the reason), a map canvass drawn
with the mouse, results in a table and on the map, opening a read and its image — every
access audited with its purpose."""

from __future__ import annotations

import base64
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.db.base import utcnow
from alpr.users.permissions import Role
from tests.helpers import jpeg
from tests.web.conftest import ARTIFACTS, Console, login, screenshot

# Away from the other console tests' cameras (they default to downtown Oakland), so a
# canvass around camera A finds only this module's reads.
CAMERA_A = ("srch-a", 37.8650, -122.2600)
CAMERA_B = ("srch-b", 37.8650, -122.2450)  # about 1.3 km east of A
CASE = "26-004512"


@dataclass(frozen=True)
class Seeded:
    at_a: list[str]  # plates read by camera A
    at_b: list[str]


@pytest.fixture(scope="module")
def seeded(console: Console) -> Seeded:
    now = utcnow()
    image = base64.b64encode(jpeg((40, 90, 160), (160, 60))).decode()
    plates: dict[str, list[str]] = {"srch-a": ["7SRA101", "7SRA102", "7SRA103"],
                                    "srch-b": ["7SRB201", "7SRB202"]}
    for camera_id, lat, lon in (CAMERA_A, CAMERA_B):
        key = console.camera(camera_id, lat=lat, lon=lon)
        reads: list[dict[str, object]] = [
            {"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.93,
             "captured_at": (now - timedelta(minutes=10 + n)).isoformat(),
             "lat": lat + 0.0001 * n, "lon": lon, "plate_image": image}
            for n, plate in enumerate(plates[camera_id])]
        answer = console.post_reads(key, reads)
        assert answer["accepted"] == len(reads), answer
    return Seeded(plates["srch-a"], plates["srch-b"])


def fill_purpose(page: Page, *, case_number: str | None = None,
                 description: str | None = None) -> None:
    page.get_by_label("Case number").fill(case_number or "")
    page.get_by_label("Details (optional)").fill(description or "")
    page.get_by_label("I attest that the standard is met").check()
    page.get_by_label("I attest that none of the prohibited uses applies").check()


def rows(page: Page) -> Locator:
    return page.locator("#results-table tbody tr")


def audit_entries(console: Console, event: AuditEvent, actor: str) -> list[AuditEntry]:
    with console.database.unit_of_work() as session:
        found = session.scalars(select(AuditEntry).where(
            AuditEntry.event == event, AuditEntry.actor == actor).order_by(AuditEntry.id))
        entries = list(found)
        session.expunge_all()
        return entries


def test_a_vague_purpose_is_refused_and_a_specific_one_finds_reads(
        page: Page, console: Console, seeded: Seeded) -> None:
    # REQ Q1
    # REQ Q2
    # REQ Q3
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if r.url.startswith("http")
            and not r.url.startswith(console.url) else None)
    account = console.account(Role.DATA_USER)
    login(page, account, next_path="/search")
    expect(page.get_by_role("heading", name="Search reads")).to_be_visible()
    # The policy's hints: what the category needs, the standard, the prohibited uses.
    expect(page.locator("#purpose-needs")).to_have_text(
        "Needs: case number or suspect's last name.")
    expect(page.get_by_text("Federal immigration enforcement")).to_be_visible()
    expect(page.locator("#map-offline")).to_be_visible()  # no tile URL configured
    expect(page.locator('img.leaflet-marker-icon[alt="Camera srch-a"]')).to_be_visible()
    screenshot(page, "search")

    fill_purpose(page, description="investigation")
    page.get_by_label("Plate", exact=True).fill("7SRA*")
    page.get_by_role("button", name="Search", exact=True).click()
    refusal = page.locator("#search-form [data-error]")
    expect(refusal).to_contain_text("a vague purpose such as 'investigation' is not enough")
    expect(refusal).to_contain_text("case_number or last_name")
    expect(page.locator("#results")).to_be_hidden()
    expect(rows(page)).to_have_count(0)
    screenshot(page, "search-refused")

    # A last name carrying a date of birth is refused as a personal identifier.
    page.get_by_label("Suspect's last name").fill("Garcia dob 04/12/1988")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(refusal).to_contain_text("no other personal identifiers")
    page.get_by_label("Suspect's last name").fill("")

    fill_purpose(page, case_number=CASE)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(refusal).to_have_text("")
    expect(rows(page)).to_have_count(len(seeded.at_a))
    expect(rows(page).first.locator("td.plate")).to_have_text(seeded.at_a[0])  # newest first
    refused = audit_entries(console, AuditEvent.SEARCH_REFUSED, f"user:{account.username}")
    assert len(refused) == 2 and "rule: specific" in refused[0].details["reason"]
    assert outside == []  # the offline map fetches nothing from anywhere else


def zoom_until_apart(page: Page, a: Locator, b: Locator, pixels: float
                     ) -> tuple[float, float, float]:
    """Zoom in with the mouse wheel over camera A until B is `pixels` away; A's point."""
    for _ in range(8):
        box_a, box_b = a.bounding_box(), b.bounding_box()
        assert box_a and box_b
        # A marker's point is the bottom centre of its pin.
        ax, ay = box_a["x"] + box_a["width"] / 2, box_a["y"] + box_a["height"]
        apart = math.dist((ax, ay), (box_b["x"] + box_b["width"] / 2, box_b["y"] + box_b["height"]))
        if apart >= pixels:
            return ax, ay, apart
        page.mouse.move(ax, ay)
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(600)  # the zoom animation
    pytest.fail("could not zoom the map in far enough")


def test_a_circle_drawn_on_the_map_canvasses_only_its_area_and_is_audited(
        page: Page, console: Console, seeded: Seeded) -> None:
    # REQ Q6
    # REQ L1
    account = console.account(Role.DATA_USER)
    login(page, account, next_path="/search")
    fill_purpose(page, case_number=CASE)
    page.get_by_label("Suspect's last name").fill("Nguyen")

    the_map = page.get_by_role("region", name="Map of cameras, search area and results")
    the_map.scroll_into_view_if_needed()
    marker_a = page.locator('img.leaflet-marker-icon[alt="Camera srch-a"]')
    marker_b = page.locator('img.leaflet-marker-icon[alt="Camera srch-b"]')
    ax, ay, apart = zoom_until_apart(page, marker_a, marker_b, 200)
    # A real drag with leaflet-draw's circle tool: press on camera A, pull out, release.
    page.get_by_role("link", name="Draw a circle").click()
    radius_px = min(apart * 0.4, 140)
    page.mouse.move(ax, ay)
    page.mouse.down()
    page.mouse.move(ax + radius_px, ay, steps=12)
    page.mouse.up()
    expect(page.locator("#area-summary")).to_contain_text("Circle of")
    radius_m = float(page.get_by_label("Radius (m)").input_value())
    assert 0 < radius_m < 1300  # smaller than the distance to camera B

    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows(page)).to_have_count(len(seeded.at_a))
    expect(page.locator("#results-table tbody td:nth-child(4)")).to_have_text(
        ["srch-a"] * len(seeded.at_a))
    plates = page.locator("#results-table tbody td.plate").all_inner_texts()
    assert sorted(plates) == sorted(seeded.at_a)
    expect(page.locator("path.result-point")).to_have_count(len(seeded.at_a))
    expect(page.locator("#results-table img.thumb").first).to_be_visible()
    the_map.scroll_into_view_if_needed()
    screenshot(page, "search-results")

    # The search is on the audit log with who, what, when and why (§1798.90.52).
    entry = audit_entries(console, AuditEvent.SEARCH_QUERY, f"user:{account.username}")[-1]
    assert entry.organization == "Test PD" and entry.at is not None
    assert CASE in (entry.purpose or "") and "Nguyen" in (entry.purpose or "")
    near = entry.details["query"]["near"]
    assert math.isclose(near["lat"], CAMERA_A[1], abs_tol=0.002)
    assert math.isclose(near["lon"], CAMERA_A[2], abs_tol=0.002)
    assert entry.details["results"] == len(seeded.at_a)
    assert entry.details["on_behalf_of"] == account.username


def test_a_polygon_drawn_on_the_map_canvasses_only_its_area(
        page: Page, console: Console, seeded: Seeded) -> None:
    # REQ Q6
    account = console.account(Role.DATA_USER)
    login(page, account, next_path="/search")
    fill_purpose(page, case_number=CASE)
    page.get_by_role("region", name="Map of cameras, search area and results"
                     ).scroll_into_view_if_needed()
    marker_a = page.locator('img.leaflet-marker-icon[alt="Camera srch-a"]')
    marker_b = page.locator('img.leaflet-marker-icon[alt="Camera srch-b"]')
    _, _, apart = zoom_until_apart(page, marker_a, marker_b, 200)
    box_b = marker_b.bounding_box()
    assert box_b
    bx, by = box_b["x"] + box_b["width"] / 2, box_b["y"] + box_b["height"]
    # A triangle around camera B, clicked corner by corner and closed on the first corner.
    size = min(apart * 0.3, 90)
    page.get_by_role("link", name="Draw a polygon").click()
    corners = [(bx - size, by + size), (bx + size, by + size), (bx, by - size)]
    for x, y in [*corners, corners[0]]:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    expect(page.locator("#area-summary")).to_have_text("Polygon of 3 corners.")
    expect(page.get_by_label("Radius (m)")).to_have_value("")

    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows(page)).to_have_count(len(seeded.at_b))
    plates = page.locator("#results-table tbody td.plate").all_inner_texts()
    assert sorted(plates) == sorted(seeded.at_b)
    expect(page.locator("path.result-point")).to_have_count(len(seeded.at_b))
    entry = audit_entries(console, AuditEvent.SEARCH_QUERY, f"user:{account.username}")[-1]
    assert len(entry.details["query"]["polygon"]) == 3


def test_opening_a_read_shows_its_details_and_image_with_the_keyboard(
        page: Page, console: Console, seeded: Seeded) -> None:
    # REQ L1
    account = console.account(Role.DATA_USER)
    login(page, account, next_path="/search")
    fill_purpose(page, case_number=CASE)
    page.get_by_label("Plate", exact=True).fill("7SRB*")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows(page)).to_have_count(len(seeded.at_b))

    opener = rows(page).first.get_by_role("button", name=f"Open read {seeded.at_b[0]}")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Read {seeded.at_b[0]}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("srch-b", exact=True)).to_be_visible()
    picture = dialog.get_by_role("img", name=f"plate image of {seeded.at_b[0]}")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") == 160  # the stored image itself
    # The dialog is modal over the viewport: a full-page picture would cut its backdrop.
    page.screenshot(path=str(ARTIFACTS / "read-view.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    actor = f"user:{account.username}"
    views = audit_entries(console, AuditEvent.READ_VIEW, actor)
    images = audit_entries(console, AuditEvent.READ_IMAGE, actor)
    assert [v.details["plate"] for v in views] == [seeded.at_b[0]]
    assert all(CASE in (i.purpose or "") for i in images)
    assert seeded.at_b[0] in {i.details["plate"] for i in images}


def test_a_patrol_user_has_no_search_page(page: Page, console: Console) -> None:
    # REQ U2
    account = console.account(Role.PATROL)
    login(page, account)
    expect(page.locator("#whoami")).to_have_text(account.username)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Search")
           ).to_have_count(0)
    response = page.goto("/search")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("reads:search")
