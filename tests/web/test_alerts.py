"""Live alerts in the console: pushed without reload, verified, answered; inspection; roles."""

from __future__ import annotations

import base64
import io
import re
import uuid
from datetime import timedelta

import httpx
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.cameras.models import Inspection
from alpr.db.base import utcnow
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert, AlertResponse
from alpr.hotlists.profiles import ParsedEntry, ParsedFile
from alpr.hotlists.service import create_list
from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot


def hot_list(console: Console, name: str, plate: str, source: str = "SVS") -> None:
    """A list with one entry, loaded the way a file import loads it (the server's matcher
    picks it up by the lists' revision)."""
    entry = ParsedEntry(line=1, plate=plate, state="CA", reason="stolen vehicle",
                        vehicle_year="2019", vehicle_make="HOND", vehicle_model="CIVIC",
                        vehicle_color="WHI")
    with console.database.unit_of_work() as session:
        create_list(session, name=name, source=source, actor="console-test",
                    policy=console.policy)
        import_entries(session, list_name=name, parsed=ParsedFile(entries=[entry]),
                       actor="console-test", policy=console.policy, file_name=f"{name}.tbl")


def image(size: tuple[int, int], text: str, fmt: str) -> str:
    picture = Image.new("RGB", size, (235, 235, 235))
    ImageDraw.Draw(picture).text((10, size[1] // 3), text, fill=(0, 0, 0))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return base64.b64encode(out.getvalue()).decode()


def read(plate: str, *, images: bool = True) -> dict[str, object]:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()), "plate": plate, "confidence": 0.93, "region": "CA",
        "captured_at": (utcnow() - timedelta(seconds=2)).isoformat(),
        "vehicle_color": "white", "vehicle_make": "Honda", "vehicle_model": "Civic"}
    if images:
        body["plate_image"] = image((240, 60), plate, "PNG")
        body["vehicle_image"] = image((480, 270), f"vehicle {plate}", "JPEG")
    return body


def alert_card(page: Page, plate: str) -> Locator:
    return page.get_by_role("article", name=re.compile(plate))


def test_alert_appears_live_and_is_verified_then_answered(page: Page, console: Console) -> None:
    # REQ A1 — a hit reaches the operator's open page at once, without reload
    key = console.camera("alerts-cam-1")
    patrol = console.account(Role.PATROL, prefix="patrol")
    login(page, patrol, next_path="/alerts")
    expect(page.locator("#live-state")).to_have_text(re.compile("Live"))
    page.get_by_role("button", name="Sound off").click()
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")

    hot_list(console, "svs-live", "LIVE123")
    console.post_reads(key, [read("LIVE123")])

    card = alert_card(page, "LIVE123")
    expect(card).to_be_visible(timeout=10_000)
    expect(page).to_have_url(f"{console.url}/alerts")  # no reload
    expect(card).to_contain_text("svs-live")
    expect(card).to_contain_text("stolen vehicle")
    expect(card).to_contain_text("exact match")
    expect(card).to_contain_text("alerts-cam-1")
    expect(card).to_contain_text("2019 HOND CIVIC WHI")  # the listed vehicle, to compare
    expect(card).to_contain_text("white Honda Civic")  # the vehicle as read
    for name in ("Plate crop of LIVE123", "Vehicle read as LIVE123"):
        picture = card.get_by_role("img", name=name)
        expect(picture).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=picture.element_handle())
    expect(page.locator("#sound-toggle")).to_have_attribute("data-beeps", "2")  # toggle + alert
    expect(page.locator("#alert-news")).to_contain_text("New alert: plate LIVE123")
    screenshot(page, "alerts")

    # REQ A2 — verification: characters, state, vehicle, CLETS/NCIC; the API's refusal shown
    card.get_by_label("Plate characters match").check()
    card.get_by_label("State matches").check()
    card.get_by_label("Vehicle matches").check()
    card.get_by_label("Hit confirmed by CLETS/NCIC").check()
    checked = card.get_by_label("CLETS/NCIC checked at")
    good_time = checked.input_value()
    checked.fill((utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    card.get_by_role("button", name="Record verification").click()
    expect(card.get_by_role("alert")).to_contain_text("in the future")
    checked.fill(good_time)
    screenshot(page, "alert-verify")
    card.get_by_role("button", name="Record verification").click()
    expect(card).to_contain_text("Verified: hit confirmed")

    # REQ A3 — the documented response, with a disposition code from the policy
    card.get_by_label("Disposition").select_option("vehicle recovered")
    card.get_by_label("Justification").fill("Stopped at 14th and Broadway, owner contacted")
    card.get_by_label("Case number").fill("26-004411")
    card.get_by_label("Next steps").fill("Tow to yard")
    screenshot(page, "alert-respond")
    card.get_by_role("button", name="Record response").click()
    expect(card).to_contain_text("Response recorded: vehicle recovered")

    with console.database.unit_of_work() as session:
        alert = session.scalars(select(Alert).where(Alert.plate_read == "LIVE123")).one()
        assert alert.status == "confirmed"
        assert alert.verified_by == f"user:{patrol.username}"
        assert alert.plate_matches and alert.state_matches and alert.vehicle_matches
        assert alert.clets_confirmed and alert.clets_checked_at is not None
        response = session.scalars(select(AlertResponse).where(
            AlertResponse.alert_id == alert.id)).one()
        assert response.disposition == "vehicle recovered"
        assert response.case_number == "26-004411"
        assert response.member == patrol.username
        assert response.recorded_by == f"user:{patrol.username}"

    page.reload()  # a documented alert stays documented: no second response form
    expect(alert_card(page, "LIVE123")).to_contain_text("Response recorded")
    expect(alert_card(page, "LIVE123").get_by_role("button", name="Record response")
           ).to_have_count(0)


def test_filters_and_a_phone_screen(page: Page, console: Console) -> None:
    # REQ A1 — alerts filtered by camera and list, usable on a phone
    north, south = console.camera("alerts-north"), console.camera("alerts-south")
    hot_list(console, "svs-phone", "PHN111")
    hot_list(console, "ncic-phone", "PHN222", source="NCIC")
    console.post_reads(north, [read("PHN111")])
    console.post_reads(south, [read("PHN222", images=False)])
    user = console.account(Role.DATA_USER)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, user, next_path="/alerts")
    expect(alert_card(page, "PHN111")).to_be_visible()
    expect(alert_card(page, "PHN222")).to_contain_text("No images with this read")
    # Newest first.
    titles = page.locator("#alert-list article h2").all_inner_texts()
    assert titles.index(next(t for t in titles if "PHN222" in t)) < titles.index(
        next(t for t in titles if "PHN111" in t))

    page.get_by_label("Filter by camera").select_option("alerts-north")
    expect(alert_card(page, "PHN111")).to_be_visible()
    expect(alert_card(page, "PHN222")).to_be_hidden()
    page.get_by_label("Filter by camera").select_option("")
    page.get_by_label("Filter by list").select_option("ncic-phone")
    expect(alert_card(page, "PHN222")).to_be_visible()
    expect(alert_card(page, "PHN111")).to_be_hidden()
    page.get_by_label("Filter by list").select_option("")

    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the page scrolls sideways on a phone ({wide}px)"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "alerts-phone")


def test_alert_images_only_for_alert_receivers(page: Page, console: Console) -> None:
    # REQ L1 — the alert's own images, without a search purpose, to alert receivers only,
    # each look audited with who, when, the plate and why
    key = console.camera("alerts-img")
    hot_list(console, "svs-img", "IMG777")
    console.post_reads(key, [read("IMG777")])
    with console.database.unit_of_work() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.plate_read == "IMG777")).one()
    url = f"{console.url}/api/v1/alerts/{alert_id}/images/plate"
    assert httpx.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 403
    assert httpx.get(url).status_code == 401
    patrol = console.account(Role.PATROL, prefix="patrol")
    login(page, patrol, next_path="/alerts")
    shown = alert_card(page, "IMG777").get_by_role("img")
    expect(shown).to_have_count(2)
    for picture in shown.all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=picture.element_handle())
    fetch = ("async url => { const r = await fetch(url);"
             " return [r.status, r.headers.get('content-type')]; }")
    assert page.evaluate(fetch, url) == [200, "image/png"]
    assert page.evaluate(fetch, url.replace("/plate", "/other"))[0] == 404
    with console.database.unit_of_work() as session:
        looks = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "read:image", AuditEntry.actor == f"user:{patrol.username}")
        ).all()
        looks = [e for e in looks if e.details["alert_id"] == str(alert_id)]
        # The page itself showed both images of the unverified alert, then the fetch above.
        assert sorted(e.details["image"] for e in looks) == ["plate", "plate", "vehicle"]
        assert all(e.details["plate"] == "IMG777" and e.purpose == "hot-list alert verification"
                   and e.organization == "Test PD" for e in looks)


