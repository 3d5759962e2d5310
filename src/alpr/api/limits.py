"""The request gate: size, nesting and control-character rules for every route (issue 18.6).

A pure ASGI middleware in front of the whole app, so a new route gets the rules without
doing anything:

- the body is counted as it streams in (a client can lie in Content-Length, or send
  none) and refused with 413 past the route's limit, naming the limit and its setting;
- a JSON body is parsed once here with a nesting limit (400, never a RecursionError),
  and a string in it, key or value, with a NUL or another control character is refused
  with 422 naming its location — except on routes that judge each item on its own
  (a batch of reads: the bad read is rejected, the good ones are kept);
- the path and the query string obey the same text rule (a NUL in `?plate=` used to
  reach PostgreSQL, which refuses it with a 500).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from alpr.api.inputs import (
    DEFAULT_MAX_JSON_DEPTH,
    JsonError,
    find_bad_instant,
    find_control_character,
    json_problem,
)
from alpr.api.inputs import parse_json as parse_limited_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
# Where a parsed JSON body is left for the route (request.state.json_body): parsed once.
JSON_STATE_KEY = "json_body"


@dataclass(frozen=True)
class BodyRule:
    """A larger (or smaller) body limit for the paths matching `pattern`."""

    pattern: re.Pattern[str]
    limit: int
    setting: str


@dataclass(frozen=True)
class GateConfig:
    max_body: int = 16 * MIB
    max_body_setting: str = "ALPR_MAX_BODY_BYTES"
    rules: tuple[BodyRule, ...] = ()
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    # Routes that check each item's text themselves, so one bad item does not sink a batch.
    per_item_paths: frozenset[str] = field(default_factory=frozenset)

    def limit_for(self, path: str) -> tuple[int, str]:
        for rule in self.rules:
            if rule.pattern.fullmatch(path):
                return rule.limit, rule.setting
        return self.max_body, self.max_body_setting


class BodyTooLargeError(HTTPException):
    """An HTTPException, so the app's own handlers answer it as a 413 if it surfaces there
    (FastAPI re-raises HTTPExceptions met while reading a body instead of answering 400)."""

    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(413, f"request body larger than {limit} bytes (the limit for this"
                              f" route; setting {setting})")
        self.limit = limit


class InputGate:
    def __init__(self, app: ASGIApp, config: GateConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _path_or_query_problem(scope)
        if problem is not None:
            await _answer(send, 422, _validation(*problem))
            return
        limit, setting = self.config.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(send, 413, {"detail": BodyTooLargeError(limit, setting).detail})
            return
        counted = _CountingReceive(receive, limit, setting)
        try:
            media = _media_type(scope) if scope["method"] in _WRITES else b""
            if media == b"application/json" or media.endswith(b"+json"):
                await self._json(scope, counted, send)
            elif media == b"application/x-www-form-urlencoded":
                await self._form(scope, counted, send)
            else:
                await self.app(scope, counted, _watch(send, counted))
        except BodyTooLargeError as error:
            if counted.response_started:
                raise
            await _answer(send, 413, {"detail": error.detail})

    async def _form(self, scope: Scope, receive: _CountingReceive, send: Send) -> None:
        # The console's forms: the same text rule as JSON fields, named by form field.
        body = await receive.read_all()
        problem = _pairs_problem(body, "body")
        if problem is not None:
            await _answer(send, 422, _validation(*problem))
            return
        await self.app(scope, _Replay(body, receive), _watch(send, receive))

    async def _json(self, scope: Scope, receive: _CountingReceive, send: Send) -> None:
        body = await receive.read_all()
        if body.strip():
            # A batch of megabytes is parsed in a worker thread: the event loop keeps serving.
            check = run_in_threadpool if len(body) > _INLINE_PARSE else _call
            try:
                value, found = await check(self._parse, body, scope["path"])
            except JsonError as error:
                await _answer(send, 400, {"detail": str(error)})
                return
            if found is not None:
                location, why = found
                await _answer(send, 422, _validation(location, why))
                return
            scope.setdefault("state", {})[JSON_STATE_KEY] = value
        replay = _Replay(body, receive)
        await self.app(scope, replay, _watch(send, receive))


    def _parse(self, body: bytes, path: str
               ) -> tuple[Any, tuple[tuple[str | int, ...], str] | None]:
        value = parse_limited_json(body, max_depth=self.config.max_json_depth)
        return value, None if path in self.config.per_item_paths else json_problem(value)


_INLINE_PARSE = 256 * 1024
_T = TypeVar("_T")


async def _call(function: Callable[..., _T], *args: Any) -> _T:
    return function(*args)


class _CountingReceive:
    """Pass body chunks through, counting them; past the limit, stop with 413."""

    def __init__(self, receive: Receive, limit: int, setting: str) -> None:
        self.receive = receive
        self.limit = limit
        self.setting = setting
        self.received = 0
        self.response_started = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLargeError(self.limit, self.setting)
        return message

    async def read_all(self) -> bytes:
        chunks = []
        while True:
            message = await self()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _Replay:
    """The buffered body once, then whatever the server says (a disconnect)."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body: bytes | None = body
        self.receive = receive

    async def __call__(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.receive()


def _watch(send: Send, counted: _CountingReceive) -> Send:
    async def watched(message: Message) -> None:
        if message["type"] == "http.response.start":
            counted.response_started = True
        await send(message)

    return watched


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _media_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media
    return b""


def _path_or_query_problem(scope: Scope) -> tuple[tuple[str | int, ...], str] | None:
    problem = find_control_character(scope["path"])
    if problem:
        return ("path",), problem
    return _pairs_problem(scope.get("query_string", b""), "query")


def _pairs_problem(raw: bytes, where: str) -> tuple[tuple[str | int, ...], str] | None:
    """A query string or a urlencoded form: the first name or value the rules refuse."""
    if not raw:
        return None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                          errors="strict", max_num_fields=10_000)
    except UnicodeDecodeError:
        return (where,), f"{where} is not UTF-8"
    except ValueError as error:
        return (where,), str(error)
    for name, value in pairs:
        for text in (name, value):
            problem = find_control_character(text) or find_bad_instant(text)
            if problem:
                return (where, name), problem
    return None


def _validation(location: tuple[str | int, ...], why: str) -> dict[str, Any]:
    # The same shape as FastAPI's own validation errors, so clients parse one format.
    return {"detail": [{"loc": list(location), "msg": f"Value error, {why}",
                        "type": "value_error"}]}


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": content})
