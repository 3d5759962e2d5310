"""Login, logout and account administration over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from alpr.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    PolicyDep,
    Principal,
    authenticated,
    bearer,
    client_address,
    public,
    require,
    session_token,
    unprocessable,
)
from alpr.api.paging import EVERYTHING, PageDep
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users import service
from alpr.users.auth import login, logout
from alpr.users.auth import unlock as unlock_session
from alpr.users.permissions import Permission
from alpr.users.reports import access_report
from alpr.users.schemas import (
    BANNER,
    AgencyIn,
    ClassificationIn,
    LoginIn,
    LoginOut,
    Reason,
    TrainingIn,
    UnlockIn,
    UserIn,
    UserOut,
)
from alpr.users.security import csrf_token

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
router = APIRouter(prefix="/api/v1/users", tags=["users"])
Manager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
Public = Annotated[None, Depends(public)]


@auth_router.get("/banner")
def banner(_: Public) -> dict[str, str]:
    """The notice every user must accept before logging in (CJIS AC-8)."""
    return {"banner": BANNER}


@auth_router.post("/login")
def login_endpoint(body: LoginIn, request: Request, response: Response, _: Public,
                   policy: PolicyDep) -> LoginOut:
    if not body.banner_acknowledged:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "accept the system use notice first")
    with unit_of_work() as session:
        result = login(session, username=body.username, password=body.password, code=body.code,
                       device_token=body.device_token, policy=policy, now=utcnow(),
                       source=client_address(request), new_password=body.new_password,
                       report_to=get_settings().professional_standards)
    if result.throttled:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins from"
                            " this client: try again later",
                            headers={"Retry-After": str(get_settings().login_throttle_seconds)})
    if result.token is None or result.user is None:
        # The reason is in the audit log; the caller learns it only once the password was
        # right (a suspended or untrained account), never whether an account exists.
        detail = f"login refused: {result.refused}" if result.shown else "login refused"
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail)
    if body.cookie:
        # Browsers keep the session in an HttpOnly cookie script cannot read; writes must
        # send the session's CSRF token (readable cookie) in a header, which another site
        # cannot do; the token is a MAC of the session, so a planted cookie is worthless.
        response.set_cookie(SESSION_COOKIE, result.token, httponly=True, secure=True,
                            samesite="strict", path="/")
        response.set_cookie(CSRF_COOKIE, csrf_token(result.token), secure=True,
                            samesite="strict", path="/")
        return LoginOut(token=None, username=result.user.username, roles=result.user.roles)
    return LoginOut(token=result.token, username=result.user.username, roles=result.user.roles)


@auth_router.post("/unlock")
def unlock_endpoint(body: UnlockIn, request: Request, _: Public, policy: PolicyDep
                    ) -> dict[str, bool]:
    """Resume a session locked after idle time, with the password and a one-time code
    (AC-11); past the idle disconnect limit the session has ended instead (SC-10)."""
    token = session_token(request)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "no session to unlock")
    with unit_of_work() as session:
        refused = unlock_session(session, token=token, password=body.password, code=body.code,
                         policy=policy, now=utcnow(), source=client_address(request))
    if refused is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unlock refused")
    return {"unlocked": True}


@auth_router.post("/logout")
def logout_endpoint(
    request: Request, response: Response, _: Annotated[Principal, Depends(authenticated)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, bool]:
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE, "")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    with unit_of_work() as session:
        return {"ended": logout(session, token=token, now=utcnow())}


@router.get("")
def list_users(_: Manager, page: PageDep = EVERYTHING) -> list[UserOut]:
    with unit_of_work() as session:
        return [UserOut.model_validate(u) for u in page.of(service.all_users(session))]


@router.get("/report")
def report(_: Manager, policy: PolicyDep) -> dict[str, Any]:
    """Authorized users, trainings and reviews due within 30 days, suspended accounts."""
    with unit_of_work() as session:
        found = access_report(session, policy=policy, now=utcnow())
        return {
            "authorized": [UserOut.model_validate(u) for u in found.authorized],
            "training_due": [vars(d) for d in found.training_due],
            "review_due": [vars(d) for d in found.review_due],
            "suspended": [UserOut.model_validate(u) for u in found.suspended],
        }


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: UserIn, principal: Manager, policy: PolicyDep) -> UserOut:
    return _act(lambda session: service.create_user(
        session, username=body.username, full_name=body.full_name, agency=body.agency,
        classification=body.classification, roles=body.roles, supervisor=body.supervisor,
        actor=principal.actor, policy=policy, now=utcnow()))


def _act(action: Callable[[Any], Any], *, actor: str = "", name: str = "",
         username: str = "") -> UserOut:
    try:
        with unit_of_work() as session:
            return UserOut.model_validate(action(session))
    except service.DutyRefused as error:
        with unit_of_work() as session:  # the refusal is kept; the action was rolled back
            service.audit_refusal(session, actor=actor, action=name, username=username,
                                  reason=str(error))
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except (service.AccountError, ValueError) as error:
        raise unprocessable(error) from error


def _on(username: str, principal: Principal, name: str,
        action: Callable[[Any], Any]) -> UserOut:
    return _act(action, actor=principal.actor, name=name, username=username)


@router.post("/{username}/approve")
def approve(username: str, principal: Manager) -> UserOut:
    return _on(username, principal, "approve", lambda s: service.approve_user(
        s, username=username, actor=principal.actor, now=utcnow()))


@router.post("/{username}/training")
def training(username: str, body: TrainingIn, principal: Manager) -> UserOut:
    def act(session: Any) -> Any:
        service.record_training(session, username=username, kind=body.kind,
                                actor=principal.actor, now=utcnow())
        return service.get_user(session, username)
    return _on(username, principal, "training", act)


@router.post("/{username}/review")
def review(username: str, principal: Manager) -> UserOut:
    return _on(username, principal, "review", lambda s: service.review_user(
        s, username=username, actor=principal.actor, now=utcnow()))


@router.post("/{username}/classification")
def classification(username: str, body: ClassificationIn, principal: Manager,
                   policy: PolicyDep) -> UserOut:
    return _on(username, principal, "classification", lambda s: service.change_classification(
        s, username=username, classification=body.classification, actor=principal.actor,
        policy=policy, now=utcnow()))


@router.post("/{username}/suspend")
def suspend(username: str, body: Reason, principal: Manager, policy: PolicyDep) -> UserOut:
    return _on(username, principal, "suspend", lambda s: service.suspend_for_misuse(
        s, username=username, reason=body.reason, actor=principal.actor, policy=policy,
        now=utcnow()))


@router.post("/{username}/separate")
def separate(username: str, principal: Manager) -> UserOut:
    return _on(username, principal, "separate", lambda s: service.separate_user(
        s, username=username, actor=principal.actor, now=utcnow()))


@router.post("/{username}/reactivate")
def reactivate(username: str, principal: Manager) -> UserOut:
    return _on(username, principal, "reactivate", lambda s: service.reactivate_user(
        s, username=username, actor=principal.actor, now=utcnow()))


@router.post("/{username}/unlock")
def unlock(username: str, principal: Manager) -> UserOut:
    return _on(username, principal, "unlock", lambda s: service.unlock_user(
        s, username=username, actor=principal.actor, now=utcnow()))


@router.post("/{username}/agency")
def agency(username: str, body: AgencyIn, principal: Manager, policy: PolicyDep) -> UserOut:
    """Move the account to another agency of the registry (California public agencies only)."""
    return _on(username, principal, "agency", lambda s: service.change_agency(
        s, username=username, agency=body.agency, actor=principal.actor, policy=policy,
        now=utcnow()))