def test_start_of_shift_inspection(page: Page, console: Console) -> None:
    # REQ C6 — the unit's start-of-shift inspection, recorded by the patrol officer
    console.camera("unit-12", kind="mobile")
    patrol = console.account(Role.PATROL, prefix="patrol")
    login(page, patrol, next_path="/alerts")
    page.get_by_role("link", name="Start-of-shift inspection").click()
    expect(page).to_have_url(f"{console.url}/alerts/inspection")
    page.get_by_label("Unit").select_option("unit-12")
    page.get_by_label("Camera lenses clean and aimed").check()
    page.get_by_label("Hot lists downloaded and current").check()
    page.get_by_label("Test read of a known plate succeeded").check()
    screenshot(page, "alerts-inspection")
    page.get_by_role("button", name="Record inspection").click()
    expect(page.locator("#inspection-result")).to_contain_text("the unit passed")

    page.get_by_label("Camera lenses clean and aimed").check()
    page.get_by_label("Notes").fill("test read failed twice")
    page.get_by_role("button", name="Record inspection").click()
    expect(page.locator("#inspection-result")).to_contain_text("trouble ticket")

    with console.database.unit_of_work() as session:
        rows = session.scalars(select(Inspection).where(Inspection.camera_id == "unit-12")
                               .order_by(Inspection.id)).all()
        assert [r.ok for r in rows] == [True, False]
        assert all(r.inspected_by == f"user:{patrol.username}" for r in rows)
        assert rows[1].ticket_id is not None and rows[1].notes == "test read failed twice"


def test_patrol_sees_no_search_or_admin_pages(page: Page, console: Console) -> None:
    # REQ U2 — a Patrol user receives alerts only: no search, no administration
    login(page, console.account(Role.PATROL, prefix="patrol"), next_path="/alerts")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Live alerts")).to_be_visible()
    for name in ("Search", "Hot lists", "Holds & exports", "Sharing", "Cameras", "Users",
                 "Audit"):
        expect(menu.get_by_role("link", name=name)).to_have_count(0)
    for path in ("/search", "/users"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, (path, answer and answer.status)
