"""Import profiles: the file layouts agencies receive (shared/HOTLIST-FORMATS.md).

Each profile turns a file into a stream of records, each an entry or a (line number,
problem): every line is checked, field by field, against the layout's fixed columns and the
tables in hotlists.validation; a wrong layout, header or footer refuses the file
(ProfileError), raised when the stream reaches it (a CLEW footer: at the end), so the
import writing the stream rolls back. The stream holds one line at a time, never the file:
a state-wide extract is a million records (issue 18.7). Parsing knows nothing of the
database or of policy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeAlias

from alpr.api.inputs import find_control_character, open_regular_file, read_regular_file
from alpr.hotlists import validation
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


# No record of any layout comes near this; a longer line is a wrong or hostile file, and
# reading it whole would undo the point of streaming.
MAX_LINE_BYTES = 1024 * 1024


def read_list_file(path: Path, *, max_bytes: int = MAX_LIST_FILE_BYTES) -> str:
    """A list file from the CLI or the drop folder: a regular file of bounded size (never
    /dev/zero or a FIFO dropped in the inbox). Extracts are ASCII; latin-1 never fails."""
    try:
        return read_regular_file(path, max_bytes=max_bytes).decode("latin-1")
    except ValueError as error:
        raise ProfileError(str(error)) from error


def open_list_file(path: Path, *, max_bytes: int = MAX_LIST_FILE_BYTES) -> BinaryIO:
    """read_list_file's checks, the file left open for file_lines to stream."""
    try:
        return open_regular_file(path, max_bytes=max_bytes)
    except ValueError as error:
        raise ProfileError(str(error)) from error


def file_lines(handle: BinaryIO, *, max_bytes: int = MAX_LIST_FILE_BYTES) -> Iterator[str]:
    """A binary file's lines, decoded one at a time (split at "\n", ends kept, as
    io.StringIO splits a text): memory holds one line, not the file."""
    total = 0
    number = 0
    while True:
        try:
            raw = handle.readline(MAX_LINE_BYTES + 1)
        except OSError as error:
            raise ProfileError(f"cannot read the file: {error}") from error
        if not raw:
            return
        number += 1
        total += len(raw)
        if total > max_bytes:  # an upload is bounded before; a dropped file may grow
            raise ProfileError(f"the file is larger than {max_bytes} bytes")
        if len(raw) > MAX_LINE_BYTES:
            raise ProfileError(f"line {number} is longer than {MAX_LINE_BYTES} bytes")
        yield raw.decode("latin-1")  # extracts are ASCII; latin-1 never fails


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


class Problem(NamedTuple):
    """A record that cannot be loaded (equal to the plain (line, message) tuple)."""

    line: int
    message: str


Record: TypeAlias = ParsedEntry | Problem


@dataclass
class ParsedFile:
    """A whole file in memory: for small files and tests; imports take the stream."""

    entries: list[ParsedEntry] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def collect(cls, records: Iterable[Record]) -> ParsedFile:
        parsed = cls()
        for record in records:
            if isinstance(record, ParsedEntry):
                parsed.entries.append(record)
            else:
                parsed.problems.append(record)
        return parsed

    def records(self) -> Iterator[Record]:
        """Entries and problems in line order, as the stream would give them."""
        records: list[Record] = [*self.entries, *(Problem(*p) for p in self.problems)]
        return iter(sorted(records, key=lambda record: record.line))


def _split(chunks: Iterable[str]) -> Iterator[str]:
    """Lines as str.splitlines() finds them in the whole text (CR, LF, CRLF and the rest),
    from pieces that end at a "\n" (file_lines, io.StringIO)."""
    for chunk in chunks:
        yield from chunk.splitlines()


def _text_chunks(text: str) -> Iterator[str]:
    return iter(io.StringIO(text))


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
    try:
        return normalize_plate(raw)
    except PlateError as error:
        raise PlateError(f"plate: {error}") from error


def _checked(number: int, checks: list[Callable[[], object]]) -> list[object]:
    """Run every field check of one record; all failures are reported together."""
    values: list[object] = []
    failures: list[str] = []
    for check in checks:
        try:
            values.append(check())
        except ValueError as error:
            failures.append(str(error))
            values.append(None)
    if failures:
        raise RecordError(number, "; ".join(failures))
    return values


class RecordError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _today(today: date | None) -> date:
    # One day of slack: an extract dated "today" somewhere west of UTC is still valid.
    return (today or datetime.now(UTC).date()) + timedelta(days=1)


# The header names the extract's date and time; a bare "DATE" is taken as undated.
CLEW_HEADER = re.compile(r"^DATE(?:(\d\d)/(\d\d)/(\d{4})(?: (\d\d):(\d\d))?)?\s*$")
CLEW_FOOTER = re.compile(r"^TOTAL RECORD (\d{7})\s*$")
CLEW_WIDTH = 20


