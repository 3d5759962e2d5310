"""Mobile units' GPS tracks (REQ C2): NMEA and GPX in, a location for every read out.

A unit's receiver (serial/USB) speaks NMEA 0183; a recorded drive comes as an NMEA log or
a GPX file. GGA and RMC sentences give fixes; their checksums are verified and a bad line
is reported by its number without stopping the rest. Fixes are stored per unit
(`camera_gps_points`, a replayed fix is stored once).

At ingest, a mobile unit's read that carries no location of its own is placed on the track
by linear interpolation between the fixes just before and after its capture time, if they
are at most `gps_max_gap_seconds` apart; otherwise it is stored marked "no fix".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from xml.parsers import expat

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alpr.api.inputs import check_instant
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraKind, GpsPoint
from alpr.cameras.service import CameraError, get_camera
from alpr.config import get_settings
from alpr.db.base import utcnow

# A fix this close to the capture time is used as it is (receivers report once a second).
SNAP = timedelta(seconds=1)
_SENTENCE = re.compile(r"^\$([A-Z]{2})(GGA|RMC),(.*)\*([0-9A-Fa-f]{2})$")


class LocationSource(StrEnum):
    CAMERA = "camera"  # a fixed camera's registered position
    DEVICE = "device"  # sent with the read (the camera's own metadata)
    GPS = "gps"  # interpolated on the unit's GPS track
    NONE = "none"  # a mobile unit's read with no fix around its time


@dataclass(frozen=True)
class Fix:
    time: datetime
    lat: float
    lon: float


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Track:
    """What a file or a batch of sentences gave: fixes, and the lines that were refused."""

    fixes: list[Fix] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored: int = 0  # other sentence types, and fixes the receiver marked invalid


# --- NMEA 0183 ----------------------------------------------------------------------------

def nmea_checksum(body: str) -> str:
    value = 0
    for char in body:
        value ^= ord(char)
    return f"{value:02X}"


def _coordinate(value: str, hemisphere: str, degree_digits: int) -> float:
    """ddmm.mmmm / dddmm.mmmm with N/S/E/W to signed decimal degrees."""
    if len(value) < degree_digits + 2 or hemisphere not in "NSEW" or not hemisphere:
        raise ValueError(f"bad coordinate {value!r} {hemisphere!r}")
    degrees = int(value[:degree_digits])
    minutes = float(value[degree_digits:])
    if minutes >= 60:
        raise ValueError(f"bad minutes in {value!r}")
    result = degrees + minutes / 60
    return -result if hemisphere in "SW" else result


def _time_of_day(value: str) -> time:
    if len(value) < 6:
        raise ValueError(f"bad time {value!r}")
    seconds = float(value[4:])
    whole = int(seconds)
    return time(int(value[:2]), int(value[2:4]), whole, round((seconds - whole) * 1e6) % 1000000,
                tzinfo=UTC)


def _day(value: str) -> date:
    if len(value) != 6 or not value.isdigit():
        raise ValueError(f"bad date {value!r}")
    return date(2000 + int(value[4:]), int(value[2:4]), int(value[:2]))


def parse_nmea(lines: Iterable[str], *, day: date | None = None) -> Track:
    """Fixes from NMEA sentences. GGA carries no date: it takes the date of the last RMC
    (or `day`), rolling over at midnight."""
    track = Track()
    last: datetime | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("$"):
            track.errors.append(LineError(number, "not an NMEA sentence (no leading $)"))
            continue
        body, _, checksum = line[1:].partition("*")
        if not checksum:
            track.errors.append(LineError(number, "no checksum"))
            continue
        if nmea_checksum(body) != checksum.upper():
            track.errors.append(LineError(
                number, f"checksum {checksum} does not match (expected {nmea_checksum(body)})"))
            continue
        match = _SENTENCE.match(line)
        if match is None:
            track.ignored += 1  # GSV, VTG, ...: nothing for the track
            continue
        kind, fields = match.group(2), match.group(3).split(",")
        try:
            if kind == "RMC":
                fix, day = _rmc(fields)
            else:
                if day is None:
                    raise ValueError("GGA before any RMC: the date is unknown (give --date)")
                fix = _gga(fields, day, last)
        except (ValueError, IndexError) as error:
            track.errors.append(LineError(number, f"{kind}: {error}"))
            continue
        if fix is None:
            track.ignored += 1
            continue
        if not (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180):
            track.errors.append(LineError(number, f"{kind}: position out of range"))
            continue
        track.fixes.append(fix)
        last = fix.time
        day = fix.time.date()
    return track


def _rmc(fields: Sequence[str]) -> tuple[Fix | None, date]:
    # hhmmss.ss, status, lat, N/S, lon, E/W, speed, course, ddmmyy, ...
    when = datetime.combine(_day(fields[8]), _time_of_day(fields[0]))
    if fields[1] != "A":
        return None, when.date()  # "V": the receiver has no valid fix
    return Fix(when, _coordinate(fields[2], fields[3], 2),
               _coordinate(fields[4], fields[5], 3)), when.date()


def _gga(fields: Sequence[str], day: date, last: datetime | None) -> Fix | None:
    # hhmmss.ss, lat, N/S, lon, E/W, quality, satellites, hdop, altitude, ...
    if not fields[5] or fields[5] == "0":
        return None  # quality 0: no fix
    when = datetime.combine(day, _time_of_day(fields[0]))
    if last is not None and when < last - timedelta(hours=12):
        when += timedelta(days=1)  # past midnight since the last fix
    return Fix(when, _coordinate(fields[1], fields[2], 2), _coordinate(fields[3], fields[4], 3))


# --- GPX ----------------------------------------------------------------------------------

class _GpxReader:
    """Collects points with the line they start on, using expat directly. A GPX file never
    needs a DTD: one is refused, so no entity can expand or reach out (XXE, billion laughs)."""

    POINTS = ("trkpt", "rtept", "wpt")

    def __init__(self, track: Track) -> None:
        self.track = track
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.point: tuple[int, str, dict[str, str]] | None = None
        self.time: list[str] | None = None
        self.stamp: str | None = None

    def _doctype(self, *_: object) -> None:
        raise ValueError("a DOCTYPE is not allowed in a GPX file")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag in self.POINTS:
            self.point, self.stamp = (self.parser.CurrentLineNumber, tag, attrs), None
        elif tag == "time" and self.point is not None:
            self.time = []

    def _text(self, text: str) -> None:
        if self.time is not None:
            self.time.append(text)

    def _end(self, name: str) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "time" and self.time is not None:
            self.stamp, self.time = "".join(self.time), None
        elif tag in self.POINTS and self.point is not None:
            line, kind, attrs = self.point
            self.point = None
            try:
                self.track.fixes.append(_gpx_fix(attrs, self.stamp))
            except ValueError as error:
                self.track.errors.append(LineError(line, f"{kind}: {error}"))


def _gpx_fix(attrs: dict[str, str], stamp: str | None) -> Fix:
    lat, lon = float(attrs.get("lat", "")), float(attrs.get("lon", ""))
    if not stamp or not stamp.strip():
        raise ValueError("no <time>")
    when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"time {stamp!r} has no time zone")
    check_instant(when)  # year 1 at +14:00 has no UTC time: a line error, not a crash
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("position out of range")
    return Fix(when.astimezone(UTC), lat, lon)


def parse_gpx(data: bytes) -> Track:
    """Fixes from a GPX file's track, route and way points (those with a time)."""
    track = Track()
    reader = _GpxReader(track)
    try:
        reader.parser.Parse(data, True)
    except (expat.ExpatError, ValueError) as error:
        line = reader.parser.CurrentLineNumber
        track.errors.append(LineError(line, f"not valid GPX/XML: {error}"))
    return track


