"""What every CLI command shares: the Rich console and who is acting."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from alpr.policy import Policy
    from alpr.users.permissions import Permission

console = Console()
errors = Console(stderr=True)


def cli_actor() -> str:
    """Who runs a command: the logged-in user (`alpr login`), else the server's OS user,
    which only administration on the server console itself should rely on."""
    from alpr.users.cli_session import NotLoggedIn, current_user

    try:
        return current_user()
    except NotLoggedIn:
        return f"cli:{getpass.getuser()}"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error and return the Exit to raise: `raise fail("...")`.

    Every refusal of a command passes here, so here it is audited (`command:refused`,
    with the command's parameters), in its own committed transaction."""
    from alpr.audit.commands import record_refusal
    from alpr.audit.service import AuditUnavailableError

    errors.print(f"[bold red]error:[/] {escape(message)}")
    try:
        record_refusal(message)
    except (AuditUnavailableError, OSError) as error:
        errors.print(f"[bold red]error:[/] the refusal could not be audited: {error}")
    return typer.Exit(code)


def acting_as(permission: Permission) -> str:
    """The logged-in user, who must hold `permission`: data is never touched anonymously."""
    from alpr.users.cli_session import NotLoggedIn, current_user

    try:
        return current_user(permission)
    except NotLoggedIn as error:
        raise fail(str(error)) from error


def configured_policy() -> Policy:
    """The agency policy (ALPR_POLICY, else the default preset), or exit with its problems."""
    from alpr.config import get_settings
    from alpr.policy import PolicyError, load_checked_policy

    try:
        return load_checked_policy(get_settings().policy)
    except PolicyError as error:
        raise fail(str(error)) from error


def parse_when(text: str) -> datetime:
    """An ISO date or time from the command line; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise fail(f"{text!r} is not an ISO date or time (e.g. 2026-06-01)") from error
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def plain_errors(error: Exception) -> str:
    """A validation error as a person reads it: each field and its message, without
    pydantic's documentation links and type names."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return str(error)
    return "; ".join(
        (".".join(str(part) for part in item["loc"]) + ": " if item["loc"] else "")
        + item["msg"].removeprefix("Value error, ")
        for item in error.errors())


def folded(table: Table) -> Table:
    """A table whose cells wrap (fold) instead of ending in "…": on an 80-column terminal a
    plate, a camera id or a status is never cut."""
    for column in table.columns:
        column.overflow = "fold"
    return table
