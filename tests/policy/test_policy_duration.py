"""Duration: the policy's way of writing time, and the arithmetic retention relies on."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from alpr.policy import Duration


@pytest.mark.parametrize(
    "text",
    ["5 years 24 hours 1 minute", "2 years", "60 days", "12 months", "30 minutes", "1 year"],
)
def test_policy_strings_round_trip(text: str) -> None:
    # REQ R1: the retention periods of the seed policies are written as they read
    assert str(Duration.parse(text)) == text


def test_parse_reads_every_unit_in_any_order_and_case() -> None:
    parsed = Duration.parse("1 Minute, 5 YEARS and 24 hours 2 weeks 3 seconds 1 month 1 day")
    assert parsed == Duration(years=5, months=1, weeks=2, days=1, hours=24, minutes=1, seconds=3)
    assert str(parsed) == "5 years 1 month 2 weeks 1 day 24 hours 1 minute 3 seconds"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty duration"),
        ("30", "each number needs a unit"),
        ("five years", "'five' is not a whole number"),
        ("-1 days", "'-1' is not a whole number"),
        ("1.5 years", "'1.5' is not a whole number"),
        ("3 fortnights", "unknown unit 'fortnights'"),
        ("1 day 2 days", "days given twice"),
        ("99999999 days", "longer than any period a policy can mean"),
    ],
)
def test_parse_refuses_what_is_not_a_duration(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Duration.parse(text)


def test_negative_components_are_refused() -> None:
    with pytest.raises(ValueError, match="days must be a whole number"):
        Duration(days=-1)


def test_lapd_permanent_deletion_moment_is_exact() -> None:
    # REQ R1: LAPD permanent deletion 5 years, 24 hours and 1 minute after the read
    read_at = datetime(2020, 12, 10, 10, 0, tzinfo=timezone(timedelta(hours=-8)))
    delete_at = Duration.parse("5 years 24 hours 1 minute").after(read_at)
    assert delete_at == datetime(2025, 12, 11, 10, 1, tzinfo=timezone(timedelta(hours=-8)))
    assert Duration.parse("2 years").after(read_at) == datetime(
        2022, 12, 10, 10, 0, tzinfo=timezone(timedelta(hours=-8))
    )


def test_hours_are_elapsed_time_across_a_dst_change() -> None:
    # REQ R1: "24 hours" is 24 hours even on the night clocks spring forward
    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # pragma: no cover - machines without tz data
        pytest.skip("no time zone data")
    read_at = datetime(2019, 3, 9, 12, 0, tzinfo=pacific)
    delete_at = Duration.parse("5 years 24 hours 1 minute").after(read_at)
    assert delete_at == datetime(2024, 3, 10, 13, 1, tzinfo=pacific)
    elapsed = delete_at.astimezone(UTC) - Duration(years=5).after(read_at).astimezone(UTC)
    assert elapsed == timedelta(hours=24, minutes=1)
    assert Duration(days=1).after(datetime(2024, 3, 9, 12, tzinfo=pacific)).hour == 12


def test_calendar_arithmetic_clamps_the_day_of_month() -> None:
    leap_day = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert Duration(years=1).after(leap_day) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert Duration(years=1).before(leap_day) == datetime(2023, 2, 28, 12, tzinfo=UTC)
    assert Duration(months=1).after(datetime(2024, 1, 31, tzinfo=UTC)) == datetime(
        2024, 2, 29, tzinfo=UTC
    )
    assert Duration(months=1).before(datetime(2023, 3, 31, tzinfo=UTC)) == datetime(
        2023, 2, 28, tzinfo=UTC
    )
    assert Duration(months=13, days=2).after(datetime(2023, 12, 30, tzinfo=UTC)) == datetime(
        2025, 2, 1, tzinfo=UTC
    )


def test_before_undoes_after_for_fixed_units() -> None:
    moment = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)
    span = Duration.parse("60 days 30 minutes")
    assert span.before(span.after(moment)) == moment


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        Duration(days=1).after(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("longer", "shorter", "expected"),
    [
        ("12 months", "1 year", True),
        ("1 year", "12 months", True),
        ("2 years", "1 year", True),
        ("366 days", "1 year", True),
        ("365 days", "1 year", False),  # one day short whenever a Feb 29 falls inside
        ("11 months", "1 year", False),
        ("1 year", "360 days", True),
        ("24 hours", "1 day", True),
        ("1 day", "24 hours", True),
        ("23 hours", "1 day", False),
        ("5 years 24 hours 1 minute", "2 years", True),
        ("2 years", "5 years 24 hours 1 minute", False),
    ],
)
def test_at_least_holds_from_every_start_day(longer: str, shorter: str, expected: bool) -> None:
    # REQ L2: floor checks compare calendar periods without guessing a month's length
    assert Duration.parse(longer).at_least(Duration.parse(shorter)) is expected
    assert Duration.parse(shorter).at_most(Duration.parse(longer)) is expected


def test_approx_days_and_truth() -> None:
    assert Duration.parse("1 year").approx_days == pytest.approx(365.2425)
    assert Duration.parse("1 week 12 hours").approx_days == pytest.approx(7.5)
    assert not Duration.parse("0 days")
    assert str(Duration()) == "0 seconds"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    keep: Duration
    maybe: Duration | None = None


def test_duration_is_a_strict_pydantic_field() -> None:
    model = _Strict.model_validate({"keep": "2 years"})
    assert model.keep == Duration(years=2)
    assert model.model_dump(mode="json") == {"keep": "2 years", "maybe": None}
    assert _Strict.model_validate_json('{"keep": "30 days"}').keep == Duration(days=30)
    assert _Strict(keep=Duration(days=1)).keep == Duration(days=1)
    with pytest.raises(ValidationError, match="expected a duration string"):
        _Strict.model_validate({"keep": 30})
    with pytest.raises(ValidationError, match="unknown unit"):
        _Strict.model_validate({"keep": "30 dayz"})
