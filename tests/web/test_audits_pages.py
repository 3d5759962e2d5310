"""Audits and the annual report in the console (issue 21): an auditor runs a periodic audit
and reviews its sample, the ALPR Administrator approves and publishes it, and anyone may
read the annual report as a page or download its PDF (REQ L3, L4, L5, P1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from alpr.users.permissions import Role
from tests.pdfcheck import assert_rendered
from tests.reports.factories import search
from tests.web.conftest import ARTIFACTS, Console, login, screenshot


def test_audit_run_reviewed_approved_and_published_in_the_console(page: Page,
                                                                  console: Console) -> None:
    # REQ L3 — a random sample of searches; REQ L4 — approved by the ALPR Administrator
    with console.database.unit_of_work() as session:
        for day in (3, 9, 17):
            search(session, at=datetime(2025, 3, day, 15, tzinfo=UTC), case=f"25-00{day:04d}")
    auditor = console.account(Role.AUDITOR, prefix="auditor")
    login(page, auditor, next_path="/audits")
    page.get_by_label("From (UTC)").fill("2025-03-01T00:00")
    page.get_by_label("To (UTC)").fill("2025-04-01T00:00")
    page.get_by_role("button", name="Run audit").click()
    link = page.get_by_role("table").get_by_role("link", name=re.compile(r"Audit \d+")).first
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("open")
    assert page.get_by_role("button", name="Approve the results").count() == 0  # not theirs
    samples = page.locator("article.sample")
    expect(samples).to_have_count(3)  # 3 searches: the whole population is sampled
    first = samples.first
    for label in ("The purpose names a specific matter", "The case number is a real case",
                  "The person searched for is plausible"):
        first.get_by_label(label).check()
    first.get_by_role("button", name=re.compile("Record review")).click()
    expect(page.locator("article.sample").first).to_contain_text("passed")
    second = page.locator("article.sample").nth(1)
    second.get_by_label("The purpose names a specific matter").check()
    second.get_by_label("Note").fill("case number not in the records system")
    second.get_by_role("button", name=re.compile("Record review")).click()
    expect(page.locator("article.sample").nth(1)).to_contain_text("failed")
    expect(page.get_by_role("region", name=re.compile("Findings"))).to_contain_text(
        "case number not in the records system")
    audit_url = page.url
    screenshot(page, "audit-review")

    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="admin")
    page.context.clear_cookies()
    login(page, admin, next_path=audit_url.removeprefix(console.url))
    # Not before every sample is reviewed: the refusal is shown on the form.
    page.get_by_role("button", name="Approve the results").click()
    expect(page.locator("#approve-form [data-error]")).to_contain_text("not reviewed yet")
    page.context.clear_cookies()
    # Another auditor (a one-time code is never accepted twice, so not the same login).
    login(page, console.account(Role.AUDITOR, prefix="auditor"),
          next_path=audit_url.removeprefix(console.url))
    third = page.locator("article.sample").nth(2)
    for label in ("The purpose names a specific matter", "The case number is a real case",
                  "The person searched for is plausible"):
        third.get_by_label(label).check()
    third.get_by_role("button", name=re.compile("Record review")).click()
    expect(page.locator("article.sample").nth(2)).to_contain_text("passed")
    page.context.clear_cookies()
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="admin")
    login(page, admin, next_path=audit_url.removeprefix(console.url))
    page.get_by_label("Note with the approval").fill("reviewed with the auditor")
    page.get_by_role("button", name="Approve the results").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("approved")
    page.get_by_role("button", name="Publish on the transparency page").click()
    expect(page.locator("main")).to_contain_text("Published on the transparency page")
    page.goto("/transparency")
    expect(page.locator("body")).to_contain_text("2025-03-01")


def test_annual_report_page_and_pdf(page: Page, console: Console) -> None:
    # REQ P1 — the annual report in the console, as a page and as a PDF a person can read
    auditor = console.account(Role.AUDITOR, prefix="auditor")
    login(page, auditor, next_path="/audits")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Open the report").click()
    expect(page).to_have_url(f"{console.url}/reports/annual/2025")
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    screenshot(page, "annual-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = ARTIFACTS / "annual-2025.pdf"
    download.value.save_as(pdf)
    assert_rendered(pdf, ["ALPR annual report 2025", "Calendar year 2025 (UTC)."],
                    png=ARTIFACTS / "annual-2025-page1.png")
    assert page.request.get("/reports/annual/2025/download/other.pdf").status == 404
