"""Console accounts for the demo: one per kind of user, ready to sign in.

A real agency creates accounts with `alpr users create` and approval by a second person;
the demo makes three trained, active ones so the console can be tried at once.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp

from alpr.config import get_settings
from alpr.console import console
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import load_checked_policy
from alpr.users import service
from alpr.users.devices import find_device, register_device
from alpr.users.models import User
from alpr.users.permissions import Role

PASSWORD = "demo pass phrase"  # noqa: S105 -- demo data only: a local, throwaway store
ACCOUNTS = (
    ("demo-admin", "System and ALPR Administrator",
     (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)),
    ("demo-analyst", "Data User (searches)", (Role.DATA_USER,)),
    ("demo-patrol", "Patrol (live alerts)", (Role.PATROL,)),
    ("demo-auditor", "Auditor", (Role.AUDITOR,)),
)


def demo_device_file() -> Path:
    return get_settings().data_dir / "demo-device-token"


def ensure_demo_device() -> str | None:
    """The demo computer as a registered device, when the policy signs in only from one
    (REQ U12): registered once, its token kept in the data folder (a real agency registers
    each device with `alpr devices register`)."""
    if not load_checked_policy(get_settings().policy).security.require_registered_devices:
        return None
    path = demo_device_file()
    token = path.read_text().strip() if path.exists() else None
    with unit_of_work() as session:
        if find_device(session, token) is None:
            token = register_device(session, name="demo workstation", actor="demo",
                                    now=utcnow())[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(token + "\n")
            path.chmod(0o600)
    return token


def ensure_demo_accounts() -> dict[str, str]:
    """Create the demo accounts if missing; return each one's TOTP secret."""
    policy = load_checked_policy(get_settings().policy)
    now = utcnow()
    secrets: dict[str, str] = {}
    with unit_of_work() as session:
        for username, title, roles in ACCOUNTS:
            user = session.query(User).filter_by(username=username).one_or_none()
            if user is None:
                service.create_user(
                    session, username=username, full_name=title, agency=policy.agency.name,
                    classification=policy.users.authorized_classifications[0], roles=roles,
                    actor="demo", policy=policy, now=now, active=True)
                service.set_password(session, username=username, password=PASSWORD,
                                     actor="demo", policy=policy, now=now)
                service.enroll_totp(session, username=username, actor="demo", now=now)
                service.record_training(session, username=username, kind="initial",
                                        actor="demo", now=now - timedelta(minutes=1))
                user = service.get_user(session, username)
            assert user.totp_secret is not None
            secrets[username] = user.totp_secret
    return secrets


def print_demo_accounts(secrets: dict[str, str], url: str, device: str | None = None) -> None:
    # One account per block, not a table: a 32-character TOTP secret must never be cut or
    # folded on an 80-column terminal.
    console.print(f"[bold]Web console: {url}[/]  (password for every account: {PASSWORD})")
    if device:
        # Sign-in only from registered devices (429.9): this computer is the demo's one.
        console.print("  this computer's device token (enter it once in the console):",
                      highlight=False)
        console.print(f"    {device}", highlight=False, soft_wrap=True)
        console.print("    CLI: alpr login --device-token-file <data dir>/demo-device-token",
                      highlight=False)
    for username, title, _ in ACCOUNTS:
        console.print(f"  [bold]{username}[/] — {title}", highlight=False)
        console.print(f"    TOTP secret: {secrets[username]}", highlight=False, soft_wrap=True)
    codes = ", ".join(f"{user} {pyotp.TOTP(secret).now()}" for user, secret in secrets.items())
    console.print(f"one-time codes right now (valid ~30 s): {codes}; later, add a secret to an"
                  " authenticator app, or run `make demo` again to print fresh codes")
