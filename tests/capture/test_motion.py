"""Frame skipping on video: unchanged frames are not recognized again (issue 19, speed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from alpr.capture.motion import MotionGate
from alpr.capture.pipeline import FrameRecognizer, run_capture
from alpr.capture.sample_video import render_frame, write_sample_clip
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.recognition.interfaces import Image, PlateResult
from tests.helpers import CameraFactory


def noisy(image: Image, seed: int, sigma: float = 4.0) -> Image:
    grain = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image.astype(np.float32) + grain, 0, 255).astype(np.uint8)


def test_sensor_noise_is_no_motion_and_a_moving_vehicle_is() -> None:  # REQ C1
    gate = MotionGate()
    still = render_frame("7ABC123", progress=0.3)
    assert gate.changed(noisy(still, 0))  # the first frame is always recognized
    assert not any(gate.changed(noisy(still, seed)) for seed in range(1, 6))
    assert gate.changed(noisy(render_frame("7ABC123", progress=0.33), 9))  # ~8 px to the side
    assert gate.skipped_total == 5


def test_a_long_still_scene_is_still_looked_at_now_and_then() -> None:  # REQ C1
    gate = MotionGate(max_skipped=4)
    frame = render_frame("7ABC123")
    looked = [gate.changed(frame) for _ in range(11)]
    assert looked == [True, False, False, False, False, True, False, False, False, False, True]


@dataclass
class Counting:
    inner: FrameRecognizer
    calls: int = field(default=0)

    def recognize(self, image: Image) -> list[PlateResult]:
        self.calls += 1
        return self.inner.recognize(image)


def test_video_reads_are_the_same_with_fewer_frames_recognized(  # REQ C1
    database: Database,
    policy: Policy,
    images: ImageStore,
    make_camera: CameraFactory,
    tmp_path: Path,
) -> None:
    from alpr.recognition.registry import load_recognizer

    make_camera("gate-9")
    clip = tmp_path / "parked.mp4"
    # Two passes with long empty stretches between them (a quiet street).
    write_sample_clip(clip, ["7ABC123", "4XYZ908"], fps=10, seconds_per_pass=0.6, gap_frames=12)
    recognizer = Counting(load_recognizer())
    gated = run_capture(str(clip), camera_id="gate-9", recognizer=recognizer, actor="t",
                        policy=policy, images=images)
    assert gated.frames == 2 * 6 + 3 * 12 // 2 + 12  # every frame was looked at
    assert recognizer.calls == gated.frames - gated.unchanged
    assert gated.unchanged >= 12  # the empty road between the vehicles
    assert sorted(r.plate for r in gated.reads) == ["4XYZ908", "7ABC123"]
    assert gated.accepted == 2


@pytest.mark.parametrize("motion", [False])
def test_motion_gate_can_be_turned_off(  # REQ C1
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory,
    tmp_path: Path, motion: bool,
) -> None:
    from alpr.recognition.registry import load_recognizer

    make_camera("gate-8")
    clip = tmp_path / "short.mp4"
    write_sample_clip(clip, ["7ABC123"], fps=10, seconds_per_pass=0.4, gap_frames=6)
    recognizer = Counting(load_recognizer())
    summary = run_capture(str(clip), camera_id="gate-8", recognizer=recognizer, actor="t",
                          policy=policy, images=images, motion=motion)
    assert recognizer.calls == summary.frames and summary.unchanged == 0
