"""What every CLI command shares: the Rich console and who is acting."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)


def cli_actor() -> str:
    """The operating-system user running a command (user accounts arrive with issue 5)."""
    return f"cli:{getpass.getuser()}"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error and return the Exit to raise: `raise fail("...")`."""
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
