"""Policy durations written the way policies say them: "5 years 24 hours 1 minute".

Years and months have no fixed length, so a Duration keeps every unit as written and
only turns into time when it is applied to a moment (`after`, `before`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
_UNIT_NAMES = {name: name for name in UNITS} | {name[:-1]: name for name in UNITS}
_FILLER = {"and"}
# Gregorian average (365.2425 / 12), for display and sorting only; floors use `at_least`.
_DAYS_PER_MONTH = 30.436875
_MAX_DAYS = 1000 * 366  # far past any retention period, well inside datetime's range


@dataclass(frozen=True, slots=True, repr=False)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def __post_init__(self) -> None:
        for unit in UNITS:
            value = getattr(self, unit)
            if type(value) is not int or value < 0:
                raise ValueError(f"{unit} must be a whole number ≥ 0, got {value!r}")
        if self.approx_days > _MAX_DAYS:
            raise ValueError(f"{self}: longer than any period a policy can mean")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse "2 years", "60 days", "5 years, 24 hours and 1 minute" (any unit order)."""
        words = [w for w in text.replace(",", " ").lower().split() if w not in _FILLER]
        if not words:
            raise ValueError('empty duration; write e.g. "2 years" or "30 days"')
        if len(words) % 2:
            raise ValueError(f'{text!r}: each number needs a unit, e.g. "30 days"')
        amounts: dict[str, int] = {}
        for number, word in zip(words[::2], words[1::2], strict=True):
            if not (number.isascii() and number.isdigit()):
                raise ValueError(f"{text!r}: {number!r} is not a whole number")
            unit = _UNIT_NAMES.get(word)
            if unit is None:
                raise ValueError(f"{text!r}: unknown unit {word!r}; use one of {', '.join(UNITS)}")
            if unit in amounts:
                raise ValueError(f"{text!r}: {unit} given twice")
            amounts[unit] = int(number)
        return cls(**amounts)

    def __str__(self) -> str:
        parts = []
        for unit in UNITS:
            value = getattr(self, unit)
            if value:
                parts.append(f"{value} {unit if value != 1 else unit[:-1]}")
        return " ".join(parts) or "0 seconds"

    def __repr__(self) -> str:
        return f"Duration({str(self)!r})"

    def __bool__(self) -> bool:
        return any(getattr(self, unit) for unit in UNITS)

    @property
    def approx_days(self) -> float:
        """Average length in days (a year is 365.2425 days); for display and sorting."""
        months, days, seconds = self._parts()
        return months * _DAYS_PER_MONTH + days + seconds / 86400

    def after(self, moment: datetime) -> datetime:
        """The moment this long after `moment` (an aware datetime)."""
        return self._shift(moment, 1)

    def before(self, moment: datetime) -> datetime:
        """The moment this long before `moment` (an aware datetime)."""
        return self._shift(moment, -1)

    def at_least(self, other: Duration) -> bool:
        """True when this is never shorter than `other`, whatever day it starts on."""
        mine, theirs = self._parts(), other._parts()
        if all(a >= b for a, b in zip(mine, theirs, strict=True)):
            return True
        if all(a <= b for a, b in zip(mine, theirs, strict=True)):
            return False
        # Mixed units ("365 days" vs "1 year"): try every start day of a leap-year cycle.
        return all(self.after(start) >= other.after(start) for start in _cycle_starts())

    def at_most(self, other: Duration) -> bool:
        return other.at_least(self)

    def _parts(self) -> tuple[int, int, float]:
        return (
            self.years * 12 + self.months,
            self.weeks * 7 + self.days,
            self._clock().total_seconds(),
        )

    def _clock(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def _shift(self, moment: datetime, sign: int) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Duration arithmetic needs an aware datetime (with a time zone)")
        # Calendar units move the local wall clock; a month from Jan 31 is Feb 28/29.
        year, month0 = divmod(moment.month - 1 + sign * (self.years * 12 + self.months), 12)
        year += moment.year
        day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
        local = moment.replace(year=year, month=month0 + 1, day=day)
        local += sign * timedelta(weeks=self.weeks, days=self.days)
        # Clock units are elapsed time, so "24 hours" stays 24 hours across a DST change.
        return (local.astimezone(UTC) + sign * self._clock()).astimezone(moment.tzinfo)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # A plain validator works in strict models too: policy files hold strings.
        return core_schema.no_info_plain_validator_function(
            _coerce,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


def _coerce(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        return Duration.parse(value)
    raise ValueError(f'expected a duration string such as "2 years", got {value!r}')


@cache
def _cycle_starts() -> tuple[datetime, ...]:
    first = datetime(2024, 1, 1, tzinfo=UTC)
    return tuple(first + timedelta(days=n) for n in range(366 + 3 * 365))
