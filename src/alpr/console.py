"""What every CLI command shares: the Rich console and who is acting."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
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
    """Print an error and return the Exit to raise: `raise fail("...")`."""
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def acting_as(permission: Permission) -> str:
    """The logged-in user, who must hold `permission`: data is never touched anonymously."""
    from alpr.users.cli_session import NotLoggedIn, current_user

    try:
        return current_user(permission)
    except NotLoggedIn as error:
        raise fail(str(error)) from error
