"""The CLI's session: `alpr login` stores a short-lived token; commands act as that user."""

from __future__ import annotations

import os
from pathlib import Path

from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import load_checked_policy
from alpr.users.auth import authenticate
from alpr.users.permissions import Permission, Role, permissions_for


class NotLoggedIn(Exception):  # noqa: N818 (a state, not a program error)
    """No valid session; the message says what to do."""


def session_file() -> Path:
    return Path(os.environ.get("ALPR_SESSION_FILE", Path.home() / ".alpr-session"))


def save_token(token: str) -> None:
    path = session_file()
    path.write_text(token)
    path.chmod(0o600)  # the token is a credential


def device_file() -> Path:
    """Where this computer keeps its device token (REQ U12), like the console's browser
    storage: installed once by `alpr login --device-token-file` or `alpr devices register
    --install`, then presented at every `alpr login`."""
    return Path(os.environ.get("ALPR_DEVICE_FILE", Path.home() / ".alpr-device"))


def install_device_token(token: str) -> None:
    path = device_file()
    path.write_text(token + "\n")
    path.chmod(0o600)  # the token is a credential


def install_or_say_why(token: str) -> str:
    """Install the token here; the sentence to print either way (it is shown once)."""
    try:
        install_device_token(token)
    except OSError as error:
        return f"could not keep the device token in {device_file()} ({error.strerror})"
    return f"device token kept in {device_file()} for alpr login"


def installed_device_token() -> str | None:
    path = device_file()
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def clear_token() -> str | None:
    path = session_file()
    if not path.exists():
        return None
    token = path.read_text().strip()
    path.unlink()
    return token


def current_user(permission: Permission | None = None) -> str:
    """The logged-in user's actor name, after checking the session and the permission."""
    path = session_file()
    if not path.exists():
        raise NotLoggedIn("log in first: alpr login")
    policy = load_checked_policy(get_settings().policy)
    with unit_of_work() as session:
        found = authenticate(session, token=path.read_text().strip(), policy=policy,
                             now=utcnow())
    if isinstance(found, str):
        raise NotLoggedIn(f"{found}; log in again: alpr login")
    user, _ = found
    if permission and permission not in permissions_for(Role(r) for r in user.roles):
        raise NotLoggedIn(f"{user.username} lacks the permission {permission}")
    return f"user:{user.username}"
