"""Hypothesis against every way data comes in: POST /reads, the reads JSONL import, hot-list
files (CLEW, NCIC, CSV) and GPS tracks (NMEA, GPX). Generated junk is mixed with good
items; nothing may raise an uncaught exception or answer a 500, and every good item must
be kept. Bounded and deterministic (derandomized, a fixed number of examples)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alpr.api.app import create_app
from alpr.cameras import gps
from alpr.cameras.models import CameraKind
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists import importing
from alpr.hotlists import service as hotlists
from alpr.hotlists.profiles import Profile, ProfileError, parse_text
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.importer import import_jsonl
from alpr.reads.models import Read
from tests.helpers import CameraFactory

SETTINGS = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# Text that has broken parsers before: control characters, NUL, bidi overrides, surrogate
# escapes, huge and tiny numbers, dates at the ends of the calendar.
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "A\x00B", "\u202e7ABC", "\x1b[2J", "\ud800", "9" * 400,
                     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                     "10000-01-01T00:00:00Z", "NaN", "1e309", "-0", "'; DROP TABLE reads;--",
                     "../../etc/passwd", "/dev/zero", "%00", "\\u0000"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | NASTY_TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(NASTY_TEXT, children, max_size=4),
    max_leaves=12,
)
READ_FIELDS = ["id", "plate", "confidence", "region", "captured_at", "camera_id", "lat", "lon",
               "heading", "candidates", "plate_box", "plate_image", "vehicle_image",
               "vehicle_color", "vehicle_make", "vehicle_model"]


def good_read(camera_id: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                            "captured_at": (utcnow() - timedelta(seconds=30)).isoformat()}
    if camera_id:
        data["camera_id"] = camera_id
    return data


# A good read with one field replaced by junk, or junk with read-like keys, or any JSON.
BAD_READS = st.one_of(
    st.builds(lambda name, value: {**good_read(), name: value},
              st.sampled_from(READ_FIELDS), JSON_VALUES),
    st.dictionaries(st.sampled_from(READ_FIELDS), JSON_VALUES, max_size=6),
    JSON_VALUES,
)


def stored(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Read)) or 0


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_post_reads_keeps_the_good_reads_whatever_comes_with_them(
    client: TestClient, database: Database, make_camera: CameraFactory
) -> None:
    # REQ C2 — a bad item never drops the good ones; no input answers a 500
    _, key = make_camera()

    @SETTINGS
    @given(bad=st.lists(BAD_READS, min_size=1, max_size=5), where=st.integers(0, 5))
    def attempt(bad: list[Any], where: int) -> None:
        goods = [good_read(), good_read()]
        batch = [*bad[:where], goods[0], *bad[where:], goods[1]]
        before = stored(database)
        # json.dumps writes lone surrogates as \ud800 escapes, as a hostile client may
        response = client.post("/api/v1/reads", content=json.dumps({"reads": batch}),
                               headers={"Authorization": f"Bearer {key}",
                                        "content-type": "application/json"})
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            results = {r["id"]: r["status"] for r in response.json()["results"]}
            assert results[goods[0]["id"]] == results[goods[1]["id"]] == "accepted"
            assert stored(database) >= before + 2
        else:  # refused whole: only for the body itself (nesting), never for one read
            assert response.status_code == 400, response.text

    attempt()


def test_the_reads_import_keeps_the_good_lines(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory,
    tmp_path: Path,
) -> None:
    make_camera()

    @SETTINGS
    @given(junk=st.lists(st.one_of(BAD_READS.map(json.dumps), NASTY_TEXT), max_size=6))
    def attempt(junk: list[str]) -> None:
        goods = [good_read("cam-1"), good_read("cam-1")]
        lines = [json.dumps(goods[0]), *(line.replace("\n", " ") for line in junk),
                 json.dumps(goods[1])]
        file = tmp_path / f"{uuid.uuid4()}.jsonl"
        file.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        summary = import_jsonl(file, actor="t", policy=policy, images=images)
        statuses = {result.id: result.status.value for _, result in summary.results}
        assert statuses[goods[0]["id"]] == statuses[goods[1]["id"]] == "accepted"

    attempt()


CLEW_GOOD = ["7ABC123 CA0120260101", "8XYZ789 CA0220260101"]
NCIC_GOOD = ["V" + "1" * 18 + "20260101" + "7ABC123   " + "CA",
             "V" + "2" * 18 + "20260102" + "8XYZ789   " + "CA"]


def hotlist_file(profile: Profile, junk: list[str]) -> str:
    junk = [line.replace("\n", " ").replace("\r", " ") for line in junk]
    if profile is Profile.CSV:
        return "plate,reason\n7ABC123,stolen\n" + "\n".join(junk) + "\n8XYZ789,stolen\n"
    if profile is Profile.NCIC:
        return "\n".join([NCIC_GOOD[0], *junk, NCIC_GOOD[1]]) + "\n"
    rows = [CLEW_GOOD[0], *junk, CLEW_GOOD[1]]
    return "DATE 20261123\n" + "\n".join(rows) + f"\nTOTAL RECORD {len(rows):07d}\n"


@pytest.mark.parametrize("profile", [Profile.CLEW_SVS, Profile.NCIC, Profile.CSV])
def test_hotlist_files_never_break_the_import(
    database: Database, policy: Policy, profile: Profile
) -> None:
    # REQ H2 — a bad line is reported by number; the good records load (or the file is refused
    # whole, naming why, and the active list is kept)
    with database.unit_of_work() as session:
        hotlists.create_list(session, name="fuzz", source="SVS", actor="t", policy=policy)

    @SETTINGS
    @given(junk=st.lists(NASTY_TEXT | st.text(alphabet="0123456789ABCV ,\"\x00-", max_size=60),
                         max_size=6))
    def attempt(junk: list[str]) -> None:
        text = hotlist_file(profile, junk)
        try:
            parsed = parse_text(text, profile, ["plate=plate", "reason=reason"], None)
            with database.unit_of_work() as session:
                result = importing.import_entries(session, list_name="fuzz", parsed=parsed,
                                                  actor="t", policy=policy, file_name="f")
        except (ProfileError, hotlists.HotlistError):
            return  # refused whole, with the reason: nothing changed
        with database.unit_of_work() as session:
            plates = {e.plate for e, _ in hotlists.list_entries(session, list_name="fuzz")}
        assert {"7ABC123", "8XYZ789"} <= plates, (result.problems, text)

    attempt()


def nmea(body: str) -> str:
    return f"${body}*{gps.nmea_checksum(body)}"


GOOD_NMEA = [nmea("GPRMC,120000.00,A,3748.000,N,12216.000,W,0.0,0.0,231126,,"),
             nmea("GPGGA,120001.00,3748.010,N,12216.010,W,1,08,1.0,10.0,M,0.0,M,,")]


@given(junk=st.lists(st.one_of(NASTY_TEXT, NASTY_TEXT.map(nmea),
                               st.lists(NASTY_TEXT, max_size=12).map(
                                   lambda fields: nmea("GPRMC," + ",".join(fields))),
                               st.lists(NASTY_TEXT, max_size=12).map(
                                   lambda fields: nmea("GPGGA," + ",".join(fields)))),
                     max_size=6))
@SETTINGS
def test_nmea_never_raises_and_keeps_the_good_fixes(junk: list[str]) -> None:
    lines = [GOOD_NMEA[0], *(line.replace("\n", " ") for line in junk), GOOD_NMEA[1]]
    track = gps.parse_nmea(lines)
    # 37°48.000' N / 37°48.010' N: both good sentences gave their fix, whatever came between.
    good = [fix for fix in track.fixes
            if round(fix.lat, 3) == 37.8 and round(fix.lon, 3) == -122.267]
    assert len(good) >= 2, (track.fixes, track.errors)


def gpx(points: list[str]) -> bytes:
    body = "".join(points)
    return (f'<?xml version="1.0"?><gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
            f"{body}</trkseg></trk></gpx>").encode("utf-8", "surrogatepass")


GOOD_POINT = '<trkpt lat="37.8" lon="-122.27"><time>2026-11-23T12:00:00Z</time></trkpt>'
ATTRIBUTE = st.one_of(NASTY_TEXT, st.floats().map(str))


@given(points=st.lists(st.builds(
    lambda lat, lon, stamp: f'<trkpt lat="{lat}" lon="{lon}"><time>{stamp}</time></trkpt>',
    ATTRIBUTE.map(lambda v: v.replace('"', "").replace("<", "").replace("&", "")),
    ATTRIBUTE.map(lambda v: v.replace('"', "").replace("<", "").replace("&", "")),
    NASTY_TEXT.map(lambda v: v.replace("<", "").replace("&", ""))), max_size=5))
@SETTINGS
def test_gpx_never_raises_and_keeps_the_good_points(points: list[str]) -> None:
    track = gps.parse_gpx(gpx([GOOD_POINT, *points]))
    if not any("not valid GPX/XML" in error.message for error in track.errors):
        assert track.fixes and track.fixes[0].lat == 37.8


def test_gps_tracks_store_without_server_errors(
    database: Database, make_camera: CameraFactory
) -> None:
    # Fixes that parse are stored; the database never refuses one (REQ C2).
    make_camera("car-1", kind=CameraKind.MOBILE)

    @SETTINGS
    @given(junk=st.lists(NASTY_TEXT, max_size=4), stamps=st.lists(st.sampled_from([
        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z",
        "2026-11-23T12:00:00+14:00"]), max_size=3))
    def attempt(junk: list[str], stamps: list[str]) -> None:
        points = [f'<trkpt lat="1" lon="2"><time>{s}</time></trkpt>' for s in stamps]
        data = gpx([GOOD_POINT, *points]) if junk else "\n".join(GOOD_NMEA).encode()
        with database.unit_of_work() as session:
            track, _ = gps.import_track(session, camera_id="car-1", data=data, actor="t")
        assert track.fixes

    attempt()
