"""Who is calling, and may they: the dependencies every route declares."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alpr.audit import context as audit_context
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.service import camera_for_key
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.users.auth import authenticate
from alpr.users.permissions import Permission, Role, permissions_for
from alpr.users.security import TOKEN_PREFIX, csrf_token

bearer = HTTPBearer(auto_error=False, description="A camera API key or a user session token")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a camera (by API key) or, from issue 5 on, a user."""

    kind: str
    id: str
    organization: str | None
    permissions: frozenset[Permission]

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


def _identify(principal: Principal, device: str | None = None) -> Principal:
    """Tell the request's audit context who is acting (organization, device: AU-3)."""
    if (context := audit_context.current()) is not None:
        context.identify(actor=principal.actor, organization=principal.organization,
                         device=device)
    return principal


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _deny(request: Request, reason: str, actor: str = "anonymous") -> None:
    # Its own transaction: the request's work is rolled back, the refusal must still be kept.
    with unit_of_work() as session:
        record(
            session,
            event=AuditEvent.API_AUTH_DENIED,
            actor=actor,
            outcome=Outcome.DENIED,
            source=client_address(request),
            details={"method": request.method, "path": request.url.path, "reason": reason},
        )


SESSION_COOKIE = "alpr_session"
CSRF_COOKIE = "alpr_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None and (cookie := request.cookies.get(SESSION_COOKIE)):
        # The web console: a session cookie; writes carry the session's CSRF token in a
        # header, a MAC of the session token (users/security.csrf_token) that another site
        # can neither read nor compute. The CSRF cookie's own value is never trusted.
        if request.method not in _SAFE_METHODS and not secrets.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(), csrf_token(cookie).encode()
        ):
            _deny(request, "CSRF token missing or wrong")
            raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
        return _user_principal(request, cookie)
    if credentials is None:
        _deny(request, "no credentials")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "authentication required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal_for_token(request, credentials.credentials)


def principal_for_token(request: Request, token: str) -> Principal:
    """The user (session or API token) or camera (API key) a token names; refused and
    audited when it names neither. For routes whose clients send the token their own way
    (`Authorization: Token ...`, a secret in the path)."""
    if token.startswith(TOKEN_PREFIX):
        return _user_principal(request, token)
    with unit_of_work() as session:
        camera = camera_for_key(session, token)
        if camera is not None:
            return _identify(Principal(
                kind="camera",
                id=camera.id,
                organization=camera.agency,
                permissions=permissions_for([Role.CAMERA]),
            ), device=f"camera:{camera.id}")
    _deny(request, "unknown or disabled credentials")
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "invalid credentials", headers={"WWW-Authenticate": "Bearer"}
    )


def _user_principal(request: Request, token: str) -> Principal:
    with unit_of_work() as session:
        found = authenticate(session, token=token, policy=request.app.state.policy, now=utcnow())
        if not isinstance(found, str):
            user, user_session = found
            device_id = getattr(user_session, "device_id", None)
            return _identify(Principal(
                kind="user",
                id=user.username,
                organization=user.agency,
                permissions=permissions_for(Role(role) for role in user.roles),
            ), device=f"device:{device_id}" if device_id else None)
    _deny(request, found)
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, found, headers={"WWW-Authenticate": "Bearer"}
    )


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that lets the call through only with this permission."""

    def check(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        _identify(principal)
        if permission not in principal.permissions:
            _deny(request, f"missing permission {permission}", principal.actor)
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires permission {permission}")
        return principal

    check.required_permission = permission  # type: ignore[attr-defined]
    return check


def authenticated(
    request: Request, principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """Any signed-in person, whatever their roles (logout, "who am I", console pages).
    A camera key is not a person: it never opens a console page or a user route."""
    if principal.kind != "user":
        _deny(request, "a camera key on a user route", principal.actor)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only signed-in users")
    return _identify(principal)


def session_token(request: Request) -> str | None:
    """The caller's user session token (bearer or console cookie), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith(TOKEN_PREFIX):
        return value.strip()
    return request.cookies.get(SESSION_COOKIE)


def public(request: Request) -> None:
    """Marks a route as deliberately open to everyone (health check, transparency page)."""


def unprocessable(error: Exception) -> HTTPException:
    """A request the domain refused (a rule, a state): 422 with the domain's reason."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


def policy(request: Request) -> Policy:
    value: Policy = request.app.state.policy
    return value


def image_store(request: Request) -> ImageStore:
    value: ImageStore = request.app.state.images
    return value


def route_guard(call: Any) -> str | None:
    """'public', the permission a dependency requires, or None if it is not a guard."""
    if call is public:
        return "public"
    if call is authenticated or getattr(call, "guard", None) == "authenticated":
        return "authenticated"
    permission = getattr(call, "required_permission", None)
    return str(permission) if permission is not None else None


PolicyDep = Annotated[Policy, Depends(policy)]
ImagesDep = Annotated[ImageStore, Depends(image_store)]
