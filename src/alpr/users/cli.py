"""`alpr users ...`, `alpr login`, `alpr logout`."""

from __future__ import annotations

import io
from typing import Annotated

import qrcode
import typer
from rich.table import Table

from alpr.config import get_settings
from alpr.console import configured_policy, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users import service
from alpr.users.auth import login, logout
from alpr.users.cli_session import NotLoggedIn, clear_token, current_user, save_token
from alpr.users.models import AccountStatus
from alpr.users.permissions import Permission, Role
from alpr.users.reports import access_report
from alpr.users.schemas import BANNER
from alpr.users.security import PasswordRejected, totp_uri

app = typer.Typer(help="Accounts: approval, training, reviews, suspension.", no_args_is_help=True)




def _manager() -> str:
    try:
        return current_user(Permission.USERS_MANAGE)
    except NotLoggedIn as error:
        raise fail(str(error)) from error


def _print_totp(username: str, secret: str) -> None:
    uri = totp_uri(secret, username=username, issuer="alpr " + configured_policy().agency.name)
    code = qrcode.QRCode(border=1)
    code.add_data(uri)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    console.print(out.getvalue(), highlight=False)
    console.print(f"scan with an authenticator app, or enter: {uri}", soft_wrap=True)


@app.command("create-admin")
def create_admin(
    username: str,
    full_name: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option()],
    classification: Annotated[str, typer.Option(help="One of the policy's classifications")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
) -> None:
    """The first System Administrator (only while no account exists), with TOTP enrolment."""
    policy, now = configured_policy(), utcnow()
    try:
        with unit_of_work() as session:
            if service.all_users(session):
                raise service.AccountError("accounts exist: an administrator adds users")
            service.create_user(session, username=username, full_name=full_name, agency=agency,
                                classification=classification, actor="console", now=now,
                                roles=[Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR],
                                policy=policy, active=True)
            service.set_password(session, username=username, password=password,
                                 actor="console", policy=policy, now=now)
            secret = service.enroll_totp(session, username=username, actor="console", now=now)
    except (service.AccountError, PasswordRejected) as error:
        raise fail(str(error)) from error
    console.print(f"administrator [bold]{username}[/] created; record their training next"
                  f" (alpr users train {username}) — access waits for it")
    _print_totp(username, secret)


@app.command("add")
def add(
    username: str,
    full_name: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option()],
    classification: Annotated[str, typer.Option()],
    role: Annotated[list[Role], typer.Option(help="Repeat for several roles")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    supervisor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account (pending until an ALPR Administrator approves it)."""
    actor, policy, now = _manager(), configured_policy(), utcnow()
    try:
        with unit_of_work() as session:
            service.create_user(session, username=username, full_name=full_name, agency=agency,
                                classification=classification, roles=role, actor=actor,
                                supervisor=supervisor, policy=policy, now=now)
            service.set_password(session, username=username, password=password, actor=actor,
                                 policy=policy, now=now)
            secret = service.enroll_totp(session, username=username, actor=actor, now=now)
    except (service.AccountError, PasswordRejected) as error:
        raise fail(str(error)) from error
    console.print(f"[bold]{username}[/] created, pending approval")
    _print_totp(username, secret)


def _change(action: str, username: str, **options: object) -> None:
    actor, now = _manager(), utcnow()
    try:
        with unit_of_work() as session:
            match action:
                case "approve":
                    service.approve_user(session, username=username, actor=actor, now=now)
                case "train":
                    service.record_training(session, username=username, actor=actor, now=now,
                                            kind=str(options["kind"]))
                case "review":
                    service.review_user(session, username=username, actor=actor, now=now)
                case "suspend":
                    service.suspend_for_misuse(
                        session, username=username, actor=actor, now=now,
                        reason=str(options["reason"]), policy=configured_policy())
                case "deactivate":
                    service.separate_user(session, username=username, actor=actor, now=now)
                case "reactivate":
                    service.reactivate_user(session, username=username, actor=actor, now=now)
                case "unlock":
                    service.unlock_user(session, username=username, actor=actor, now=now)
            status = service.get_user(session, username).status
    except service.AccountError as error:
        raise fail(str(error)) from error
    console.print(f"{username}: {action} recorded ({status})")


@app.command("approve")
def approve(username: str) -> None:
    """Activate a pending account (ALPR Administrator)."""
    _change("approve", username)


@app.command("train")
def train(username: str, kind: Annotated[str, typer.Option()] = "initial") -> None:
    """Record completed training: initial, refresher or reorientation."""
    _change("train", username, kind=kind)


@app.command("review")
def review(username: str) -> None:
    """Record the periodic authorization review."""
    _change("review", username)


@app.command("suspend")
def suspend(username: str, reason: Annotated[str, typer.Option()]) -> None:
    """Suspend for misuse, for the policy's period."""
    _change("suspend", username, reason=reason)


@app.command("deactivate")
def deactivate(username: str) -> None:
    """Separation from the agency: access ends now; deleted per policy."""
    _change("deactivate", username)


@app.command("reactivate")
def reactivate(username: str) -> None:
    """Reactivate; access waits for new training."""
    _change("reactivate", username)


@app.command("unlock")
def unlock(username: str) -> None:
    """Release an account locked after failed logins."""
    _change("unlock", username)


@app.command("list")
def list_users() -> None:
    """Accounts, and the trainings and reviews due in the next 30 days."""
    _manager()
    with unit_of_work() as session:
        users = service.all_users(session)
        report = access_report(session, policy=configured_policy(), now=utcnow())
    table = Table("user", "name", "classification", "roles", "status", "last access")
    for user in users:
        style = "green" if user.status == AccountStatus.ACTIVE else "yellow"
        table.add_row(user.username, user.full_name, user.classification, ", ".join(user.roles),
                      f"[{style}]{user.status}[/]",
                      user.last_access_at.strftime("%Y-%m-%d") if user.last_access_at else "")
    console.print(table)
    for title, due in (("training due", report.training_due), ("review due", report.review_due)):
        if due:
            console.print(f"{title}: " + ", ".join(
                f"{d.username} ({d.due:%Y-%m-%d})" if d.due else f"{d.username} (never)"
                for d in due))


def login_command(
    username: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    code: Annotated[str, typer.Option(prompt="One-time code")],
) -> None:
    """Log in; the CLI then acts as you until the session ends."""
    console.print(BANNER)
    with unit_of_work() as session:
        result = login(session, username=username, password=password, code=code,
                       policy=configured_policy(), now=utcnow(), source="cli",
                       report_to=get_settings().professional_standards)
    if result.token is None:
        raise fail("login refused")
    save_token(result.token)
    console.print(f"logged in as [bold]{username}[/]")


def logout_command() -> None:
    """End the CLI session."""
    token = clear_token()
    if token:
        with unit_of_work() as session:
            logout(session, token=token, now=utcnow())
    console.print("logged out")
