"""`alpr users ...`, `alpr login`, `alpr logout`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, NoReturn

import qrcode
import typer
from rich.table import Table

from alpr.config import get_settings
from alpr.console import configured_policy, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.sharing.agencies import SharingError, all_agencies, register_agency
from alpr.sharing.floor import normalize_name
from alpr.sharing.models import AgencyKind
from alpr.users import service
from alpr.users.auth import login, logout
from alpr.users.cli_session import (
    NotLoggedIn,
    clear_token,
    current_user,
    install_or_say_why,
    installed_device_token,
    save_token,
)
from alpr.users.devices import register_device
from alpr.users.models import AccountStatus
from alpr.users.permissions import Permission, Role
from alpr.users.reports import access_report
from alpr.users.schemas import BANNER
from alpr.users.security import PasswordRejected, check_new_password, totp_uri

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


def _read_password(password_file: Path | None, *, confirm: bool = True,
                   prompt: str = "Password") -> str:
    """A password from a file (first line; for scripted installs) or a hidden prompt;
    never from the command line, where it would sit in the shell history."""
    if password_file is not None:
        try:
            lines = password_file.read_text().splitlines()
        except OSError as error:
            raise fail(f"cannot read {password_file}: {error}") from error
        return lines[0] if lines else ""
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return value


PasswordFile = Annotated[Path | None, typer.Option(
    help="Read the password from this file's first line instead of a prompt")]


@app.command("create-admin")
def create_admin(
    username: str,
    full_name: Annotated[str, typer.Option()],
    classification: Annotated[str | None, typer.Option(
        help="One of the policy's classifications (default: the first)")] = None,
    agency: Annotated[str | None, typer.Option(
        help="Your agency (default: the policy's agency name)")] = None,
    agency_kind: Annotated[AgencyKind, typer.Option(
        help="Registered for your agency if it is not yet in the registry")
    ] = AgencyKind.CA_LAW_ENFORCEMENT,
    jurisdiction: Annotated[str, typer.Option()] = "California",
    password_file: PasswordFile = None,
) -> None:
    """Bootstrap: the first administrator, on an empty store only, from the server console.

    Registers your agency, creates the account active with both administrator roles, sets
    the password (prompt or --password-file), enrols TOTP (the secret is shown once) and
    records the administrator's bootstrap training, all audited in one transaction. It is
    the only account that does not need a second person (separation of duties, 18.2)."""
    policy, now = configured_policy(), utcnow()
    password = _read_password(password_file)
    classification = classification or policy.users.authorized_classifications[0]
    try:
        with unit_of_work() as session:
            if service.all_users(session):
                raise service.AccountError("accounts exist: an administrator adds users"
                                           " (alpr login, then alpr users add)")
            name = agency or policy.agency.name
            if not any(normalize_name(a.name) == normalize_name(name)
                       for a in all_agencies(session)):
                register_agency(session, name=name, kind=agency_kind, contacts=None,
                                jurisdiction=jurisdiction, actor="console", now=now)
            service.create_user(session, username=username, full_name=full_name, agency=name,
                                classification=classification, actor="console", now=now,
                                roles=[Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR],
                                policy=policy, active=True)
            secret = service.issue_credentials(session, username=username, password=password,
                                               actor="console", policy=policy, now=now)
            training = service.record_training(session, username=username, kind="initial",
                                               actor="console", now=now)
            training.details = {"bootstrap": True,
                                "note": "recorded by the bootstrap: the first administrator"}
            # Sign-in only from agency-issued devices (429.9): this console is the first.
            device_token = (register_device(session, name=f"server console ({username})",
                                            actor="console", now=now)[1]
                            if policy.security.require_registered_devices else None)
    except (service.AccountError, PasswordRejected, SharingError) as error:
        raise fail(str(error)) from error
    console.print(f"administrator [bold]{username}[/] created with bootstrap training recorded;"
                  " log in with alpr login, then add users (alpr users add)")
    if device_token:
        console.print("the policy allows sign-in only from registered devices (429.9): this"
                      f" computer is the first; {install_or_say_why(device_token)}; in the web"
                      f" console enter this device token once: {device_token} — register"
                      " other devices with alpr devices register",
                      highlight=False, soft_wrap=True)
    _print_totp(username, secret)


@app.command("add")
def add(
    username: str,
    full_name: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option(help="An agency of the registry")],
    classification: Annotated[str, typer.Option()],
    role: Annotated[list[Role], typer.Option(help="Repeat for several roles")],
    supervisor: Annotated[str | None, typer.Option()] = None,
    password_file: PasswordFile = None,
) -> None:
    """Create an account (pending until an administrator approves it) and issue its first
    password and authenticator secret."""
    actor, policy, now = _manager(), configured_policy(), utcnow()
    password = _read_password(password_file)
    try:
        check_new_password(password, min_length=policy.security.password_min_length,
                           username=username)  # before anything is created
        with unit_of_work() as session:
            service.create_user(session, username=username, full_name=full_name, agency=agency,
                                classification=classification, roles=role, actor=actor,
                                supervisor=supervisor, policy=policy, now=now)
    except (service.AccountError, PasswordRejected) as error:
        raise fail(str(error)) from error
    console.print(f"[bold]{username}[/] created, pending approval")
    try:
        with unit_of_work() as session:
            secret = service.issue_credentials(session, username=username, password=password,
                                               actor=actor, policy=policy, now=now)
    except service.DutyRefused as error:
        # An account stronger than its creator: another administrator issues credentials.
        _refused(actor, "credentials", username, error)
    except (service.AccountError, PasswordRejected) as error:
        raise fail(f"credentials not issued: {error} (alpr users credentials {username})"
                   ) from error
    _print_totp(username, secret)


@app.command("credentials")
def credentials(username: str, password_file: PasswordFile = None) -> None:
    """Issue a new password and authenticator secret (never your own)."""
    actor, policy, now = _manager(), configured_policy(), utcnow()
    password = _read_password(password_file)
    try:
        with unit_of_work() as session:
            secret = service.issue_credentials(session, username=username, password=password,
                                               actor=actor, policy=policy, now=now)
    except service.DutyRefused as error:
        _refused(actor, "credentials", username, error)
    except (service.AccountError, PasswordRejected) as error:
        raise fail(str(error)) from error
    console.print(f"new credentials issued for [bold]{username}[/]; their sessions ended")
    _print_totp(username, secret)


@app.command("move")
def move(username: str, agency: Annotated[str, typer.Option(help="Registry agency")]) -> None:
    """Move an account to another agency of the registry (California public agencies only)."""
    _change("move", username, agency=agency)


def _refused(actor: str, action: str, username: str, error: Exception) -> NoReturn:
    with unit_of_work() as session:  # the refusal is kept; the action was rolled back
        service.audit_refusal(session, actor=actor, action=action, username=username,
                              reason=str(error), source="cli")
    raise fail(str(error)) from error


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
                case "move":
                    service.change_agency(session, username=username, actor=actor, now=now,
                                          agency=str(options["agency"]),
                                          policy=configured_policy())
            status = service.get_user(session, username).status
    except service.DutyRefused as error:
        _refused(actor, action, username, error)
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
    code: Annotated[str | None, typer.Option(help="The current one-time code")] = None,
    password_file: PasswordFile = None,
    new_password_file: Annotated[Path | None, typer.Option(
        help="A new password, when the current one has expired (IA-5(1))")] = None,
    device_token_file: Annotated[Path | None, typer.Option(
        help="This computer's device token (alpr devices register): installed here on a"
             " successful login and presented at every later one (REQ U12)")] = None,
) -> None:
    """Log in; the CLI then acts as you until the session ends."""
    console.print(BANNER)
    device_token = (_read_password(device_token_file, confirm=False).strip()
                    if device_token_file else installed_device_token())
    password = _read_password(password_file, confirm=False)
    code = code or typer.prompt("One-time code")
    new_password = (_read_password(new_password_file, confirm=False)
                    if new_password_file else None)
    for _ in range(2):
        with unit_of_work() as session:
            result = login(session, username=username, password=password, code=code,
                           policy=configured_policy(), now=utcnow(), source="cli",
                           new_password=new_password, device_token=device_token,
                           report_to=get_settings().professional_standards)
        if not (result.password_change_required and new_password is None
                and new_password_file is None):
            break
        console.print(f"[yellow]{result.refused}[/]")
        new_password = _read_password(None, prompt="New password")
        code = typer.prompt("Next one-time code")
    if result.token is None:
        hint = ("; install this computer's device token once: alpr login --device-token-file"
                " FILE (an administrator registers it: alpr devices register)"
                if result.shown and "(U12)" in (result.refused or "") else "")
        raise fail(f"login refused: {result.refused}{hint}" if result.shown
                   else "login refused")
    save_token(result.token)
    if device_token_file and device_token:
        console.print(install_or_say_why(device_token))
    console.print(f"logged in as [bold]{username}[/]")


def logout_command() -> None:
    """End the CLI session."""
    token = clear_token()
    if token:
        with unit_of_work() as session:
            logout(session, token=token, now=utcnow())
    console.print("logged out")
