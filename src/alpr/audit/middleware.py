"""One audit rule for every route (issue 18.4), in one place.

For each HTTP request the middleware binds an `AuditContext` (source address, user agent,
device; the authentication dependency adds who is acting), so every entry written during
the request carries them (CJIS AU-3). When the answer is ready it applies the rule:

- a guarded GET route that answered 2xx/3xx and wrote no entry of its own gets one
  `data:access` entry: the route, its parameters and query, and what it returned
  (count, ids and plates, compactly);
- a request answered 4xx gets one `request:refused` entry (outcome denied) with the reason,
  unless a refusal entry was already committed for it (401s are written by the
  authentication itself); anonymous requests to unknown paths are not, so nobody can
  flood the log;
- if an entry cannot be written — the route's own or this one — the answer is
  503 with Retry-After and *no data*: every audited route fails closed.

Answers are held until the entry is written; streamed answers (Server-Sent Events) pass
through at once, and their routes write their own entry before streaming.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alpr.audit import context as audit_context
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.listing import summarize
from alpr.audit.service import AuditUnavailableError, record

RETRY_AFTER_S = 30  # unless the app's settings say otherwise (ALPR_DB_RETRY_AFTER_SECONDS)
_READS = frozenset({"GET", "HEAD"})
_UNAVAILABLE = json.dumps({"detail": "the audit log is unavailable: nothing was done or"
                           " returned; try again later"}).encode()


def route_rule(route: Any) -> str:
    """'public' (no agency data, not audited), or 'audited'. Routes may declare it with
    `openapi_extra={"x-audit": ...}`; otherwise a guarded route is audited."""
    from alpr.api.app import route_guards

    declared = (getattr(route, "openapi_extra", None) or {}).get("x-audit")
    if declared:
        return next((rule for rule, text in _AUDIT_RULES.items() if text == declared),
                    str(declared))
    if not hasattr(route, "dependant"):
        return "public"  # the framework's own: /openapi.json, /docs, /static files
    return "public" if route_guards(route) == {"public"} else "audited"


_AUDIT_RULES = {
    "public": "Not audited: open to everyone and returns no agency data.",
    "audited": "Audited: the route's own entry, else one data:access entry (GET) with the"
               " query and what was returned; a 4xx answer writes request:refused. If the"
               " entry cannot be written the answer is 503 and nothing is returned.",
}


def declare_audit_rules(routes: Iterable[Any]) -> None:
    """Write each route's audit rule into its OpenAPI operation (`x-audit`). The 503 an
    audited route answers when its entry cannot be written is the same documented 503 as a
    database outage (alpr.api.errors documents it on every operation)."""
    for route in routes:
        rule = route_rule(route)
        route.openapi_extra = {**(route.openapi_extra or {}),
                               "x-audit": _AUDIT_RULES.get(rule, rule)}


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        client = scope.get("client")
        context = audit_context.AuditContext(
            channel="http", source=client[0] if client else None,
            user_agent=headers.get("user-agent"), device=headers.get("x-alpr-device"))
        stated = _query(scope).get("purpose")
        context.purpose = stated if isinstance(stated, str) else None
        held: list[Message] = []
        streaming = False

        async def hold(message: Message) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                streaming = _is_stream(message)
            if streaming:
                await send(message)
            else:
                held.append(message)

        with audit_context.bound(context):
            try:
                await self.app(scope, receive, hold)
            except AuditUnavailableError:
                if streaming:
                    raise
                await _unavailable(send, _retry_after(scope))
                return
        if streaming or not held:
            return
        status = int(held[0]["status"])
        try:
            await run_in_threadpool(self._apply_rule, scope, context, status, held)
        except AuditUnavailableError:
            await _unavailable(send, _retry_after(scope))
            return
        for message in held:
            await send(message)

    def _apply_rule(self, scope: Scope, context: audit_context.AuditContext, status: int,
                    held: list[Message]) -> None:
        route = scope.get("route") or _match(scope)
        rule = route_rule(route) if route is not None else "unknown"
        method = scope.get("method", "")
        where = {"method": method, "route": getattr(route, "path", None) or scope["path"],
                 "path_params": scope.get("path_params") or {},
                 "query": _query(scope), "status": status}
        actor = context.actor or "anonymous"
        if status >= 400:
            if status == 401 or context.refusals_committed:
                return  # written by the authentication, or by the route itself
            if context.actor is None and status != 413 and (rule != "audited" or status == 404):
                return  # anonymous noise: nobody may flood the log
            _write(context, event=AuditEvent.REQUEST_REFUSED, actor=actor,
                   outcome=Outcome.DENIED, details={**where, "reason": _reason(held)})
            return
        if rule in ("public", "unknown") or context.committed or method not in _READS:
            # Changes write their own entries in the service that makes them; a write
            # route that changed nothing (a heartbeat, a resent batch) is not an access.
            return
        _write(context, event=AuditEvent.DATA_ACCESS, actor=actor, outcome=Outcome.SUCCESS,
               purpose=_purpose(scope, route),
               details={**where, "returned": _returned(held)})


def _write(context: audit_context.AuditContext, **entry: Any) -> None:
    from alpr.db.session import unit_of_work

    with audit_context.bound(context), unit_of_work() as session:
        record(session, organization=context.organization, **entry)


def _is_stream(start: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/event-stream")
               for k, v in start.get("headers", []))


def _match(scope: Scope) -> Any:
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


def _query(scope: Scope) -> dict[str, Any]:
    from urllib.parse import parse_qs

    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(raw).items()}


def _purpose(scope: Scope, route: Any) -> str:
    """The stated purpose (a `purpose` parameter), else the function the route's
    permission grants: why this request was allowed to see the data."""
    query = _query(scope)
    if isinstance(query.get("purpose"), str):
        return str(query["purpose"])
    from alpr.api.app import route_guards

    guards = sorted(route_guards(route)) if hasattr(route, "dependant") else []
    return "; ".join(guards) or "console"


def _body(held: list[Message]) -> tuple[bytes, dict[bytes, bytes]]:
    headers = {k.lower(): v for k, v in held[0].get("headers", [])}
    body = b"".join(m.get("body", b"") for m in held[1:])
    if headers.get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return body, headers


def _returned(held: list[Message]) -> dict[str, Any]:
    body, headers = _body(held)
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    summary: dict[str, Any] = {"content_type": content_type.split(";")[0], "bytes": len(body)}
    if content_type.startswith("application/json"):
        with contextlib.suppress(ValueError):
            summary |= summarize(json.loads(body))
    return summary


def _reason(held: list[Message]) -> str:
    body, headers = _body(held)
    if not headers.get(b"content-type", b"").startswith(b"application/json"):
        # A console error page: its status says why, the HTML is not worth keeping.
        return HTTPStatus(int(held[0]["status"])).phrase
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return body[:300].decode("utf-8", "replace")
    return json.dumps(detail)[:1000] if not isinstance(detail, str) else detail[:1000]


def _retry_after(scope: Scope) -> int:
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return int(getattr(settings, "db_retry_after_seconds", RETRY_AFTER_S))


async def _unavailable(send: Send, retry_after: int) -> None:
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"retry-after", str(retry_after).encode()),
                            (b"content-length", str(len(_UNAVAILABLE)).encode())]})
    await send({"type": "http.response.body", "body": _UNAVAILABLE})
