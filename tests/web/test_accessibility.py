"""Every console page passes axe-core's WCAG 2 A/AA rules (labels, names, contrast,
landmarks, keyboard focus order) with no serious or critical violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from alpr.users.permissions import Role
from tests.web.conftest import VIEWPORT, Console, login

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = ["/", "/alerts", "/alerts/inspection", "/search", "/hotlists", "/holds", "/sharing",
         "/cameras", "/users", "/audit", "/audits", "/reports/annual/2026", "/account"]


def violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def summary(found: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
                     for v in found)


@pytest.fixture
def admin_page(browser: Browser, console: Console) -> Page:
    # axe is injected as a script, which the console's own CSP rightly forbids: bypass it
    # for this test only.
    context = browser.new_context(viewport=VIEWPORT, base_url=console.url,  # type: ignore[arg-type]
                                  bypass_csp=True)
    return context.new_page()


def test_login_page_is_accessible(admin_page: Page) -> None:
    # REQ U11
    admin_page.goto("/login")
    found = violations(admin_page)
    assert not found, summary(found)


def test_every_console_page_is_accessible(admin_page: Page, console: Console) -> None:
    # REQ U2 — every page, as a user who may see them all
    everyone = console.account(Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR,
                               Role.PATROL, Role.AUDITOR, prefix="a11y")
    login(admin_page, everyone)
    problems = {}
    for path in PAGES:
        admin_page.goto(path)
        admin_page.wait_for_load_state("networkidle")
        if found := violations(admin_page):
            problems[path] = summary(found)
    assert not problems, problems
