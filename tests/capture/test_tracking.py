"""The plate tracker: one voted read per vehicle pass (fake per-frame results)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from alpr.recognition.interfaces import Box, Image, PlateResult
from alpr.recognition.tracking import Pass, PlateTracker, plate_distance

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class FakeFrame:
    index: int
    captured_at: datetime
    image: Image = field(default_factory=lambda: np.zeros((2, 2, 3), np.uint8))


def frame(index: int, fps: float = 10) -> FakeFrame:
    return FakeFrame(index, T0 + timedelta(seconds=index / fps))


def seen(plate: str, x: int, confidence: float = 0.9, y: int = 300) -> PlateResult:
    return PlateResult(plate=plate, confidence=confidence, box=Box(x, y, 200, 100), region="CA")


def run(tracker: PlateTracker, per_frame: list[list[PlateResult]]) -> list[Pass]:
    passes: list[Pass] = []
    for index, results in enumerate(per_frame):
        passes.extend(tracker.update(frame(index), results))
    return passes + tracker.flush()


def test_two_vehicle_passes_give_two_reads() -> None:
    # REQ C5 — one read per vehicle, not per frame
    first = [[seen("7ABC123", 50 + 60 * i)] for i in range(6)]
    second = [[seen("4XYZ908", 50 + 60 * i)] for i in range(5)]
    passes = run(PlateTracker(), [*first, [], [], [], [], [], *second])
    assert [(p.plate, p.frames) for p in passes] == [("7ABC123", 6), ("4XYZ908", 5)]
    assert passes[0].first_seen == T0
    assert passes[0].last_seen == T0 + timedelta(seconds=0.5)
    assert passes[1].first_seen == T0 + timedelta(seconds=1.1)
    assert passes[0].region == "CA"


def test_a_pass_closes_as_soon_as_the_plate_is_gone_long_enough() -> None:
    tracker = PlateTracker(max_missed=2)
    closed = [
        tracker.update(frame(i), [seen("7ABC123", 60 * i)] if i < 4 else []) for i in range(8)
    ]
    assert [len(c) for c in closed] == [0, 0, 0, 0, 0, 0, 1, 0]
    assert tracker.flush() == []


def test_a_one_frame_misread_inside_a_track_is_outvoted() -> None:
    # REQ C5
    readings = ["7ABC123", "7ABC123", "7A8C123", "7ABC123", "7ABC128", "7ABC123"]
    confidences = [0.85, 0.9, 0.95, 0.88, 0.7, 0.86]
    per_frame = [
        [seen(text, 40 + 50 * i, conf)]
        for i, (text, conf) in enumerate(zip(readings, confidences, strict=True))
    ]
    [one] = run(PlateTracker(), per_frame)
    assert one.plate == "7ABC123"
    assert one.frames == 6
    assert one.confidence == 0.9  # the best frame that agrees with the vote
    assert {text for text, _ in one.candidates} == {"7A8C123", "7ABC128"}


def test_a_garbled_read_in_the_same_place_stays_in_the_track() -> None:
    per_frame = [[seen(text, 100 + 20 * i)] for i, text in enumerate(["5OKD210", "SXX", "5OKD210"])]
    [one] = run(PlateTracker(), per_frame)
    assert one.plate == "5OKD210"
    assert one.frames == 3


def test_o_and_zero_readings_of_one_plate_are_grouped() -> None:
    # REQ C5 — O≡0 confusion: boxes jump (no overlap), the text still links them
    readings = ["5OKD210", "50KD210", "5OKD21O", "50KD210", "50KD210"]
    per_frame = [[seen(text, 10 + 170 * i)] for i, text in enumerate(readings)]
    [one] = run(PlateTracker(), per_frame)
    assert one.plate == "50KD210"
    assert one.frames == 5
    assert plate_distance("5OKD210", "50KD210") == 0
    assert plate_distance("7ABC123", "7ABC128") == 1


def test_per_position_vote_uses_the_majority_length() -> None:
    readings = ["7ABC123", "7ABC12", "7ABC123", "7A8C123", "7ABC1Z3"]
    per_frame = [[seen(text, 100 + 10 * i, 0.8)] for i, text in enumerate(readings)]
    [one] = run(PlateTracker(), per_frame)
    assert one.plate == "7ABC123"


def test_best_frame_is_the_most_confident_agreeing_view() -> None:
    tracker = PlateTracker()
    frames = [frame(i) for i in range(4)]
    for i, f in enumerate(frames):
        f.image = np.full((2, 2, 3), i, np.uint8)
    confidences = [0.8, 0.93, 0.99, 0.85]
    texts = ["7ABC123", "7ABC123", "7ABC128", "7ABC123"]
    for i, f in enumerate(frames):
        tracker.update(f, [seen(texts[i], 100 + 30 * i, confidences[i])])
    [one] = tracker.flush()
    assert one.plate == "7ABC123"
    assert one.best_frame_index == 1
    assert one.best_frame_image is frames[1].image
    assert one.best_box == Box(130, 300, 200, 100)


def test_lone_low_confidence_glimpse_is_dropped_but_a_sure_one_is_kept() -> None:
    tracker = PlateTracker(min_frames=2, short_confidence=0.9)
    assert run(tracker, [[seen("8GHOST8", 500, 0.5)]]) == []
    assert tracker.dropped == 1
    [sure] = run(PlateTracker(min_frames=2, short_confidence=0.9), [[seen("7ABC123", 5, 0.95)]])
    assert sure.plate == "7ABC123"


def test_two_vehicles_side_by_side_are_two_passes() -> None:
    per_frame = [
        [seen("7ABC123", 50 + 30 * i), seen("4XYZ908", 600 + 30 * i, 0.8)] for i in range(5)
    ]
    passes = run(PlateTracker(), per_frame)
    assert sorted((p.plate, p.frames) for p in passes) == [("4XYZ908", 5), ("7ABC123", 5)]


def test_a_long_time_gap_closes_the_track() -> None:
    tracker = PlateTracker(max_gap=timedelta(seconds=2))
    early = FakeFrame(0, T0)
    late = FakeFrame(1, T0 + timedelta(seconds=30))  # e.g. a motion-triggered recorder
    tracker.update(early, [seen("7ABC123", 100, 0.95)])
    closed = tracker.update(late, [seen("7ABC123", 100, 0.95)])
    assert [p.first_seen for p in closed] == [T0]
    assert [p.first_seen for p in tracker.flush()] == [late.captured_at]


def test_stills_are_each_their_own_pass() -> None:
    tracker = PlateTracker(stills=True, min_frames=3)
    first = tracker.update(frame(0), [seen("7ABC123", 100, 0.5)])
    second = tracker.update(frame(1), [seen("7ABC123", 100, 0.5)])
    assert [p.plate for p in first + second] == ["7ABC123", "7ABC123"]
    assert tracker.flush() == []
