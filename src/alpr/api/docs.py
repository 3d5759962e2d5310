"""API documentation pages (Swagger UI at /docs, ReDoc at /redoc) from vendored assets.

FastAPI's own pages load their scripts from a CDN and start them with an inline script;
our Content-Security-Policy allows neither, so these pages use the copies under
/static/vendor and start them from /static/api-docs.js.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from alpr.api.deps import public

router = APIRouter(include_in_schema=False)
Public = Annotated[None, Depends(public)]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>alpr API — {title}</title>
{head}
</head>
<body>
<main id="{element}" data-openapi-url="/openapi.json" data-viewer="{viewer}"></main>
{scripts}
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(_: Public) -> HTMLResponse:
    """Try the API in the browser (Swagger UI)."""
    return HTMLResponse(_PAGE.format(
        title="Swagger UI", element="swagger-ui", viewer="swagger",
        head=('<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">\n'
              '<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">'),
        scripts=('<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>\n'
                 '<script src="/static/api-docs.js"></script>'),
    ))


@router.get("/redoc", response_class=HTMLResponse)
def redoc(_: Public) -> HTMLResponse:
    """Read the API reference (ReDoc)."""
    page = _PAGE.format(
        title="ReDoc", element="redoc", viewer="redoc", head="",
        scripts=('<script src="/static/vendor/redoc/redoc.standalone.js"></script>\n'
                 '<script src="/static/api-docs.js"></script>'),
    )
    # ReDoc runs its search index in a worker it builds from a blob of its own script;
    # this page alone allows that (the console's policy is otherwise unchanged).
    from alpr.web.headers import content_security_policy  # the console package imports the API

    policy = content_security_policy(None) + "; worker-src 'self' blob:"
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})
