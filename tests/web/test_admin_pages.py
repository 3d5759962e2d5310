"""Administration pages: holds & exports, sharing, cameras, audit — shown to administrators,
changed through the API from the browser, and closed to everyone else."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import datetime, timedelta

import httpx
from playwright.sync_api import Locator, Page, expect

from alpr.cameras import health
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.retention.models import Download
from alpr.sharing import agencies, requests
from alpr.sharing.models import AgencyKind
from alpr.sharing.schemas import ShareRequestIn
from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot

ADMIN = (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)
PAGES = ("/holds", "/sharing", "/cameras", "/audit")


def read(plate: str, minutes_ago: int) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.95, "region": "CA",
            "captured_at": (utcnow() - timedelta(minutes=minutes_ago)).isoformat()}


def local(moment: datetime) -> str:
    """A datetime-local field's value (the browser runs in this machine's time zone)."""
    return moment.astimezone().strftime("%Y-%m-%dT%H:%M")


def row(page: Page, table: str, text: str) -> Locator:
    return page.locator(f"#{table} tbody tr", has_text=text)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def test_hold_is_requested_by_plate_and_approved_by_another_supervisor(
        page: Page, console: Console) -> None:
    # REQ R3 REQ R4 REQ R5 — case, reason, contact recorded; approval by someone else
    key = console.camera("hold-cam")
    console.post_reads(key, [read("HLD4821", 30), read("HLD4821", 20), read("HLD9999", 10)])
    requester = console.account(*ADMIN, prefix="det")
    approver = console.account(*ADMIN, prefix="sgt")
    login(page, requester, next_path="/holds")

    form = page.get_by_role("region", name="Request a hold")
    form.get_by_label("Case or DR number").fill("26-HOLD-7")
    form.get_by_label("Reason").select_option("investigation")
    form.get_by_label("What the reads are needed for").fill("Burglary series, Elm district")
    form.get_by_label("Investigator name and contact").fill("Det. Ortiz, x4410")
    form.get_by_label("Plate", exact=True).fill("hld 4821")
    form.get_by_label("From", exact=True).fill(local(utcnow() - timedelta(hours=1)))
    form.get_by_label("To", exact=True).fill(local(utcnow() + timedelta(minutes=2)))
    form.get_by_role("button", name="Request hold").click()
    hold = row(page, "holds-table", "26-HOLD-7")
    expect(hold).to_contain_text("pending")
    expect(hold.locator("td").nth(3)).to_have_text("2")  # both reads of the plate, not the other
    hold_id = hold.get_attribute("data-hold")

    hold.get_by_role("button", name=f"Approve hold {hold_id}").click()
    expect(hold.get_by_role("alert")).to_contain_text("other than the requester")
    expect(hold).to_contain_text("pending")

    sign_out(page)
    login(page, approver, next_path="/holds")
    hold = row(page, "holds-table", "26-HOLD-7")
    hold.get_by_role("button", name=f"Approve hold {hold_id}").click()
    expect(hold).to_contain_text("active")
    expect(hold).to_contain_text(f"user:{approver.username}")
    expect(hold.locator("td").nth(7)).to_contain_text(str(utcnow().year + 2))  # review due
    expect(hold.get_by_role("button", name=f"Re-verify hold {hold_id}")).to_be_visible()
    screenshot(page, "holds")

    hold.get_by_label(f"Release reason for hold {hold_id}").fill("Case closed")
    hold.get_by_role("button", name=f"Release hold {hold_id}").click()
    expect(hold).to_contain_text("released")
    expect(hold).to_contain_text("Case closed")


def test_evidence_export_downloads_a_package_and_overdue_copies_stand_out(
        page: Page, console: Console) -> None:
    # REQ R6 REQ R7 — a signed package for a stated purpose; deadlines tracked, overdue flagged
    key = console.camera("export-cam")
    reads = [read("EXP1234", 15), read("EXP1234", 5)]
    console.post_reads(key, reads)
    with console.database.unit_of_work() as session:
        late = Download(kind="evidence", case_number="OLD-CASE-1", reads=3, sha256="ab" * 32,
                        exported_by="user:former", exported_at=utcnow() - timedelta(days=90),
                        destroy_by=utcnow() - timedelta(days=30))
        session.add(late)
        session.flush()
        late_id = late.id
    login(page, console.account(*ADMIN, prefix="ev"), next_path="/holds")
    expect(page.get_by_role("alert").filter(has_text="past the destruction deadline")
           ).to_be_visible()
    overdue = row(page, "downloads-table", "OLD-CASE-1")
    expect(overdue).to_have_class("overdue")
    expect(overdue).to_contain_text("overdue")

    form = page.get_by_role("region", name="Export evidence")
    form.get_by_label("Read ids").fill(", ".join(str(r["id"]) for r in reads))
    form.get_by_label("Case number").fill("26-004533")  # the agency format (YY-NNNNNN)
    form.get_by_label("On behalf of").fill("Det. Ortiz")
    form.get_by_role("button", name="Export package").click()  # attestations missing: refused
    expect(form.get_by_role("alert")).to_contain_text("attest")
    form.get_by_label("The standard for this access is met").check()
    form.get_by_label("None of the prohibited uses applies").check()
    with page.expect_download() as saved:
        form.get_by_role("button", name="Export package").click()
    package = zipfile.ZipFile(io.BytesIO(saved.value.path().read_bytes()))
    assert {"reads.json", "manifest.json", "manifest.sig"} <= set(package.namelist())
    assert "EXP1234" in package.read("reads.json").decode()

    page.reload()
    exported = row(page, "downloads-table", "26-004533")
    expect(exported.locator("td").nth(5)).to_contain_text(
        (utcnow() + timedelta(days=60)).strftime("%Y-%m-%d"))  # the policy's 60 days
    expect(exported).not_to_have_class("overdue")
    screenshot(page, "holds-exports")
    overdue = row(page, "downloads-table", "OLD-CASE-1")
    overdue.get_by_role("button", name=f"Record download {late_id} destroyed").click()
    expect(overdue).not_to_have_class("overdue")
    expect(overdue).to_contain_text("by user:ev")


def test_sharing_decisions_go_through_the_law(page: Page, console: Console) -> None:
    # REQ S1 REQ S5 REQ S6 — refusals by rule shown; officer's decision with reason; the record
    now = utcnow()
    with console.database.unit_of_work() as session:
        da = agencies.register_agency(session, name="Alameda County DA",
                                      kind=AgencyKind.CA_PROSECUTOR, jurisdiction="Alameda",
                                      contacts="dda@example.org", actor="console-test", now=now)
        agencies.register_agency(session, name="US Border Patrol", kind=AgencyKind.FEDERAL,
                                 jurisdiction="United States", contacts=None,
                                 actor="console-test", now=now)
        agencies.record_agreement(session, agency_id=da.id, starts_at=now - timedelta(days=1),
                                  ends_at=now + timedelta(days=365), scope="ALPR reads",
                                  standing_access=False, actor="console-test", now=now)
        for agency, case in (("Alameda County DA", "26-DA-11"), ("US Border Patrol", "26-BP-2")):
            requests.submit(session, given=ShareRequestIn(
                agency=agency, requester_name="DDA Kim", right_to_know="PC 1054.1",
                case_number=case, involvement="Prosecuting the case",
                purpose_category="criminal_investigation", purpose_text="Trial evidence",
                attests_no_immigration=True, attests_no_reproductive_health=True,
                attests_no_resharing=True), actor="console-test",
                policy=console.policy, now=now)
    login(page, console.account(*ADMIN, prefix="shr"), next_path="/sharing")
    expect(row(page, "agencies-table", "Alameda County DA")).to_contain_text("current")
    refused = row(page, "requests-table", "26-BP-2")
    expect(refused).to_contain_text("refused")
    expect(refused).to_contain_text("Rule ca-public-agency")

    pending = row(page, "requests-table", "26-DA-11")
    request_id = pending.get_attribute("data-request")
    pending.get_by_label(f"Decision on request {request_id}", exact=True).select_option("true")
    pending.get_by_label(f"Reason for the decision on request {request_id}").fill(
        "Right and need to know shown")
    pending.get_by_role("button", name=f"Decide request {request_id}").click()
    expect(pending).to_contain_text("honored")
    expect(pending).to_contain_text("Right and need to know shown")
    pending.get_by_label(f"Reads sent for request {request_id}").fill("4")
    pending.get_by_label(f"Message for request {request_id}").fill("Four reads by email")
    pending.get_by_role("button", name=f"Record transfer for request {request_id}").click()
    shared = row(page, "report-table", "26-DA-11")
    expect(shared).to_contain_text("Alameda County DA")
    expect(shared.locator("td").nth(4)).to_have_text("4")
    screenshot(page, "sharing")


def test_cameras_show_health_tickets_and_masks(page: Page, console: Console) -> None:
    # REQ C4 REQ C6 — health and open tickets at a glance; masks versioned, changed via the API
    console.camera("adm-cam-ok", lat=37.80, lon=-122.27)
    console.camera("adm-cam-quiet", lat=37.81, lon=-122.26)
    with console.database.unit_of_work() as session:
        quiet = session.get(Camera, "adm-cam-quiet")
        assert quiet is not None
        quiet.created_at = utcnow() - timedelta(days=2)  # never heard from in two days
        health.open_ticket(session, camera=quiet, kind="silent", actor="system:health",
                           description="No heartbeat or read for 2 days")
    login(page, console.account(*ADMIN, prefix="cam"), next_path="/cameras")
    expect(row(page, "cameras-table", "adm-cam-ok").locator("td").nth(5)).to_have_text("ok")
    quiet_row = row(page, "cameras-table", "adm-cam-quiet")
    expect(quiet_row.locator("td").nth(5)).to_have_text("silent")
    expect(quiet_row.locator("td").nth(6)).to_have_text("1")
    expect(row(page, "tickets-table", "No heartbeat or read for 2 days")).to_contain_text("open")

    page.get_by_text("Add or change a mask").click()
    mask = page.locator("#mask-form")
    mask.get_by_label("Name").fill("adm-driveway")
    mask.get_by_label("Kind").select_option("image")
    mask.get_by_label("Camera").select_option("adm-cam-ok")
    mask.get_by_label("Polygon").fill("[[0, 0], [100, 0], [100")
    mask.get_by_label("Reason").fill("Private driveway")
    mask.get_by_role("button", name="Save mask").click()
    expect(mask.get_by_role("alert")).to_contain_text("JSON")  # not sent at all
    mask.get_by_label("Polygon").fill("[[0, 0], [100, 0], [100, 50]]")
    mask.get_by_role("button", name="Save mask").click()
    expect(row(page, "masks-table", "adm-driveway")).to_contain_text("[[0.0, 0.0], [100.0, 0.0]")
    page.get_by_text("Add or change a mask").click()
    mask.get_by_label("Name").fill("adm-driveway")
    mask.get_by_label("Camera").select_option("adm-cam-ok")
    mask.get_by_label("Polygon").fill("[[0, 0], [120, 0], [120, 60], [0, 60]]")
    mask.get_by_label("Reason").fill("Driveway is wider")
    mask.get_by_role("button", name="Save mask").click()
    masked = row(page, "masks-table", "adm-driveway")
    expect(masked).to_contain_text("v2")
    expect(masked).to_contain_text("2 versions")

    ok_row = row(page, "cameras-table", "adm-cam-ok")
    ok_row.get_by_label("Reason to disable adm-cam-ok").fill("Pole knocked down")
    ok_row.get_by_role("button", name="Disable camera adm-cam-ok").click()
    expect(ok_row.locator("td").nth(5)).to_have_text("disabled")
    screenshot(page, "cameras")


def test_camera_key_is_rotated_from_the_console_and_shown_once(page: Page, console: Console
                                                               ) -> None:
    # REQ C7 — an administrator rotates a camera's key; the old one works during the grace
    old = console.camera("adm-cam-key", lat=37.80, lon=-122.27)
    login(page, console.account(*ADMIN, prefix="key"), next_path="/cameras")
    key_row = row(page, "cameras-table", "adm-cam-key")
    key_row.get_by_label("Hours the old key of adm-cam-key keeps working").fill("0")
    key_row.get_by_role("button", name="Rotate the API key of camera adm-cam-key").click()
    shown = key_row.get_by_role("status")
    expect(shown).to_contain_text("alpr_cam_")
    new = shown.inner_text().rsplit(" ", 1)[-1]
    read = {"id": str(uuid.uuid4()), "plate": "8XYZ789", "confidence": 0.9,
            "captured_at": (utcnow() - timedelta(seconds=5)).isoformat()}
    assert console.post_reads(new, [read])["accepted"] == 1
    refused = httpx.post(f"{console.url}/api/v1/reads", json={"reads": []},
                         headers={"Authorization": f"Bearer {old}"}, timeout=30)
    assert refused.status_code == 401  # grace 0: the old key is refused at once


def test_audit_page_filters_the_log_and_shows_the_chain_verified(
        page: Page, console: Console) -> None:
    # REQ L1 — every access is in the log, filterable by user and event; the chain is checked
    auditor = console.account(*ADMIN, prefix="aud")
    login(page, auditor, next_path="/audit")
    expect(page.locator("#chain-status")).to_contain_text(re.compile("chain verified", re.I))
    screenshot(page, "audit")
    page.get_by_label("User or actor").fill(f"user:{auditor.username}")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"actor=user%3A{auditor.username}"))
    entries = page.locator("#audit-table tbody tr")
    expect(entries.first).to_contain_text(f"user:{auditor.username}")
    actors = entries.locator("td:nth-child(4)").all_inner_texts()
    assert actors and all(a.startswith(f"user:{auditor.username}") for a in actors)
    expect(page.get_by_role("link", name="Export these entries as CSV")).to_have_attribute(
        "href", re.compile(rf"/api/v1/audit/export\.csv\?actor=user%3A{auditor.username}"))
    page.get_by_label("Event").select_option("audit:query")
    page.get_by_role("button", name="Filter").click()
    expect(entries.first).to_contain_text("audit:query")  # viewing the log was recorded
    expect(page.locator("#chain-status")).to_contain_text(re.compile("chain verified", re.I))


def test_data_user_is_refused_every_admin_page_and_sees_no_link(
        page: Page, console: Console) -> None:
    # REQ U2 — administration is for administrators: no link, and a 403 page by URL
    login(page, console.account(Role.DATA_USER, prefix="du"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Search")).to_be_visible()
    for name in ("Holds & exports", "Sharing", "Cameras", "Audit"):
        expect(nav.get_by_role("link", name=name)).to_have_count(0)
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_contain_text("403")


def test_auditor_sees_the_audit_log_and_no_other_admin_page(page: Page, console: Console
                                                            ) -> None:
    # REQ U2 — each administration page follows its own permission
    login(page, console.account(Role.AUDITOR, prefix="aonly"), next_path="/audit")
    expect(page.locator("#chain-status")).to_contain_text(re.compile("chain verified", re.I))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Audit", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Holds & exports")).to_have_count(0)
    for path in ("/holds", "/sharing", "/cameras"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
