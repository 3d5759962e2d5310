"""Two captures of the same file at once store its read once (REQ C1). Real concurrency
needs real commits, so this test has a PostgreSQL schema of its own."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.capture.pipeline import CaptureSummary, run_capture
from alpr.db.session import Database
from alpr.policy import load_preset
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.recognition.interfaces import Box, Image, PlateResult


class OnePlate:
    def recognize(self, image: Image) -> list[PlateResult]:
        return [PlateResult(plate="7ABC123", confidence=0.95, box=Box(10, 10, 40, 20))]


@pytest.mark.postgres_only
def test_parallel_captures_of_one_file_store_its_read_once(
    committed: Database, images: ImageStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ C1 — the second capture waits for the first one's claim, then finds it taken
    policy = load_preset("oakland")
    with committed.unit_of_work() as session:
        register_camera(
            session,
            actor="t",
            camera=CameraIn(id="cam-1", name="c", kind="fixed", agency="PD", lat=37.8, lon=-122.2),
        )
    still = tmp_path / "still.jpg"
    cv2.imwrite(str(still), np.full((120, 200, 3), 128, np.uint8))
    os.utime(still, (time.time() - 60, time.time() - 60))
    copy = tmp_path / "copy.jpg"  # the same photo with another file time: another captured_at
    copy.write_bytes(still.read_bytes())

    from alpr.reads.service import ingest as real_ingest

    claimed, release = threading.Event(), threading.Event()
    first_thread: list[threading.Thread] = []

    def slow_ingest(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is first_thread[0]:
            claimed.set()  # the first capture holds its uncommitted claim here
            assert release.wait(30)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr("alpr.capture.pipeline.ingest", slow_ingest)
    summaries: list[CaptureSummary] = []
    failures: list[BaseException] = []

    def capture(path: Path) -> None:
        try:
            summaries.append(
                run_capture(
                    str(path),
                    camera_id="cam-1",
                    recognizer=OnePlate(),
                    actor="t",
                    policy=policy,
                    images=images,
                )
            )
        except BaseException as error:  # surfaced in the main thread
            failures.append(error)

    first = threading.Thread(target=capture, args=(still,))
    first_thread.append(first)
    second = threading.Thread(target=capture, args=(copy,))
    first.start()
    assert claimed.wait(30)
    second.start()
    time.sleep(1.0)  # the second is now waiting on the first's claim
    release.set()
    first.join(30)
    second.join(30)
    assert not failures
    assert sorted((s.accepted, s.duplicates) for s in summaries) == [(0, 1), (1, 0)]
    with committed.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Read)) == 1
