"""Login, the start page and the console's error pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal, public
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists.alert_views import list_alerts
from alpr.users.permissions import Permission
from alpr.users.schemas import BANNER
from alpr.web.dashboard import RECENT_ALERTS, panels
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, _: Annotated[None, Depends(public)], policy: PolicyDep,
               next: str = "/", reason: str | None = None) -> HTMLResponse:
    # Only a path on this site: an open redirect would make the login page a phishing aid.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return render(request, "login.html", None, title="Sign in", banner=BANNER, next=target,
                  reason=reason, mfa=policy.security.mfa_required,
                  devices=policy.security.require_registered_devices)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: Annotated[Principal, Depends(page())]) -> HTMLResponse:
    """A start page per role: recent alerts, camera health, what waits for approval."""
    recent = (list_alerts(principal, limit=RECENT_ALERTS)
              if Permission.ALERTS_RECEIVE in principal.permissions else [])
    with unit_of_work() as session:
        shown = panels(session, principal, utcnow(), recent)
    return render(request, "home.html", principal, title="Start", panels=shown)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, principal: Annotated[Principal, Depends(page())],
            policy: PolicyDep) -> HTMLResponse:
    return render(request, "account.html", principal, title="Your account",
                  min_length=policy.security.password_min_length)
