"""How foreign products authenticate, each its own way, onto alpr's principals.

- A secret in the path (the OpenALPR agent and Plate Recognizer's Snapshot cloud send no
  header): the camera's API key. A refusal is audited without the path, which holds it.
- `Authorization: Token <key>` (Plate Recognizer clients) or `Bearer <key>`: a camera key
  or a user's API token.
Who is calling (`path_key_principal`, `token_principal`) is resolved apart from what they
may do (`path_key_camera`, `token_caller`), as `current_principal` and `require` are; the
latter are guards the app's deny-by-default check recognizes (`required_permission`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from alpr.api.deps import Principal, client_address, principal_for_token
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.service import camera_for_key
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission, Role, permissions_for


def _refuse(request: Request, reason: str, path: str) -> HTTPException:
    with unit_of_work() as session:
        record(session, event=AuditEvent.API_AUTH_DENIED, actor="anonymous",
               outcome=Outcome.DENIED, source=client_address(request),
               details={"method": request.method, "path": path, "reason": reason})
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason,
                         headers={"WWW-Authenticate": "Token"})


def _forbid(request: Request, principal: Principal, needed: Permission, path: str
            ) -> HTTPException:
    with unit_of_work() as session:
        record(session, event=AuditEvent.API_AUTH_DENIED, actor=principal.actor,
               outcome=Outcome.DENIED, source=client_address(request),
               details={"method": request.method, "path": path,
                        "reason": f"missing permission {needed}"})
    return HTTPException(status.HTTP_403_FORBIDDEN, f"requires permission {needed}")


def _redacted(request: Request) -> str:
    key = request.path_params.get("key")
    return request.url.path.replace(key, "<key>") if key else request.url.path


def path_key_principal(request: Request, key: str) -> Principal:
    """The camera whose API key is the `{key}` path segment (a sender with no headers)."""
    with unit_of_work() as session:
        camera = camera_for_key(session, key)
        found = (camera.id, camera.agency) if camera is not None else None
    if found is None:  # refused outside the lookup's transaction, so the refusal is kept
        raise _refuse(request, "unknown or disabled key in path", _redacted(request))
    return Principal(kind="camera", id=found[0], organization=found[1],
                     permissions=permissions_for([Role.CAMERA]))


def token_principal(request: Request) -> Principal:
    """The camera key or user token in `Authorization: Token ...` (or `Bearer ...`)."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() not in {"token", "bearer"} or not token.strip():
        raise _refuse(request, "no credentials (Authorization: Token <key>)", request.url.path)
    return principal_for_token(request, token.strip())


def path_key_camera(request: Request, principal: Annotated[Principal, Depends(
        path_key_principal)]) -> Principal:
    if Permission.READS_INGEST not in principal.permissions:
        raise _forbid(request, principal, Permission.READS_INGEST, _redacted(request))
    return principal


path_key_camera.required_permission = Permission.READS_INGEST  # type: ignore[attr-defined]


def token_caller(request: Request, principal: Annotated[Principal, Depends(token_principal)]
                 ) -> Principal:
    """A camera must hold reads:ingest; a user cameras:manage (recognition and storage for
    a registered camera of the user's agency)."""
    needed = (Permission.READS_INGEST if principal.kind == "camera"
              else Permission.CAMERAS_MANAGE)
    if needed not in principal.permissions:
        raise _forbid(request, principal, needed, request.url.path)
    return principal


token_caller.required_permission = Permission.READS_INGEST  # type: ignore[attr-defined]

PathCamera = Annotated[Principal, Depends(path_key_camera)]
TokenCaller = Annotated[Principal, Depends(token_caller)]
