"""Capture end to end: a generated traffic clip through the real recognizer into reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from alpr.cameras.models import CameraKind
from alpr.capture.cli import ingest_command
from alpr.capture.pipeline import FrameRecognizer, check_camera, downscale, plate_crop, run_capture
from alpr.capture.sample_video import render_frame, write_sample_clip
from alpr.capture.sources import CaptureError
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.recognition.interfaces import Box, Image
from alpr.recognition.tracking import plate_distance
from tests.helpers import CameraFactory

PLATES = ["7ABC123", "4XYZ908", "5OKD210"]  # the last one has an O the reader may see as 0


@pytest.fixture(scope="module")
def recognizer() -> FrameRecognizer:
    from alpr.recognition.registry import load_recognizer

    return load_recognizer()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("traffic") / "traffic.mp4"
    # 3 passes of 8 frames at 10 fps with 3 empty frames between: 34 frames, 17 recognized.
    write_sample_clip(path, PLATES, fps=10, seconds_per_pass=0.8, gap_frames=3)
    return path


def decode(data: bytes) -> Image:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def stored_reads(database: Database) -> list[Read]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(Read).order_by(Read.captured_at)))


def test_video_clip_gives_one_read_per_passing_vehicle(
    database: Database,
    policy: Policy,
    images: ImageStore,
    make_camera: CameraFactory,
    recognizer: FrameRecognizer,
    clip: Path,
) -> None:
    # REQ C1 — plates recognized in a video file, one read per vehicle pass
    # REQ C2 — each read stored with its images, time, place and camera
    # REQ C5 — per-frame misreads are voted away
    camera, _ = make_camera("gate-1")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    done: list[int] = []
    summary = run_capture(
        str(clip),
        camera_id="gate-1",
        recognizer=recognizer,
        actor="test",
        policy=policy,
        images=images,
        every_n=2,
        start=start,
        progress=done.append,
    )
    assert summary.frames == 17
    assert done[-1] == 17
    assert (summary.passes, summary.accepted, summary.rejected) == (3, 3, 0)

    reads = stored_reads(database)
    assert len(reads) == 3
    for read, expected in zip(reads, PLATES, strict=True):
        assert plate_distance(read.plate_normalized, expected) == 0, read.plate
        assert read.camera_id == "gate-1"
        assert (read.lat, read.lon) == (camera.lat, camera.lon)
        assert 0.5 < read.confidence <= 1
        assert read.plate_image and read.vehicle_image
        plate = decode(images.get(read.plate_image, read.captured_at.date()))
        vehicle = decode(images.get(read.vehicle_image, read.captured_at.date()))
        assert plate.shape[1] >= 160 and plate.shape[1] < 400
        assert vehicle.shape[:2] == (540, 960)
    # First sighting times: the clip starts 1 empty frame before the first vehicle (frame 1),
    # then each pass takes 11 frames; with every 2nd frame the first sighting is rounded up.
    offsets = [(read.captured_at - start).total_seconds() for read in reads]
    assert offsets == pytest.approx([0.2, 1.2, 2.4], abs=0.11)


def test_unknown_disabled_or_placeless_camera_is_refused(
    database: Database, make_camera: CameraFactory
) -> None:
    with pytest.raises(CaptureError, match="unknown camera 'nope'"):
        check_camera("nope", lat=None, lon=None)
    make_camera("patrol-7", kind=CameraKind.MOBILE)
    with pytest.raises(CaptureError, match="mobile"):
        check_camera("patrol-7", lat=None, lon=None)
    assert check_camera("patrol-7", lat=37.8, lon=-122.3).id == "patrol-7"


def test_cli_ingests_a_still_for_a_mobile_camera(
    database: Database, images: ImageStore, make_camera: CameraFactory, tmp_path: Path
) -> None:
    # REQ C2 — a patrol car's still: the read carries the position given for it
    make_camera("patrol-1", kind=CameraKind.MOBILE)
    still = tmp_path / "still.jpg"
    cv2.imwrite(str(still), render_frame("8LMN456"))
    app = typer.Typer()
    app.command("ingest")(ingest_command)
    app.command("noop")(lambda: None)  # two commands: Typer keeps "ingest" as a subcommand
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "ingest",
            "--camera",
            "patrol-1",
            "--lat",
            "37.81",
            "--lon",
            "-122.26",
            "--json",
            str(still),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["frames"], summary["accepted"]) == (1, 1)
    [read] = stored_reads(database)
    assert read.plate_normalized == "8LMN456"
    assert (read.lat, read.lon) == (37.81, -122.26)
    assert images.exists(read.vehicle_image or "", read.captured_at.date())

    refused = runner.invoke(app, ["ingest", "--camera", "ghost", str(still)])
    assert refused.exit_code == 1
    assert "unknown camera 'ghost'" in refused.output


def test_crop_and_downscale_stay_inside_the_frame() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    assert plate_crop(frame, Box(1800, 1000, 200, 100)).shape == (95, 150, 3)
    assert downscale(frame, 1280).shape == (720, 1280, 3)
    small = np.zeros((100, 200, 3), np.uint8)
    assert downscale(small, 1280) is small


def test_folder_of_stills_skips_a_corrupt_file_and_stores_the_rest(
    database: Database,
    policy: Policy,
    images: ImageStore,
    make_camera: CameraFactory,
    recognizer: FrameRecognizer,
    tmp_path: Path,
) -> None:
    # REQ C2 — each photo is a read of its own; a damaged file loses nothing else
    make_camera("gate-2")
    cv2.imwrite(str(tmp_path / "001.jpg"), render_frame("6TUV345", progress=0.3))
    (tmp_path / "002.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    summary = run_capture(
        str(tmp_path),
        camera_id="gate-2",
        recognizer=recognizer,
        actor="test",
        policy=policy,
        images=images,
    )
    assert (summary.frames, summary.accepted) == (1, 1)
    assert len(summary.errors) == 1 and "002.jpg" in summary.errors[0]
    [read] = stored_reads(database)
    assert read.plate_normalized == "6TUV345"


@pytest.fixture
def listed_plate(database: Database, policy: Policy) -> str:
    """A hot list holding the plate of the still below, so ingesting it raises an alert."""
    from alpr.hotlists.importing import import_entries
    from alpr.hotlists.profiles import parse_clew
    from alpr.hotlists.service import create_list

    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy)
        import_entries(
            session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
            parsed=parse_clew("DATE\n8LMN456 CA0120260101\nTOTAL RECORD 0000001\n", table="svs"),
        )
    return "8LMN456"


def _ingest_cli(*args: str) -> dict[str, object]:
    app = typer.Typer()
    app.command("ingest")(ingest_command)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["ingest", "--json", *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def _alerts(database: Database) -> int:
    from alpr.hotlists.models import Alert

    with database.unit_of_work() as session:
        return len(session.scalars(select(Alert)).all())


# Ways a determined user re-ingests the same capture: as is, a copy (new mtime, new name),
# the file touched to another time, in a folder with other files, with another --start.
REINGEST_WAYS = ["same", "copy", "touched", "folder", "start"]


@pytest.mark.parametrize("way", REINGEST_WAYS)
def test_ingesting_the_same_still_twice_stores_it_once_and_alerts_once(
    database: Database,
    images: ImageStore,
    make_camera: CameraFactory,
    listed_plate: str,
    tmp_path: Path,
    way: str,
) -> None:
    # REQ C1 — a read from a file carries a stable source id: a second ingest stores nothing
    # REQ A1 — and raises no second alert
    make_camera("gate-2")
    still = tmp_path / "a" / "still.jpg"
    still.parent.mkdir()
    cv2.imwrite(str(still), render_frame(listed_plate))
    first = _ingest_cli("--camera", "gate-2", str(still))
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    assert _alerts(database) == 1

    again: list[str] = ["--camera", "gate-2", str(still)]
    if way in ("copy", "folder"):
        other = tmp_path / "b"
        other.mkdir()
        copy = other / "renamed.jpg"
        copy.write_bytes(still.read_bytes())
        if way == "folder":  # beside a new photo: that one is new, ours is not
            cv2.imwrite(str(other / "new.jpg"), render_frame("4XYZ908"))
        again = ["--camera", "gate-2", str(other if way == "folder" else copy)]
    elif way == "touched":
        import os

        os.utime(still, (1_600_000_000, 1_700_000_000))
    second = _ingest_cli(*again)
    assert second["accepted"] == (1 if way == "folder" else 0)
    assert second["duplicates"] == 1
    plates = sorted(read.plate_normalized for read in stored_reads(database))
    assert plates.count(listed_plate) == 1
    assert _alerts(database) == 1


@pytest.mark.parametrize("way", ["same", "copy", "start"])
def test_ingesting_the_same_video_twice_stores_nothing_new(
    database: Database,
    images: ImageStore,
    make_camera: CameraFactory,
    clip: Path,
    tmp_path: Path,
    way: str,
) -> None:
    # REQ C1 — video passes get ids from the file's content, frame and track, not its time
    make_camera("gate-3")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    first = _ingest_cli("--camera", "gate-3", "--every", "2", "--start", start.isoformat(),
                        str(clip))
    assert first["accepted"] == 3
    source, when = str(clip), start
    if way == "copy":
        copy = tmp_path / "copy.mp4"
        copy.write_bytes(clip.read_bytes())
        source = str(copy)
    elif way == "start":  # another start time: every read would have another captured_at
        when = start - timedelta(minutes=3)
    second = _ingest_cli("--camera", "gate-3", "--every", "2", "--start", when.isoformat(),
                         source)
    assert (second["accepted"], second["duplicates"]) == (0, 3)
    assert len(stored_reads(database)) == 3


def test_different_files_and_stream_moments_get_different_ids() -> None:
    from alpr.capture.pipeline import capture_read_id
    from alpr.recognition.tracking import Pass

    def made(key: str) -> Pass:
        return Pass("7ABC123", 0.9, None, datetime.now(UTC), datetime.now(UTC), 1,
                    np.zeros((2, 2, 3), np.uint8), Box(0, 0, 1, 1), source_key=key)

    keys = ["sha256:aa#track=0", "sha256:aa#track=1", "sha256:ab#track=0",
            "sha256:aa#frame=1#track=0", "stream:x@2026-01-01T00:00:00+00:00#track=0"]
    ids = {capture_read_id(made(key)) for key in keys}
    assert len(ids) == len(keys)
    assert capture_read_id(made(keys[0])) == capture_read_id(made(keys[0]))
    assert capture_read_id(made("")) != capture_read_id(made(""))  # no key: random


def test_capture_ids_do_not_outlive_the_retention_period(
    database: Database, policy: Policy
) -> None:
    # REQ R1 — nothing of a read is kept past its period: old capture ids are pruned
    import uuid as uuid_module

    from alpr.capture.models import CaptureId
    from alpr.capture.pipeline import claim_capture_ids
    from alpr.reads.service import IngestItem

    now = datetime.now(UTC)
    cutoff = policy.retention.delete_after.before(now)

    def item(captured: datetime) -> IngestItem:
        return IngestItem({"id": str(uuid_module.uuid4()), "captured_at": captured.isoformat()})

    old, recent = item(cutoff - timedelta(hours=1)), item(cutoff + timedelta(hours=1))
    with database.unit_of_work() as session:
        assert claim_capture_ids(session, [old, recent]) == [0, 1]
        assert claim_capture_ids(session, [recent]) == []  # claimed: a repeat
    with database.unit_of_work() as session:
        claim_capture_ids(session, [], prune_before=cutoff)
        kept = {str(i) for i in session.scalars(select(CaptureId.id))}
    assert kept == {recent.data["id"]}
    # The retention purge drops them too, also when no capture runs any more.
    from alpr.retention.purge import purge

    with database.unit_of_work() as session:
        purge(session, policy=policy, now=now + timedelta(hours=2))
        assert session.scalars(select(CaptureId.id)).all() == []
