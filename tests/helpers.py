"""Small builders shared by tests."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import timedelta

import pyotp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import Policy, default_policy
from alpr.sharing.agencies import register_agency
from alpr.sharing.models import Agency, AgencyKind
from alpr.users import service
from alpr.users.auth import login
from alpr.users.cli_session import install_device_token, installed_device_token, save_token
from alpr.users.devices import register_device
from alpr.users.permissions import Role

CameraFactory = Callable[..., tuple[Camera, str]]
PASSWORD = "a long pass phrase"


def jpeg(color: tuple[int, int, int] = (200, 200, 200), size: tuple[int, int] = (64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def registered_agency(session: Session, name: str = "Test PD",
                      kind: AgencyKind = AgencyKind.CA_LAW_ENFORCEMENT) -> Agency:
    """The registry agency of this name, registered when missing (accounts need one)."""
    found = session.scalar(select(Agency).where(Agency.name == name))
    return found or register_agency(session, name=name, kind=kind, jurisdiction="California",
                                    contacts=None, actor="test", now=utcnow())


def workstation(database: Database) -> str:
    """This test's computer as a registered agency device (REQ U12: the default preset
    signs in only from one): registered once per test and installed in the test's
    ALPR_DEVICE_FILE, as `alpr devices register --install` would; returns its token."""
    token = installed_device_token()
    if token is None:
        with database.unit_of_work() as session:
            token = register_device(session, name="test workstation", actor="console",
                                    now=utcnow())[1]
        install_device_token(token)
    return token


def active_user(database: Database, username: str, roles: Sequence[Role], *,
                policy: Policy | None = None, classification: str | None = None,
                agency: str = "Test PD", password: str = PASSWORD) -> str:
    """An active, trained account with a password and TOTP; returns the TOTP secret."""
    policy = policy or default_policy()
    workstation(database)  # where this person signs in from
    now = utcnow()
    with database.unit_of_work() as session:
        registered_agency(session, agency)
        service.create_user(
            session, username=username, full_name=username.title(), agency=agency,
            classification=classification or policy.users.authorized_classifications[0],
            roles=roles, actor="console", policy=policy, now=now, active=True)
        service.set_password(session, username=username, password=password,
                             actor="console", policy=policy, now=now)
        secret = service.enroll_totp(session, username=username, actor="console", now=now)
        service.record_training(session, username=username, kind="initial", actor="console",
                                now=now - timedelta(minutes=1))
    return secret


def session_token(database: Database, username: str, roles: Sequence[Role], *,
                  policy: Policy | None = None, agency: str = "Test PD") -> str:
    """An active, trained account signed in from this test's workstation: its token."""
    policy = policy or default_policy()
    secret = active_user(database, username, roles, policy=policy, agency=agency)
    now = utcnow()
    with database.unit_of_work() as session:
        result = login(session, username=username, password=PASSWORD,
                       code=pyotp.TOTP(secret).at(now), policy=policy, now=now,
                       device_token=workstation(database))
    assert result.token, result.refused
    return result.token


def cli_login(database: Database, username: str = "operator",
              roles: tuple[Role, ...] = (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)
              ) -> str:
    """An active, trained account logged in for the CLI (as `alpr login` would)."""
    save_token(session_token(database, username, roles))
    return f"user:{username}"
