"""create_app: the FastAPI application, refusing to start with an unguarded route."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from alpr import __version__
from alpr.api.deps import route_guard
from alpr.api.docs import router as docs_router
from alpr.api.errors import install as install_error_handlers
from alpr.api.health import router as health_router
from alpr.api.limits import BodyRule, GateConfig, InputGate
from alpr.api.openapi import install as install_openapi
from alpr.audit.middleware import AuditMiddleware, declare_audit_rules
from alpr.audit.views import router as audit_router
from alpr.audit.views import transparency_router as audit_heads_router
from alpr.cameras.views import router as cameras_router
from alpr.config import Settings, get_settings
from alpr.hotlists.alert_views import router as alerts_router
from alpr.hotlists.views import router as hotlists_router
from alpr.integrations.views import router as integrations_router
from alpr.policy import Policy, load_checked_policy
from alpr.reads.images import image_store
from alpr.reads.schemas import ReadIn
from alpr.reads.views import router as reads_router
from alpr.reports.transparency import router as transparency_router
from alpr.reports.views import router as audits_router
from alpr.retention.views import router as retention_router
from alpr.search.views import router as search_router
from alpr.sharing.views import router as sharing_router
from alpr.users.credentials import router as credentials_router
from alpr.users.device_views import router as devices_router
from alpr.users.views import auth_router
from alpr.users.views import router as users_router
from alpr.web import install as install_console

ROUTERS = (
    health_router,
    docs_router,
    auth_router,
    users_router,
    credentials_router,
    devices_router,
    cameras_router,
    reads_router,
    hotlists_router,
    alerts_router,
    search_router,
    audit_router,
    sharing_router,
    retention_router,
    audits_router,
    transparency_router,
    integrations_router,
    audit_heads_router,
)


def create_app(*, settings: Settings | None = None, policy: Policy | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="alpr",
        version=__version__,
        description="Automated License Plate Recognition with SB 34 enforced in software.",
        # Served from vendored assets by alpr.api.docs (no CDN; the CSP stays intact).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policy = policy or load_checked_policy(settings.policy)
    app.state.images = image_store(settings)
    # Hot-list snapshots and read batches are large and compress well.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    for router in ROUTERS:
        app.include_router(router)
    install_console(app)
    install_error_handlers(app, retry_after=settings.db_retry_after_seconds)
    install_openapi(app, extra_models=(ReadIn,))
    # Sizes, nesting and control characters are checked before any route runs ...
    app.add_middleware(InputGate, config=gate_config(settings))
    # ... and the audit rule, outermost, sees every answer, also the gate's 413s.
    app.add_middleware(AuditMiddleware)
    check_every_route_guarded(app)
    declare_audit_rules(api_routes(app.routes))
    return app


def gate_config(settings: Settings) -> GateConfig:
    return GateConfig(
        max_body=settings.max_body_bytes,
        rules=(BodyRule(re.compile(r"/api/v1/hotlists/[^/]+/import"),
                        settings.max_upload_bytes, "ALPR_MAX_UPLOAD_BYTES"),),
        max_json_depth=settings.max_json_depth,
        # A batch of reads judges each read's text itself: one bad read never sinks the rest.
        per_item_paths=frozenset({"/api/v1/reads"}),
    )


def check_every_route_guarded(app: FastAPI) -> None:
    """Deny by default: a route without a permission (or an explicit `public`) is a bug."""
    unguarded = [f"{sorted(route.methods or [])} {route.path}"
                 for route in api_routes(app.routes) if not route_guards(route)]
    if unguarded:
        raise RuntimeError("routes without a permission check: " + ", ".join(unguarded))


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, also inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif isinstance(nested := getattr(route, "original_router", None), APIRouter):
            # FastAPI >= 0.120 keeps an included router as one lazy route: look inside it.
            yield from api_routes(nested.routes)


def route_guards(route: APIRoute) -> set[str]:
    """The guards a route's dependencies declare: permissions, 'public', 'authenticated'."""
    found: set[str] = set()
    stack: list[Dependant] = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if (guard := route_guard(dependency.call)) is not None:
            found.add(guard)
        stack.extend(dependency.dependencies)
    return found
