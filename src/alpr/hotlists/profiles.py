"""Import profiles: the file layouts agencies receive (shared/HOTLIST-FORMATS.md).

Each profile turns a file into entries plus a list of (line number, problem); a bad line
never stops the others. Parsing knows nothing of the database or of policy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from alpr.api.inputs import find_control_character, read_regular_file
from alpr.reads.plates import PlateError, normalize_plate

# Reasons we store, from NCIC vehicle-file record types; CLEW files are one list each.
NCIC_REASONS = {
    "A": "amber alert", "C": "supervised release", "F": "felony vehicle",
    "H": "protection order", "K": "protective interest", "L": "violent person",
    "M": "missing person", "P": "stolen plate", "R": "stolen canadian vehicle",
    "T": "gang or terrorist member", "V": "stolen vehicle", "W": "wanted person",
    "X": "sex offender",
}
CLEW_REASONS = {"svs": "stolen vehicle", "sfr": "felony vehicle", "slr": "stolen plate"}


class ProfileError(ValueError):
    """The whole file cannot be used (wrong layout, truncated)."""


# A state-wide extract is tens of megabytes; the same bound as an upload (ALPR_MAX_UPLOAD_BYTES).
MAX_LIST_FILE_BYTES = 256 * 1024 * 1024


def read_list_file(path: Path, *, max_bytes: int = MAX_LIST_FILE_BYTES) -> str:
    """A list file from the CLI or the drop folder: a regular file of bounded size (never
    /dev/zero or a FIFO dropped in the inbox). Extracts are ASCII; latin-1 never fails."""
    try:
        return read_regular_file(path, max_bytes=max_bytes).decode("latin-1")
    except ValueError as error:
        raise ProfileError(str(error)) from error


@dataclass(frozen=True, slots=True)  # slots: a state-wide list is a million of these
class ParsedEntry:
    line: int
    plate: str
    state: str | None
    reason: str
    record_type: str | None = None
    source_record_id: str | None = None
    incident_date: date | None = None
    vehicle_year: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    vehicle_color: str | None = None


@dataclass
class ParsedFile:
    entries: list[ParsedEntry] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    declared_count: int | None = None


def _field(line: str, start: int, end: int | None = None) -> str | None:
    value = line[start:end].strip()
    return _text(value) or None


def _text(value: str) -> str:
    """A field's text, refused (the line is reported) if it holds a control character."""
    problem = find_control_character(value)
    if problem:
        raise ValueError(f"field {problem}")
    return value


def _plate(raw: str | None) -> str:
    if not raw:
        raise PlateError("plate is empty")
    return normalize_plate(raw)


def _yyyymmdd(raw: str | None) -> date | None:
    if not raw:
        return None
    if not re.fullmatch(r"\d{8}", raw):
        raise ValueError(f"date {raw!r} is not YYYYMMDD")
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))


def parse_clew(text: str, *, table: str) -> ParsedFile:
    """CA DOJ CLEW extract (svs.tbl, sfr.tbl, slr.tbl): header, fixed-width rows, footer."""
    if table not in CLEW_REASONS:
        raise ProfileError(f"unknown CLEW table {table!r}; expected one of {sorted(CLEW_REASONS)}")
    parsed = ParsedFile()
    lines = text.splitlines()
    if not lines or not lines[0].startswith("DATE"):
        raise ProfileError("not a CLEW extract: the first line must be the DATE header")
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        if line.startswith("TOTAL RECORD"):
            count = line.removeprefix("TOTAL RECORD").strip()
            if not count.isdigit():
                raise ProfileError(f"line {number}: footer count {count!r} is not a number")
            parsed.declared_count = int(count)
            continue
        try:
            parsed.entries.append(ParsedEntry(
                line=number,
                plate=_plate(line[0:8].replace("-", " ")),
                state=_field(line, 8, 10),
                reason=CLEW_REASONS[table],
                source_record_id=_field(line, 10, 12),
                incident_date=_yyyymmdd(_field(line, 12, 20)),
            ))
        except ValueError as error:
            parsed.problems.append((number, str(error)))
    if parsed.declared_count is None:
        raise ProfileError("no TOTAL RECORD footer: the file may be truncated")
    found = len(parsed.entries) + len(parsed.problems)
    if found != parsed.declared_count:
        raise ProfileError(
            f"footer declares {parsed.declared_count} records but the file has {found}:"
            " truncated or damaged, the active list is kept"
        )
    return parsed


