"""The console's plumbing: templates, the page guard and the navigation.

Pages are server-rendered over the same services and permissions as the API; what a
page changes, it changes by calling the JSON API from the browser (static/console.js),
so the console has no rules of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alpr.api.deps import Principal, authenticated, require
from alpr.users.permissions import Permission
from alpr.web.basemap import BASEMAP_PATH

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# The menu: a link shows only to callers with its permission (a Patrol user sees neither
# search nor any administration page).
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/alerts", "Live alerts", Permission.ALERTS_RECEIVE),
    ("/search", "Search", Permission.READS_SEARCH),
    ("/hotlists", "Hot lists", Permission.HOTLIST_ENTER),
    ("/holds", "Holds & exports", Permission.RETENTION_MANAGE),
    ("/sharing", "Sharing", Permission.SHARING_MANAGE),
    ("/cameras", "Cameras", Permission.CAMERAS_MANAGE),
    ("/users", "Users", Permission.USERS_MANAGE),
    ("/audit", "Audit", Permission.AUDIT_VIEW),
    ("/audits", "Audits & reports", Permission.AUDIT_VIEW),
)


def page(permission: Permission | None = None) -> Callable[..., Principal]:
    """The guard of a console page: the API's own (a signed-in user, with `permission`
    when given); a browser without a session is sent to the login page instead of a 401."""
    return authenticated if permission is None else require(permission)


def nav_for(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(href, label) for href, label, needed in NAV if needed in principal.permissions]


def render(request: Request, template: str, principal: Principal | None, *,
           title: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request, template, status_code=status_code,
        context={"principal": principal, "nav": nav_for(principal), "title": title,
                 "agency": request.app.state.policy.agency.name,
                 "tile_url": settings.map_tile_url, "map_center": list(settings.map_center),
                 "basemap": BASEMAP_PATH if settings.map_pmtiles else None,
                 "can": (principal.permissions if principal else frozenset()), **context})


def login_url(path: str, reason: str | None = None) -> str:
    url = f"/login?next={quote(path)}"
    return f"{url}&reason={quote(reason)}" if reason else url