def _clew_header(line: str) -> date | None:
    match = CLEW_HEADER.match(line)
    if match is None:
        raise ProfileError("not a CLEW extract: the first line must be the DATE header"
                           " (DATEMM/DD/YYYY HH:MM)")
    if match.group(1) is None:
        return None
    month, day, year, hour, minute = (int(g or 0) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute).date()
    except ValueError as error:
        raise ProfileError(f"line 1: header date is not a real date ({error})") from error


def parse_clew(text: str, *, table: str, today: date | None = None) -> ParsedFile:
    """iter_clew over a text in memory."""
    return ParsedFile.collect(iter_clew(_text_chunks(text), table=table, today=today))


def iter_clew(
    chunks: Iterable[str], *, table: str, today: date | None = None
) -> Iterator[Record]:
    """CA DOJ CLEW extract (svs.tbl, sfr.tbl, slr.tbl): header, fixed-width rows, footer.

    Every record is exactly 20 columns: plate 0-8, state 8-10 (from the NCIC table),
    county 10-12 (01-58) and date of loss 12-20 (a real date, not after the extract).
    The footer's count is checked when the stream ends.
    """
    if table not in CLEW_REASONS:
        raise ProfileError(f"unknown CLEW table {table!r}; expected one of {sorted(CLEW_REASONS)}")
    lines = enumerate(_split(chunks), start=1)
    first = next(lines, None)
    if first is None:
        raise ProfileError("not a CLEW extract: the file is empty")
    extract_day = _clew_header(first[1])
    latest = _today(today)
    if extract_day is not None:
        latest = min(latest, extract_day + timedelta(days=1))
    declared: int | None = None
    found = 0
    for number, line in lines:
        if not line.strip():
            continue
        if declared is not None:
            raise ProfileError(f"line {number}: content after the TOTAL RECORD footer")
        if line.startswith("TOTAL"):
            footer = CLEW_FOOTER.match(line)
            if footer is None:
                raise ProfileError(f"line {number}: the footer must read TOTAL RECORD"
                                   " and a seven-digit count")
            declared = int(footer.group(1))
            continue
        found += 1
        yield _clew_record(number, line, CLEW_REASONS[table], latest)
    if declared is None:
        raise ProfileError("no TOTAL RECORD footer: the file may be truncated")
    if found != declared:
        raise ProfileError(
            f"footer declares {declared} records but the file has {found}:"
            " truncated or damaged, the active list is kept"
        )


def _clew_record(number: int, line: str, reason: str, latest: date) -> Record:
    try:
        if len(line.rstrip()) != CLEW_WIDTH:
            raise RecordError(number, f"record is {len(line.rstrip())} characters; a CLEW"
                              f" record has exactly {CLEW_WIDTH} (plate, state, county,"
                              " date)")
        plate, state, county, day = _checked(number, [
            partial(_plate, line[0:8].replace("-", " ")),
            partial(validation.state_code, line[8:10]),
            partial(validation.county_code, line[10:12]),
            partial(validation.record_date, line[12:20], label="date of loss",
                    today=latest)])
    except RecordError as error:
        return Problem(number, str(error))
    return ParsedEntry(line=number, plate=str(plate), state=str(state), reason=reason,
                       source_record_id=str(county), incident_date=_as_date(day))


def _as_date(value: object) -> date | None:
    return value if isinstance(value, date) else None


NCIC_MIN_WIDTH = 39


def parse_ncic(text: str, *, today: date | None = None) -> ParsedFile:
    """iter_ncic over a text in memory."""
    return ParsedFile.collect(iter_ncic(_text_chunks(text), today=today))


def iter_ncic(chunks: Iterable[str], *, today: date | None = None) -> Iterator[Record]:
    """NCIC-style vehicle extract: one fixed-width file, the record type picks the list.

    Required: record type (from the table), record id 1-19, incident date 19-27 (a real
    date), plate 27-37, state 37-39 (from the table); a vehicle year, when given, is a year.
    """
    latest = _today(today)
    for number, line in enumerate(_split(chunks), start=1):
        if line.strip():
            yield _ncic_record(number, line, latest)


