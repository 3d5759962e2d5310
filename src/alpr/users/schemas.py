"""API shapes for accounts and logins."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alpr.users.permissions import Role

BANNER = (
    "This is a restricted criminal justice information system. Use is limited to"
    " authorized persons for authorized purposes. Use may be monitored, recorded and"
    " audited; unauthorized use is prohibited and subject to criminal, civil and"
    " administrative penalties. Using this system means you consent to these terms."
)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str
    code: str | None = Field(default=None, description="Current TOTP code")
    device_token: str | None = None
    banner_acknowledged: bool = Field(description="The user accepted the login banner (AC-8)")
    cookie: bool = Field(default=False, description="Web console: session in a secure cookie")
    new_password: str | None = Field(
        default=None, description="Required when the password has expired (IA-5(1))")


class UnlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str
    code: str | None = None


class LoginOut(BaseModel):
    token: str | None = Field(description="Bearer token (absent when the session is a cookie)")
    username: str
    roles: list[str]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,63}$")
    full_name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=200,
                        description="An agency of the sharing registry (name)")
    classification: str
    roles: list[Role] = Field(min_length=1)
    supervisor: str | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    username: str
    full_name: str
    agency: str
    classification: str
    roles: list[str]
    status: str
    status_reason: str | None
    supervisor: str | None
    approved_at: datetime | None
    reviewed_at: datetime | None
    last_access_at: datetime | None
    suspended_until: datetime | None
    locked_at: datetime | None = None  # locked out after failed logins, until unlocked


class Reason(BaseModel):
    reason: str = Field(min_length=3)


class TrainingIn(BaseModel):
    kind: str = "refresher"


class ClassificationIn(BaseModel):
    classification: str


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str | int = Field(description="Registry agency name or id")
