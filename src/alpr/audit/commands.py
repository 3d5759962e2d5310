"""The audit context of a CLI command, and its refusals, recorded in one place.

Every `alpr` command runs inside a click context; its audit context (source host, program,
the command and its parameters) lives there, so the entries a command writes carry them.
A command that refuses (every refusal goes through `alpr.console.fail`) gets one
`command:refused` entry with the command, its parameters (plate, purpose, ...) and the
reason — in its own transaction, committed although the action was not — unless the
command already committed a refusal entry of its own.
"""

from __future__ import annotations

import socket
from pathlib import PurePath
from typing import Any

from alpr import __version__
from alpr.audit.context import AuditContext
from alpr.audit.events import AuditEvent, Outcome

_META_KEY = "alpr.audit.context"
_SECRET_PARAMS = ("password", "code", "token", "secret", "key")


def _click_context() -> Any:
    # Typer >= 0.20 ships its own copy of click, which keeps the running command's context.
    from typer._click.globals import get_current_context

    return get_current_context(silent=True)


def command_context() -> AuditContext | None:
    """The running command's audit context (created on first use), or None outside one."""
    ctx = _click_context()
    if ctx is None:
        return None
    meta = ctx.find_root().meta
    if _META_KEY not in meta:
        params: dict[str, Any] = {}
        chain = []
        node = ctx
        while node is not None:
            chain.append(node)
            node = node.parent
        for node in reversed(chain):
            params |= {k: _plain(k, v) for k, v in (node.params or {}).items()}
        host = socket.gethostname()
        purpose = params.get("purpose_text") or params.get("purpose")
        meta[_META_KEY] = AuditContext(
            channel="cli", action=ctx.command_path, source=f"cli@{host}",
            user_agent=f"alpr-cli/{__version__}", device=host, query=params,
            purpose=str(purpose) if purpose else None)
    context: AuditContext = meta[_META_KEY]
    return context


def _plain(name: str, value: Any) -> Any:
    if any(secret in name.lower() for secret in _SECRET_PARAMS):
        return "***" if value else value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(name, v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def record_refusal(reason: str) -> None:
    """Audit a refused command (called by `alpr.console.fail`)."""
    context = command_context()
    if context is None or context.refusals_committed:
        return
    from alpr.audit.service import record
    from alpr.console import cli_actor
    from alpr.db.session import unit_of_work

    actor = context.actor or cli_actor()
    with unit_of_work() as session:
        record(session, event=AuditEvent.COMMAND_REFUSED, actor=actor,
               outcome=Outcome.DENIED,
               details={"command": context.action, "params": context.query,
                        "reason": reason[:1000]})
