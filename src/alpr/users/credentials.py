"""Sign-in credentials over HTTP: an administrator issues a person's first password and
authenticator secret; every user changes their own password.

The CLI does the same with `alpr users add` / `create-admin`; these let the console do it.
"""

from __future__ import annotations

import io
from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field

from alpr.api.deps import PolicyDep, Principal, authenticated, require, unprocessable
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users import service
from alpr.users.permissions import Permission
from alpr.users.security import totp_uri, verify_password

router = APIRouter(tags=["users"])
Manager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
Anyone = Annotated[Principal, Depends(authenticated)]


class IssueIn(BaseModel):
    password: str = Field(min_length=1, description="A first password for the person; they"
                          " should change it once signed in")


class IssuedOut(BaseModel):
    username: str
    totp_uri: str = Field(description="otpauth:// URI for an authenticator app (shown once)")
    totp_secret: str
    qr_svg: str = Field(description="The same URI as an SVG QR code")


class PasswordIn(BaseModel):
    current_password: str
    new_password: str


@router.post("/api/v1/users/{username}/credentials")
def issue(username: str, body: IssueIn, principal: Manager, policy: PolicyDep,
          response: Response) -> IssuedOut:
    """Set a first password and a new authenticator secret; old sessions end."""
    now = utcnow()
    try:
        with unit_of_work() as session:
            secret = service.issue_credentials(session, username=username, password=body.password,
                                               actor=principal.actor, policy=policy, now=now)
    except service.DutyRefused as error:
        with unit_of_work() as session:
            service.audit_refusal(session, actor=principal.actor, action="credentials",
                                  username=username, reason=str(error))
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except (service.AccountError, ValueError) as error:
        raise unprocessable(error) from error
    response.headers["Cache-Control"] = "no-store"  # a secret: never kept by a proxy
    uri = totp_uri(secret, username=username, issuer="alpr " + policy.agency.name)
    return IssuedOut(username=username, totp_uri=uri, totp_secret=secret, qr_svg=qr_svg(uri))


@router.post("/api/v1/auth/password")
def change_password(body: PasswordIn, principal: Anyone, policy: PolicyDep) -> dict[str, bool]:
    """A user changes their own password (IA-5); every session of theirs then ends."""
    if principal.kind != "user":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only people have passwords")
    try:
        with unit_of_work() as session:
            user = service.get_user(session, principal.id)
            if not verify_password(user.password_hash, body.current_password):
                raise service.AccountError("the current password is wrong")
            if body.new_password == body.current_password:
                raise service.AccountError("choose a password different from the current one")
            service.set_password(session, username=principal.id, password=body.new_password,
                                 actor=principal.actor, policy=policy, now=utcnow())
    except (service.AccountError, ValueError) as error:
        raise unprocessable(error) from error
    return {"changed": True}


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()