def parse_file(data: bytes, *, day: date | None = None) -> tuple[Track, str]:
    """A track from an NMEA log or a GPX file (told apart by content); and its source."""
    if data.lstrip()[:1] == b"<":
        return parse_gpx(data), "gpx"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return Track(errors=[LineError(line, "not ASCII: NMEA sentences are ASCII text")]), "nmea"
    return parse_nmea(text.splitlines(), day=day), "nmea"


# --- storage and interpolation ------------------------------------------------------------

def mobile_unit(session: Session, camera_id: str) -> Camera:
    camera = get_camera(session, camera_id)
    if camera.kind != CameraKind.MOBILE:
        raise CameraError(f"camera {camera_id!r} is fixed: only mobile units have a GPS track")
    return camera


def store_fixes(
    session: Session, camera: Camera, fixes: Sequence[Fix], *, source: str,
    now: datetime | None = None,
) -> int:
    """Store fixes not stored yet (a replayed file adds nothing); return how many were new."""
    if not fixes:
        return 0
    now = now or utcnow()
    unique = {fix.time: fix for fix in fixes}  # one fix per instant: the last one given
    rows = [{"camera_id": camera.id, "time": f.time, "lat": f.lat, "lon": f.lon,
             "source": source, "received_at": now} for f in unique.values()]
    times = sorted(unique)
    stored = set(session.scalars(select(GpsPoint.time).where(
        GpsPoint.camera_id == camera.id, GpsPoint.time >= times[0], GpsPoint.time <= times[-1])))
    rows = [row for row in rows if row["time"] not in stored]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # DO NOTHING: another worker may store the same fixes between the check and the insert.
    statement = dialect.insert(GpsPoint).on_conflict_do_nothing(
        index_elements=["camera_id", "time"])
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start:start + 1000])
    return len(rows)


