"""Case work on the search page (issue 21): camera names, the total, sorting, a CSV and a
PDF case report, and selected reads turned into a hold request (the analyst asks, a
supervisor approves) or an evidence package — each an audited access. # REQ R3 R4 R6"""

from __future__ import annotations

import base64
import io
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.retention.models import Hold, HoldRead
from alpr.users.permissions import Role
from tests.helpers import jpeg
from tests.pdfcheck import assert_rendered
from tests.web.conftest import ARTIFACTS, Console, login, screenshot
from tests.web.test_search import fill_purpose, rows

PLATES = ["7CWK301", "7CWK302", "7CWK303", "7CWK304"]


def _seed(console: Console) -> None:
    key = console.camera("cw-cam", lat=37.79, lon=-122.40)
    with console.database.unit_of_work() as session:
        camera = session.get(Camera, "cw-cam")
        assert camera is not None
        camera.name = "Market at 3rd"
    image = base64.b64encode(jpeg((40, 90, 160), (160, 60))).decode()
    now = utcnow()
    console.post_reads(key, [
        {"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9, "plate_image": image,
         "captured_at": (now - timedelta(minutes=5 + n)).isoformat()}
        for n, plate in enumerate(PLATES)])


def test_results_downloads_hold_request_and_evidence(page: Page, console: Console) -> None:
    # REQ Q6 — results with camera names and a total; REQ R3, R4 — an analyst asks for a
    # hold, it waits for a supervisor; REQ R6 — an evidence package of the selected reads
    _seed(console)
    analyst = console.account(Role.DATA_USER, prefix="analyst")
    login(page, analyst, next_path="/search")
    fill_purpose(page, case_number="26-007001")
    page.get_by_label("Plate", exact=True).fill("7CWK*")
    page.get_by_label("Results per page").select_option("25")
    page.get_by_label("Sort by").select_option("plate")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows(page)).to_have_count(4)
    expect(page.locator("#results-status")).to_contain_text("4 reads in all")
    expect(page.locator("#results-status")).to_contain_text("by plate")
    expect(rows(page).first).to_contain_text("Market at 3rd")
    expect(rows(page).first).to_contain_text("7CWK301")

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV (this page)").click()
    text = Path(csv_download.value.path()).read_text()
    assert all(plate in text for plate in PLATES) and "Market at 3rd" in text
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="PDF case report (this page)").click()
    pdf = ARTIFACTS / "case-report.pdf"
    pdf_download.value.save_as(pdf)
    assert_rendered(pdf, ["ALPR search report — 26-007001", "7CWK301", "Market at 3rd"],
                    png=ARTIFACTS / "case-report-page1.png")

    expect(page.get_by_role("button", name="Request hold")).to_be_disabled()
    page.get_by_label("Select read 7CWK301").check()
    page.get_by_label("Select read 7CWK302").check()
    expect(page.locator("#selected-count")).to_have_text("2 reads selected.")
    page.get_by_label("What the reads are needed for").fill("burglary suspect vehicle")
    page.get_by_label("Investigator contact").fill("Det. Reyes, ext. 4411")
    page.get_by_role("button", name="Request hold").click()
    expect(page.locator("#flash")).to_contain_text("Hold requested")
    with console.database.unit_of_work() as session:
        hold = session.scalars(select(Hold).where(Hold.case_number == "26-007001")).one()
        assert hold.status == "pending" and hold.requested_by == f"user:{analyst.username}"
        held = session.scalars(select(HoldRead).where(HoldRead.hold_id == hold.id)).all()
        assert len(held) == 2

    with page.expect_download() as zip_download:
        page.get_by_role("button", name="Export evidence for the selected reads").click()
    package = zipfile.ZipFile(io.BytesIO(Path(zip_download.value.path()).read_bytes()))
    pictures = [n for n in package.namelist() if n.startswith("images/")]
    assert sorted(n.split("/")[1][:7] for n in pictures) == ["7CWK301", "7CWK302"]
    assert "report.pdf" in package.namelist()
    screenshot(page, "search-case-work")
    with console.database.unit_of_work() as session:
        exported = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "evidence:export",
            AuditEntry.actor == f"user:{analyst.username}")).all()
        assert exported and "26-007001" in (exported[-1].purpose or "")
