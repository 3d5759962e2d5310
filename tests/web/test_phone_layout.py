"""Every console page and the public page on a phone (390×844): nothing scrolls sideways,
and a screenshot of each is saved for docs/console.md (issue 21)."""

from __future__ import annotations

from playwright.sync_api import Browser

from alpr.users.permissions import Role
from tests.web.conftest import Console, login, screenshot
from tests.web.test_accessibility import PAGES

PHONE = {"width": 390, "height": 844}


def test_the_sign_in_page_links_to_the_public_page(browser: Browser, console: Console) -> None:
    # REQ P2 — the public page is one click from the sign-in page
    context = browser.new_context(viewport=PHONE, base_url=console.url)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("link", name="How this agency uses license plate readers").click()
    page.wait_for_url("**/transparency")
    assert "License plate readers at" in page.title()
    context.close()


def test_every_page_fits_a_phone(browser: Browser, console: Console) -> None:
    # REQ A1 — patrol officers use phones; every page must be usable on one
    context = browser.new_context(viewport=PHONE, base_url=console.url,  # type: ignore[arg-type]
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    everyone = console.account(Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR,
                               Role.PATROL, Role.AUDITOR, prefix="phone")
    login(page, everyone)
    wide = {}
    for path in [*PAGES, "/transparency"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprit = page.evaluate("""() => { let worst = null, right = 0;
                for (const el of document.querySelectorAll('body *')) {
                    const r = el.getBoundingClientRect();
                    if (r.right > right && getComputedStyle(el).position !== 'fixed') {
                        right = r.right; worst = el; } }
                return worst ? worst.tagName + '#' + worst.id + '.' + worst.className : ''; }""")
            wide[path] = f"{width}px ({culprit})"
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"phone-{name}")
    context.close()
    assert not wide, f"pages that scroll sideways on a phone: {wide}"