def _ncic_record(number: int, line: str, latest: date) -> Record:
    try:
        if len(line.rstrip()) < NCIC_MIN_WIDTH:
            raise RecordError(number, f"record is {len(line.rstrip())} characters; an NCIC"
                              f" record needs at least {NCIC_MIN_WIDTH}")
        record_type, record_id, day, plate, state, year = _checked(number, [
            partial(_record_type, line[0:1]),
            partial(_required, line[1:19], "record id"),
            partial(validation.record_date, line[19:27], label="incident date",
                    today=latest),
            partial(_plate, _field(line, 27, 37)),
            partial(validation.state_code, line[37:39]),
            partial(validation.vehicle_year, line[45:49])])
        return ParsedEntry(
            line=number, plate=str(plate), state=str(state),
            reason=NCIC_REASONS[str(record_type)], record_type=str(record_type),
            source_record_id=str(record_id), incident_date=_as_date(day),
            vehicle_year=year if isinstance(year, str) else None,
            vehicle_make=_field(line, 49, 53), vehicle_model=_field(line, 53, 56),
            vehicle_color=_field(line, 58),
        )
    except RecordError as error:
        return Problem(number, str(error))


def _record_type(raw: str) -> str:
    if raw not in NCIC_REASONS:
        raise validation.FieldError(f"record type: {raw!r} is not an NCIC vehicle record type")
    return raw


def _required(raw: str, label: str) -> str:
    value = raw.strip()
    if not value:
        raise validation.FieldError(f"{label}: missing")
    return value


CSV_FIELDS = ("plate", "state", "reason", "source_record_id", "vehicle_year",
              "vehicle_make", "vehicle_model", "vehicle_color")


def parse_csv(
    text: str, *, mapping: Mapping[str, str], default_reason: str | None = None
) -> ParsedFile:
    """iter_csv over a text in memory."""
    return ParsedFile.collect(iter_csv(_text_chunks(text), mapping=mapping,
                                       default_reason=default_reason))


def iter_csv(
    chunks: Iterable[str], *, mapping: Mapping[str, str], default_reason: str | None = None
) -> Iterator[Record]:
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
    # One record per physical line: a stray quote must not swallow the lines after it into
    # one field (csv's multi-line fields), losing the good records there.
    number = 0
    try:
        header: list[str] = []
        for number, line in enumerate(chunks, start=1):
            values = next(csv.reader([line]), [])
            if not values:
                continue  # a blank line
            if not header:
                header = values
                missing = [column for column in mapping.values() if column not in header]
                if missing:
                    raise ProfileError(f"columns not in the header: {missing}")
                continue
            yield _csv_record(number, dict(zip(header, values, strict=False)), mapping,
                              default_reason)
    except csv.Error as error:
        # e.g. a field over csv.field_size_limit(): the file is refused, naming the line.
        raise ProfileError(f"line {number}: {error}") from error
    if not header:
        raise ProfileError(f"columns not in the header: {sorted(set(mapping.values()))}")


def _csv_record(number: int, row: dict[str, str | None], mapping: Mapping[str, str],
                default_reason: str | None) -> Record:
    def value(name: str) -> str | None:
        if name not in mapping:
            return None
        return _text((row.get(mapping[name]) or "").strip()) or None

    try:
        plate, state, reason, year = _checked(number, [
            partial(_plate, value("plate")),
            partial(validation.state_code, value("state"), required=False),
            partial(_required, value("reason") or default_reason or "", "reason"),
            partial(validation.vehicle_year, value("vehicle_year"))])
        return ParsedEntry(
            line=number, plate=str(plate), state=state if isinstance(state, str) else None,
            reason=str(reason), source_record_id=value("source_record_id"),
            vehicle_year=year if isinstance(year, str) else None,
            vehicle_make=value("vehicle_make"), vehicle_model=value("vehicle_model"),
            vehicle_color=value("vehicle_color"),
        )
    except ValueError as error:  # a field check, or a control character in any field
        return Problem(number, str(error))


class Profile(StrEnum):
    CLEW_SVS = "clew-svs"
    CLEW_SFR = "clew-sfr"
    CLEW_SLR = "clew-slr"
    NCIC = "ncic"
    CSV = "csv"


def parse_text(
    text: str, profile: Profile, mapping: list[str], reason: str | None = None,
    *, today: date | None = None,
) -> ParsedFile:
    """iter_records over a text in memory."""
    return ParsedFile.collect(iter_records(_text_chunks(text), profile, mapping, reason,
                                           today=today))


def iter_records(
    chunks: Iterable[str], profile: Profile, mapping: list[str], reason: str | None = None,
    *, today: date | None = None,
) -> Iterator[Record]:
    """Parse with the named profile; CSV mapping items are 'field=column'. `chunks` are
    the file's lines as file_lines gives them."""
    if profile is Profile.NCIC:
        return iter_ncic(chunks, today=today)
    if profile is Profile.CSV:
        pairs = dict(item.split("=", 1) for item in mapping if "=" in item)
        return iter_csv(chunks, mapping=pairs, default_reason=reason)
    return iter_clew(chunks, table=profile.value.removeprefix("clew-"), today=today)