def import_track(
    session: Session, *, camera_id: str, data: bytes, actor: str, day: date | None = None,
    now: datetime | None = None,
) -> tuple[Track, int]:
    """Import a recorded track file; the good fixes are stored, bad lines only reported."""
    camera = mobile_unit(session, camera_id)
    track, source = parse_file(data, day=day)
    added = store_fixes(session, camera, track.fixes, source=source, now=now)
    record(session, event=AuditEvent.CAMERA_GPS_IMPORT, actor=actor, now=now,
           organization=camera.agency,
           details={"camera_id": camera_id, "source": source, "fixes": len(track.fixes),
                    "new": added, "errors": [str(e) for e in track.errors[:50]],
                    "error_count": len(track.errors)})
    return track, added


def _between(before: GpsPoint, after: GpsPoint, at: datetime) -> tuple[float, float]:
    span = (after.time - before.time).total_seconds()
    share = (at - before.time).total_seconds() / span if span else 0.0
    lon_step = after.lon - before.lon
    if abs(lon_step) > 180:  # the short way across the antimeridian
        lon_step -= 360 if lon_step > 0 else -360
    lon = before.lon + share * lon_step
    lon = (lon + 180) % 360 - 180 if not -180 <= lon <= 180 else lon
    return before.lat + share * (after.lat - before.lat), lon


def locate(session: Session, camera_id: str, at: datetime, max_gap: timedelta
           ) -> tuple[float, float] | None:
    """Where the unit was at `at` by its track, or None when no fixes bracket it closely."""
    before = session.scalar(select(GpsPoint).where(
        GpsPoint.camera_id == camera_id, GpsPoint.time <= at)
        .order_by(GpsPoint.time.desc()).limit(1))
    after = session.scalar(select(GpsPoint).where(
        GpsPoint.camera_id == camera_id, GpsPoint.time >= at)
        .order_by(GpsPoint.time).limit(1))
    for point in (before, after):
        if point is not None and abs(point.time - at) <= SNAP:
            return point.lat, point.lon
    if before is None or after is None or after.time - before.time > max_gap:
        return None
    return _between(before, after, at)


def place_read(session: Session, camera_id: str, at: datetime
               ) -> tuple[float | None, float | None, LocationSource]:
    """A mobile unit's read without a location of its own: on its track, or no fix."""
    max_gap = timedelta(seconds=get_settings().gps_max_gap_seconds)
    found = locate(session, camera_id, at, max_gap)
    if found is None:
        return None, None, LocationSource.NONE
    return found[0], found[1], LocationSource.GPS


def track(session: Session, camera_id: str, start: datetime, end: datetime) -> list[GpsPoint]:
    return list(session.scalars(select(GpsPoint).where(
        GpsPoint.camera_id == camera_id, GpsPoint.time >= start, GpsPoint.time <= end)
        .order_by(GpsPoint.time)))


def prune(session: Session, before: datetime) -> int:
    """Forget fixes older than any read that may still arrive (the retention period)."""
    result = session.execute(delete(GpsPoint).where(GpsPoint.time < before))
    return max(getattr(result, "rowcount", 0) or 0, 0)
