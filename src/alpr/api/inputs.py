"""Rules for untrusted input that every schema and route shares (issue 18.6).

A leaf module (it imports no domain), so any schema can use its types:

- `SafeText`: text without NUL or other control characters (tab, newline and carriage
  return are allowed). PostgreSQL refuses NUL in text, and control characters in plates,
  names or reasons only hide what was typed.
- `Instant`: an aware datetime that still exists in UTC (year 1 at +14:00 does not).
- `DbInt`: an integer the database can hold (PostgreSQL `integer`).
- `parse_json`: JSON with a nesting limit, never a RecursionError.

`find_control_character` and `json_problem` are used by the request gate
(`alpr.api.limits`) to hold every route to the same rules, new ones included.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from pydantic import AfterValidator, AwareDatetime, Field

# C0 controls except tab, newline, carriage return; DEL; C1 controls. Unicode line and
# paragraph separators and bidi overrides are "format" characters that can disguise text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                      "\u2066-\u2069\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
DEFAULT_MAX_JSON_DEPTH = 32
MIN_YEAR, MAX_YEAR = 1000, 9998


def find_control_character(value: str) -> str | None:
    """Why this text is refused (the first control character, named), or None."""
    found = _CONTROL.search(value) or _SURROGATE.search(value)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "control character")
    return f"contains {name.lower()} U+{ord(char):04X} at position {found.start()}"


def check_text(value: str) -> str:
    problem = find_control_character(value)
    if problem:
        raise ValueError(f"text {problem}; control characters are not accepted")
    return value


def check_instant(value: datetime) -> datetime:
    """The instant must exist in UTC: +14:00 on 0001-01-01 is before the first UTC day."""
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise ValueError("date and time out of range once converted to UTC") from error
    if not MIN_YEAR <= in_utc.year <= MAX_YEAR:
        # Far outside anything a camera, a list or a search means; the margins leave room
        # for arithmetic (periods, day bounds) without overflowing.
        raise ValueError(f"year {in_utc.year} out of range ({MIN_YEAR}–{MAX_YEAR})")
    return value


_LOOKS_LIKE_INSTANT = re.compile(
    r"[+-]?\d{4,}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)?)?")


def find_bad_instant(value: str) -> str | None:
    """Why a date-time written as text is out of range (or None): the request gate applies
    this to every parameter and JSON string, so no schema can forget the rule."""
    if len(value) > 40 or not _LOOKS_LIKE_INSTANT.fullmatch(value):
        return None
    if not re.match(r"\d{4}-", value):
        return f"year out of range ({MIN_YEAR}–{MAX_YEAR})"
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None  # not a date after all (or not a real one): the schema says why
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        check_instant(parsed)
    except ValueError as error:
        return str(error)
    return None


SafeText = Annotated[str, AfterValidator(check_text)]
Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]
DbInt = Annotated[int, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX, description="A row id")]


class JsonError(ValueError):
    """A body that is not acceptable JSON; the message says why."""


def parse_json(data: bytes | str, *, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> Any:
    """Parse JSON, refusing nesting deeper than `max_depth` with a clear message."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise JsonError(f"JSON nested deeper than {max_depth} levels") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JsonError(f"body is not JSON: {error}") from error
    if _depth_exceeds(value, max_depth):
        raise JsonError(f"JSON nested deeper than {max_depth} levels")
    return value


def _refuse_constant(name: str) -> Any:
    # Python reads NaN and Infinity; JSON has neither, and no field here means them.
    raise JsonError(f"body is not JSON: {name} is not a JSON number")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


BIGINT_MAX = 2**63 - 1


def json_problem(value: Any, where: tuple[str | int, ...] = ("body",)
                 ) -> tuple[tuple[str | int, ...], str] | None:
    """The first string (key or value) with a control character or a date-time out of
    range, or integer no database column can hold: (its location, why)."""
    for location, item in _leaves(value, where):
        if isinstance(item, str):
            problem = find_control_character(item) or find_bad_instant(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > BIGINT_MAX:
            problem = f"integer out of range (at most {BIGINT_MAX} either way)"
        else:
            problem = None
        if problem:
            return location, problem
    return None


def _leaves(value: Any, where: tuple[str | int, ...]
            ) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every scalar of a JSON value, and every object key, with its location."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, where)]
    while stack:
        item, location = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield (*location, key), str(key)
                stack.append((child, (*location, key)))
        elif isinstance(item, list):
            stack.extend((child, (*location, index)) for index, child in enumerate(item))
        else:
            yield location, item


def read_regular_file(path: Path, *, max_bytes: int) -> bytes:
    """A file named by a user or dropped in a folder: a regular file of bounded size, never
    a device (/dev/zero), a FIFO (it would block) or a directory. ValueError says why."""
    try:
        with open_regular_file(path, max_bytes=max_bytes) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise ValueError(f"cannot read {path.name}: {error.strerror}") from error
    if len(data) > max_bytes:  # it grew while being read
        raise ValueError(f"{path.name!r} is larger than {max_bytes} bytes")
    return data


def open_regular_file(path: Path, *, max_bytes: int) -> BinaryIO:
    """The same checks as read_regular_file, the file left open to be read in pieces (a
    reader that streams must still stop past max_bytes: the file may grow meanwhile)."""
    try:
        # Non-blocking open: a FIFO must not hang the caller; fstat then tells what it is.
        handle = os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb")
    except OSError as error:
        raise ValueError(f"cannot read {path.name}: {error.strerror}") from error
    try:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name!r} is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"{path.name!r} is larger than {max_bytes} bytes")
    except BaseException:
        handle.close()
        raise
    return handle
