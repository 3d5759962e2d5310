"""`alpr ingest` with a broker: recognized passes are queued, a worker stores them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from typer.testing import CliRunner

from alpr.cameras.models import CameraKind
from alpr.capture.sample_video import render_frame
from alpr.cli import app
from alpr.config import Settings
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from tests.broker.test_broker import work
from tests.capture.test_capture_pipeline import stored_reads
from tests.helpers import CameraFactory


def test_alpr_ingest_queues_on_the_broker_and_a_worker_stores_with_images(
    broker: Settings, database: Database, images: ImageStore, make_camera: CameraFactory,
    policy: Policy, tmp_path: Path,
) -> None:
    # REQ C2 — the same read, position and images as without a broker, one step later
    make_camera("patrol-1", kind=CameraKind.MOBILE)
    still = tmp_path / "still.jpg"
    cv2.imwrite(str(still), render_frame("8LMN456"))
    result = CliRunner().invoke(app, ["ingest", "--camera", "patrol-1", "--lat", "37.81",
                                      "--lon", "-122.26", "--json", str(still)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["frames"], summary["accepted"], summary["queued"]) == (1, 0, 1)
    assert stored_reads(database) == []
    assert work(broker, policy, images).stored == 1
    [read] = stored_reads(database)
    assert read.plate_normalized == "8LMN456" and (read.lat, read.lon) == (37.81, -122.26)
    assert images.exists(read.vehicle_image or "", read.captured_at.date())
