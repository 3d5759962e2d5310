"""Faults and refusals as documented JSON answers, never a plain-text 500 (issue 18.6, 18.7).

- The database is down, restarting or refusing connections: 503 with Retry-After and a
  JSON body, so cameras, edge units and adapters retry instead of dropping reads.
- The database refused a value (a number out of its range, a NUL in text) or a date left
  the calendar during arithmetic: 422 naming the parameter when one is to blame. Every
  schema bounds its fields (alpr.api.inputs); this is the net under them.

Every error body is {"detail": ...}: a sentence, or FastAPI's list of field problems
(`ErrorOut` in the OpenAPI document).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from alpr.api.inputs import DB_INT_MAX, DB_INT_MIN

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: one sentence, or the list of fields refused and why."""

    detail: str | list[FieldProblem] = Field(description="What was refused, and why")


def install(app: FastAPI, *, retry_after: int) -> None:
    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        # With the traceback: an OperationalError can also be a missing table (a deployment
        # not migrated), which the log must show even though the client just retries.
        log.warning("database unavailable for %s %s", request.method, request.url.path,
                    exc_info=error)
        return JSONResponse(
            {"detail": "the database is unavailable; nothing was stored, retry later"},
            status_code=503, headers={"Retry-After": str(retry_after)})

    async def dbapi_error(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return await unavailable(request, error)
        if isinstance(error, DataError):
            return await out_of_range(request, error)
        raise error

    async def out_of_range(request: Request, error: Exception) -> JSONResponse:
        location = _suspect(request)
        reason = _reason(error)
        if location is None:
            return JSONResponse({"detail": reason}, status_code=422)
        return JSONResponse({"detail": [{"loc": list(location), "msg": reason,
                                         "type": "out_of_range"}]}, status_code=422)

    # psycopg's own classes too: the COPY fast path talks to the driver directly.
    for unavailable_error in (OperationalError, InterfaceError, PoolTimeoutError,
                              psycopg.OperationalError, psycopg.InterfaceError):
        app.add_exception_handler(unavailable_error, unavailable)
    app.add_exception_handler(DataError, out_of_range)
    app.add_exception_handler(psycopg.DataError, out_of_range)
    app.add_exception_handler(DBAPIError, dbapi_error)
    app.add_exception_handler(OverflowError, out_of_range)


def _reason(error: Exception) -> str:
    if isinstance(error, DBAPIError | psycopg.Error):
        cause = error.orig if isinstance(error, DBAPIError) else error
        first = str(cause).splitlines()[0] if cause else "value refused"
        return f"the database refused a value: {first}"
    return f"a number or date is out of range ({error})"


def _suspect(request: Request) -> tuple[str, ...] | None:
    """The path or query parameter most likely to blame: an integer the database cannot
    hold, or a value with a NUL character."""
    candidates: list[tuple[tuple[str, ...], Any]] = [
        (("path", name), value) for name, value in request.path_params.items()]
    candidates += [(("query", name), value) for name, value in request.query_params.items()]
    for location, value in candidates:
        text = str(value)
        if "\x00" in text:
            return location
        try:
            number = int(text)
        except ValueError:
            continue
        if not DB_INT_MIN <= number <= DB_INT_MAX:
            return location
    return None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (not JSON, nested too deep)"},
    401: {"description": "No credentials, or credentials refused"},
    403: {"description": "The caller lacks the permission"},
    404: {"description": "No such item"},
    409: {"description": "The item's state, or a rule about who may act, forbids it now"},
    413: {"description": "Request body over the route's limit"},
    422: {"description": "A field refused, or a rule of the domain"},
    429: {"description": "Too many attempts; retry later"},
    503: {"description": "Database, audit log or broker unavailable: nothing was done or"
                         " returned; retry after Retry-After",
          "headers": {"Retry-After": {"schema": {"type": "integer"},
                                      "description": "Seconds to wait before retrying"}}},
}