def parse_ncic(text: str) -> ParsedFile:
    """NCIC-style vehicle extract: one fixed-width file, the record type picks the list."""
    parsed = ParsedFile()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record_type = line[0:1]
            if record_type not in NCIC_REASONS:
                raise ValueError(f"unknown record type {record_type!r}")
            if len(line) < 39:
                raise ValueError(f"line is {len(line)} characters; a record needs at least 39")
            state = _field(line, 37, 39)
            parsed.entries.append(ParsedEntry(
                line=number,
                plate=_plate(_field(line, 27, 37)),
                # NCIC writes the letter O of state codes as a zero (e.g. '0H' for Ohio).
                state=state.replace("0", "O") if state else None,
                reason=NCIC_REASONS[record_type],
                record_type=record_type,
                source_record_id=_field(line, 1, 19),
                incident_date=_yyyymmdd(_field(line, 19, 27)),
                vehicle_year=_field(line, 45, 49),
                vehicle_make=_field(line, 49, 53),
                vehicle_model=_field(line, 53, 56),
                vehicle_color=_field(line, 58),
            ))
        except ValueError as error:
            parsed.problems.append((number, str(error)))
    return parsed


CSV_FIELDS = ("plate", "state", "reason", "source_record_id", "vehicle_year",
              "vehicle_make", "vehicle_model", "vehicle_color")


def parse_csv(
    text: str, *, mapping: Mapping[str, str], default_reason: str | None = None
) -> ParsedFile:
    """A CSV with a header row; `mapping` names the column for each of our fields."""
    unknown = set(mapping) - set(CSV_FIELDS)
    if unknown:
        raise ProfileError(f"unknown fields in the column mapping: {sorted(unknown)}")
    if "plate" not in mapping:
        raise ProfileError("the column mapping must name the plate column")
    if "reason" not in mapping and not default_reason:
        raise ProfileError("map a reason column or give a default reason")
    if default_reason and find_control_character(default_reason):
        raise ProfileError(f"reason: {find_control_character(default_reason)}")
    reader = csv.DictReader(io.StringIO(text))
    parsed = ParsedFile()
    try:
        missing = [column for column in mapping.values()
                   if column not in (reader.fieldnames or [])]
        if missing:
            raise ProfileError(f"columns not in the header: {missing}")
        _csv_rows(reader, mapping, default_reason, parsed)
    except csv.Error as error:
        # e.g. a field over csv.field_size_limit(): the file is refused, naming the line.
        raise ProfileError(f"line {reader.line_num + 1}: {error}") from error
    return parsed


def _csv_rows(reader: csv.DictReader[str], mapping: Mapping[str, str],
              default_reason: str | None, parsed: ParsedFile) -> None:
    for row in reader:
        number = reader.line_num

        def value(name: str, row: dict[str, str | None] = row) -> str | None:
            if name not in mapping:
                return None
            return _text((row.get(mapping[name]) or "").strip()) or None

        try:
            parsed.entries.append(ParsedEntry(
                line=number,
                plate=_plate(value("plate")),
                state=value("state"),
                reason=value("reason") or default_reason or "",
                source_record_id=value("source_record_id"),
                vehicle_year=value("vehicle_year"),
                vehicle_make=value("vehicle_make"),
                vehicle_model=value("vehicle_model"),
                vehicle_color=value("vehicle_color"),
            ))
        except ValueError as error:
            parsed.problems.append((number, str(error)))


class Profile(StrEnum):
    CLEW_SVS = "clew-svs"
    CLEW_SFR = "clew-sfr"
    CLEW_SLR = "clew-slr"
    NCIC = "ncic"
    CSV = "csv"


def parse_text(
    text: str, profile: Profile, mapping: list[str], reason: str | None = None
) -> ParsedFile:
    """Parse with the named profile; CSV mapping items are 'field=column'."""
    if profile is Profile.NCIC:
        return parse_ncic(text)
    if profile is Profile.CSV:
        pairs = dict(item.split("=", 1) for item in mapping if "=" in item)
        return parse_csv(text, mapping=pairs, default_reason=reason)
    return parse_clew(text, table=profile.value.removeprefix("clew-"))
