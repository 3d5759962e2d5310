"""Who is acting and from where, for the audit entries of one request, command or job.

Middleware (HTTP), the CLI and the job runner bind an `AuditContext`; `audit.service.record`
reads it, so every entry carries the source address, user agent and device (CJIS AU-3)
and the acting user's organization without each call site passing them. The context also
counts the entries committed during the request: the audit middleware uses that to add
one entry for a route that did not write its own, and to know a refusal was recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    channel: str  # "http", "cli", "job"
    action: str = ""  # "GET /api/v1/users/{username}", "alpr search", "job retention"
    source: str | None = None
    user_agent: str | None = None
    device: str | None = None
    actor: str | None = None
    organization: str | None = None
    purpose: str | None = None  # a purpose the request or command stated
    query: dict[str, Any] = field(default_factory=dict)
    committed: int = 0  # entries of this request already committed
    refusals_committed: int = 0

    def identify(self, *, actor: str, organization: str | None = None,
                 device: str | None = None) -> None:
        self.actor = actor
        self.organization = organization or self.organization
        self.device = device or self.device


_current: ContextVar[AuditContext | None] = ContextVar("alpr_audit_context", default=None)


def current() -> AuditContext | None:
    """The bound context: an HTTP request's or a job's, else the running CLI command's."""
    found = _current.get()
    if found is not None:
        return found
    from alpr.audit.commands import command_context

    return command_context()


@contextmanager
def bound(context: AuditContext) -> Iterator[AuditContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
