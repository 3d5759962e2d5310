"""The web console: server-rendered pages over the API's services and permissions."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from alpr.web import alerts, audit, cameras, holds, hotlists, reports, search, sharing, users
from alpr.web.basemap import router as basemap_router
from alpr.web.headers import SecurityHeaders
from alpr.web.home import router as home_router
from alpr.web.pages import HERE, login_url, render

ROUTERS = (home_router, basemap_router, alerts.router, search.router, hotlists.router, users.router,
           holds.router, sharing.router, cameras.router, audit.router, reports.router)


def install(app: FastAPI) -> None:
    """Mount the console's pages, its static files and its error pages on the API app."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _error_page)  # type: ignore[arg-type]
    app.add_middleware(SecurityHeaders, tile_url=app.state.settings.map_tile_url)


async def _error_page(request: Request, error: StarletteHTTPException) -> Response:
    # The API keeps its JSON errors; a person in the console gets the login page or a page
    # that says why.
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""):
        return await http_exception_handler(request, error)
    if error.status_code == 401:
        reason = None if error.detail == "authentication required" else str(error.detail)
        return RedirectResponse(login_url(request.url.path, reason), status_code=303)
    return render(request, "error.html", None, title=f"Error {error.status_code}",
                  status_code=error.status_code, code=error.status_code, detail=error.detail)
