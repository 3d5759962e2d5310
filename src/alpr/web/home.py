"""Login, the start page and the console's error pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal, public
from alpr.users.schemas import BANNER
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
    return render(request, "home.html", principal, title="Start")


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, principal: Annotated[Principal, Depends(page())],
            policy: PolicyDep) -> HTMLResponse:
    return render(request, "account.html", principal, title="Your account",
                  min_length=policy.security.password_min_length)
