"""The hot-list pages: a manual entry from the form, approved by another administrator in
the queue; an import that reports its bad line and keeps the good ones; records in error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy import select

from alpr.hotlists import importing, service
from alpr.hotlists.models import HotListEntry
from alpr.users.permissions import Role
from tests.web.conftest import VIEWPORT, Console, login, screenshot


def make_list(console: Console, name: str, source: str) -> None:
    with console.database.unit_of_work() as session:
        service.create_list(session, name=name, source=source, actor="console-test",
                            policy=console.policy)


def entry_for(console: Console, plate: str) -> HotListEntry:
    with console.database.unit_of_work() as session:
        entry = session.scalars(select(HotListEntry).where(HotListEntry.plate == plate)).one()
        session.expunge(entry)
        return entry


@pytest.fixture
def second_page(browser: Browser, console: Console) -> Iterator[Page]:
    """Another person at another computer: a browser context with its own session."""
    context = browser.new_context(viewport=VIEWPORT, base_url=console.url)  # type: ignore[arg-type]
    yield context.new_page()
    context.close()


def enter_plate(page: Page, *, list_label: str, plate: str, case: str,
                urgent: bool = False) -> None:
    form = page.locator("#entry-form")
    form.get_by_label("List").select_option(label=list_label)
    form.get_by_label("Plate", exact=True).fill(plate)
    form.get_by_label("State", exact=True).fill("CA")
    form.get_by_label("Reason", exact=True).fill("child abduction")
    form.get_by_label("Case number").fill(case)
    form.get_by_label("Justification").fill(f"Amber alert {case}, suspect vehicle")
    if urgent:
        form.get_by_label("Urgent").check()
    form.get_by_role("button", name="Save entry").click()


def test_manual_entry_waits_until_another_administrator_approves_it(
        page: Page, second_page: Page, console: Console) -> None:
    # REQ H3
    make_list(console, "amber-web", "AMBER")
    officer = console.account(Role.DATA_USER, prefix="officer")
    login(page, officer, next_path="/hotlists")
    enter_plate(page, list_label="amber-web (AMBER)", plate="7kid 123", case="26-0042")
    expect(page.locator("#flash")).to_contain_text("7KID123) saved: waiting for approval")
    row = page.locator("#approval-queue").get_by_role("row").filter(has_text="7KID123")
    expect(row).to_contain_text("26-0042")
    expect(row).to_contain_text(officer.username)
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)  # no HOTLIST_APPROVE
    entered = entry_for(console, "7KID123")
    assert (entered.status, entered.entered_by, entered.case_number) == (
        "pending", f"user:{officer.username}", "26-0042")
    assert entered.entered_at is not None and entered.justification
    screenshot(page, "hotlists")

    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="alpradmin")
    login(second_page, admin, next_path="/hotlists")
    row = second_page.locator("#approval-queue").get_by_role("row").filter(has_text="7KID123")
    screenshot(second_page, "hotlist-approval")
    row.get_by_role("button", name="Approve").click()
    expect(second_page.locator("#flash")).to_contain_text("7KID123) approved")
    expect(second_page.locator("#approval-queue").get_by_role("row").filter(has_text="7KID123")
           ).to_have_count(0)
    approved = entry_for(console, "7KID123")
    assert (approved.status, approved.decided_by) == ("active", f"user:{admin.username}")


def test_nobody_approves_their_own_entry(page: Page, console: Console) -> None:
    # REQ H3
    make_list(console, "silver-web", "SILVER")
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="alpradmin")
    login(page, admin, next_path="/hotlists")
    enter_plate(page, list_label="silver-web (SILVER)", plate="5OWN555", case="26-0043")
    row = page.locator("#approval-queue").get_by_role("row").filter(has_text="5OWN555")
    expect(row).to_contain_text("Your entry")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_role("alert").first).to_have_text(
        "an entry must be approved by someone other than who entered it")
    assert entry_for(console, "5OWN555").status == "pending"


def test_urgent_amber_entry_is_active_at_once(page: Page, console: Console) -> None:
    # REQ H4
    make_list(console, "amber-urgent", "AMBER")
    officer = console.account(Role.DATA_USER, prefix="officer")
    login(page, officer, next_path="/hotlists")
    enter_plate(page, list_label="amber-urgent (AMBER)", plate="4FAST44", case="26-0044",
                urgent=True)
    expect(page.locator("#flash")).to_contain_text("4FAST44) saved: active")
    assert entry_for(console, "4FAST44").status == "active"


CLEW = (b"DATE07/02/2026 09:00\n"
        b"8WEB001 CA0120260627\n"
        b"!!      CA01\n"
        b"8WEB002 CA0220260430\n"
        b"TOTAL RECORD 0000003\n")


def test_import_reports_the_bad_line_and_keeps_the_good_ones(
        page: Page, console: Console) -> None:
    # REQ H2
    make_list(console, "svs-web", "SVS")
    admin = console.account(Role.ALPR_ADMINISTRATOR, prefix="alpradmin")
    login(page, admin, next_path="/hotlists")
    form = page.locator("#import-form")
    form.get_by_label("List").select_option("svs-web")
    form.get_by_label("File layout").select_option("clew-svs")
    form.get_by_label("File", exact=True).set_input_files(
        FilePayload(name="svs.tbl", mimeType="text/plain", buffer=CLEW))
    form.get_by_role("button", name="Import").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("2 entries loaded")
    problems = result.get_by_role("table", name="Lines refused")
    expect(problems.get_by_role("row")).to_have_count(2)  # header + the one bad line
    expect(problems.get_by_role("row").nth(1)).to_contain_text("3")
    screenshot(page, "hotlists-import")
    with console.database.unit_of_work() as session:
        plates = sorted(e.plate for e, _ in service.list_entries(session, list_name="svs-web"))
    assert plates == ["8WEB001", "8WEB002"]
    # The lists table shows the import at once, without a reload (issue 21).
    listed = page.locator("#lists").get_by_role("row").filter(has_text="svs-web")
    expect(listed.get_by_role("cell")).to_have_text(
        ["svs-web", "SVS", "", re.compile(r"\d{4}-\d\d-\d\d .*generation 1"), "2", "0", "0", "0"])


def test_list_page_pages_entries_and_flags_a_record_in_error(
        page: Page, console: Console) -> None:
    # REQ A4
    make_list(console, "svs-flag", "SVS")
    text = "DATE07/02/2026 09:00\n" + "".join(
        f"9FL{n:04d} CA0120260627\n" for n in range(105)) + "TOTAL RECORD 0000105\n"
    from alpr.hotlists.profiles import parse_clew
    with console.database.unit_of_work() as session:
        importing.import_entries(session, list_name="svs-flag",
                                 parsed=parse_clew(text, table="svs"), actor="console-test",
                                 policy=console.policy, file_name="svs.tbl")
    officer = console.account(Role.DATA_USER, prefix="officer")
    login(page, officer, next_path="/hotlists/svs-flag")
    entries = page.locator("#entries")
    expect(entries.get_by_role("row")).to_have_count(101)  # header + a page of 100
    page.get_by_role("link", name="Next page").click()
    expect(entries.get_by_role("row")).to_have_count(6)
    page.get_by_label("Plate contains").fill("9FL0007")
    page.get_by_role("button", name="Filter").click()
    row = entries.get_by_role("row").filter(has_text="9FL0007")
    expect(entries.get_by_role("row")).to_have_count(2)
    row.get_by_text("Record in error").click()
    row.get_by_label("Why is entry").fill("vehicle recovered 07/01, want not cancelled")
    screenshot(page, "hotlist-entries")
    row.get_by_role("button", name="Flag entry").click()
    expect(page.locator("#flash")).to_contain_text("flagged as a record in error")
    expect(entries.get_by_role("row").filter(has_text="9FL0007")).to_contain_text("in error")
    flagged = entry_for(console, "9FL0007")
    assert (flagged.status, flagged.flagged_by) == ("in_error", f"user:{officer.username}")
