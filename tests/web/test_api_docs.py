"""API documentation works offline under the console's CSP (issue 21): Swagger UI and
ReDoc come from vendored files, so with every outside address blocked the pages still list
the operations and no script is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route

from tests.web.conftest import Console, screenshot


def _offline(page: Page, console: Console) -> list[str]:
    """Block everything but the server itself; collect CSP violations and outside requests."""
    blocked: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(console.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    return blocked


@pytest.mark.parametrize(("path", "operation"), [
    ("/docs", re.compile(r"/api/v1/reads")),
    ("/redoc", re.compile(r"/api/v1/reads")),
])
def test_api_docs_list_the_operations_with_the_network_blocked(
        page: Page, console: Console, path: str, operation: re.Pattern[str]) -> None:
    blocked = _offline(page, console)
    response = page.goto(path)
    assert response is not None
    assert response.ok
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    page.get_by_text(operation).first.wait_for(timeout=30_000)
    assert page.get_by_text(re.compile(r"/api/v1/search")).count() > 0
    screenshot(page, f"api{path.replace('/', '-')}")
    assert blocked == []
