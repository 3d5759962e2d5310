"""Console page: user accounts for the ALPR Administrator (approval, training, review,
suspension, reactivation, unlocking, new accounts) and the agency's registered devices.

It reads through the users API's own view functions; every action is sent by the browser
to that API, which keeps the rules (classifications, no self-approval, retraining)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from alpr.api.deps import PolicyDep, Principal
from alpr.users import device_views
from alpr.users import views as api
from alpr.users.models import AccountStatus
from alpr.users.permissions import Permission, Role
from alpr.users.service import TRAINING_KINDS
from alpr.web.pages import page, render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(page(Permission.USERS_MANAGE))]


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Manager, policy: PolicyDep) -> HTMLResponse:
    accounts = api.list_users(principal)
    report = api.report(principal, policy)
    training_due = {d["username"]: d["due"] for d in report["training_due"]}
    review_due = {d["username"]: d["due"] for d in report["review_due"]}
    return render(
        request, "users.html", principal, title="Users",
        pending=[u for u in accounts if u.status == AccountStatus.PENDING],
        accounts=[u for u in accounts if u.status != AccountStatus.PENDING],
        training_due=report["training_due"], review_due=report["review_due"],
        training_due_by_user=training_due, review_due_by_user=review_due,
        training_kinds=TRAINING_KINDS, classifications=policy.users.authorized_classifications,
        devices=device_views.list_devices(principal),
        devices_required=policy.security.require_registered_devices,
        roles={r.value: r.value.replace("-", " ").title().replace("Alpr", "ALPR")
               for r in Role if r is not Role.CAMERA})
