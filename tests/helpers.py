"""Small builders shared by tests."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pyotp
from PIL import Image

from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import default_policy
from alpr.users import service
from alpr.users.auth import login
from alpr.users.cli_session import save_token
from alpr.users.permissions import Role

CameraFactory = Callable[..., tuple[Camera, str]]


def jpeg(color: tuple[int, int, int] = (200, 200, 200), size: tuple[int, int] = (64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def cli_login(database: Database, username: str = "operator",
              roles: tuple[Role, ...] = (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)
              ) -> str:
    """An active, trained account logged in for the CLI (as `alpr login` would)."""
    policy = default_policy()
    now = utcnow()
    with database.unit_of_work() as session:
        service.create_user(
            session, username=username, full_name=username.title(), agency="Test PD",
            classification=policy.users.authorized_classifications[0], roles=roles,
            actor="console", policy=policy, now=now, active=True)
        service.set_password(session, username=username, password="a long pass phrase",
                             actor="console", policy=policy, now=now)
        secret = service.enroll_totp(session, username=username, actor="console", now=now)
        service.record_training(session, username=username, kind="initial", actor="console",
                                now=now - timedelta(minutes=1))
        result = login(session, username=username, password="a long pass phrase",
                       code=pyotp.TOTP(secret).at(now), policy=policy, now=now)
    assert result.token, result.refused
    save_token(result.token)
    return f"user:{username}"
