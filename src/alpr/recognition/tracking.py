"""Plate tracking: one read per vehicle pass instead of one per frame.

A camera sees a passing plate in many consecutive frames, each read a little differently.
The tracker links those detections (box overlap with motion, and plate text similarity),
closes a track when the plate has not been seen for a while, and votes the readings into
one plate: per-position characters weighted by confidence. A misread seen in a single
frame is outvoted, and a lone low-confidence detection is dropped as noise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from alpr.recognition.interfaces import Box, Image, PlateResult

# Characters OCR confuses on plates: compared as equal when linking detections.
_CONFUSABLE = str.maketrans("OQDIBSZ", "0001852")


class TrackedFrame(Protocol):
    """What the tracker needs from a frame (alpr.capture.sources.Frame has it)."""

    @property
    def image(self) -> Image: ...
    @property
    def captured_at(self) -> datetime: ...
    @property
    def index(self) -> int: ...


@dataclass(frozen=True, eq=False)
class Pass:
    """One vehicle pass: the voted plate and the best view of it."""

    plate: str
    confidence: float
    region: str | None
    first_seen: datetime
    last_seen: datetime
    frames: int
    best_frame_image: Image
    best_box: Box
    candidates: tuple[tuple[str, float], ...] = ()
    best_frame_index: int = 0
    # Where the pass began: its first frame's source key and its place among the tracks
    # that began in that frame ("" when the frames carry no key). Stable across re-runs.
    source_key: str = ""


def plate_distance(a: str, b: str) -> int:
    """Edit distance after folding look-alike characters (O≡0, I≡1): 7ABC0 vs 7ABCO is 0."""
    a, b = a.upper().translate(_CONFUSABLE), b.upper().translate(_CONFUSABLE)
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


@dataclass
class _Sighting:
    text: str
    confidence: float
    region: str | None
    chars: tuple[float, ...]  # per-character confidence when the reader gave one per char


@dataclass(eq=False)
class _Best:
    confidence: float
    image: Image
    box: Box
    index: int


@dataclass(eq=False)  # compared by identity: it holds frames (numpy arrays)
class _Track:
    first_seen: datetime
    last_seen: datetime
    last_step: int
    box: Box
    velocity: tuple[float, float] = (0.0, 0.0)  # centre motion in pixels per step
    sightings: list[_Sighting] = field(default_factory=list)
    best: dict[str, _Best] = field(default_factory=dict)  # best view per distinct text
    source_key: str = ""

    def predicted(self, step: int) -> Box:
        """Where the plate should be now, moving as it did between the last two sightings."""
        steps = step - self.last_step
        dx, dy = self.velocity
        return Box(
            round(self.box.x + dx * steps), round(self.box.y + dy * steps), self.box.w, self.box.h
        )

    def add(self, frame: TrackedFrame, step: int, result: PlateResult) -> None:
        if self.sightings:
            steps = max(1, step - self.last_step)
            (cx, cy), (px, py) = _centre(result.box), _centre(self.box)
            self.velocity = ((cx - px) / steps, (cy - py) / steps)
        self.box, self.last_step, self.last_seen = result.box, step, frame.captured_at
        text = _clean(result.plate)
        chars = tuple(c.confidence for c in result.chars)
        self.sightings.append(
            _Sighting(
                text, result.confidence, result.region, chars if len(chars) == len(text) else ()
            )
        )
        kept = self.best.get(text)
        if kept is None or result.confidence > kept.confidence:
            self.best[text] = _Best(result.confidence, frame.image, result.box, frame.index)


class PlateTracker:
    """Groups per-frame plate results into vehicle passes.

    `update` takes each frame's results in order and returns the passes that frame closed;
    `flush` closes the rest at the end of the source. A track closes when unseen for more
    than `max_missed` frames or `max_gap` of capture time. Tracks seen in fewer than
    `min_frames` frames are dropped unless their confidence reaches `short_confidence`.
    With `stills=True` (a folder of photos) every frame's plates are passes of their own.
    """

    def __init__(
        self,
        *,
        max_missed: int = 3,
        max_gap: timedelta = timedelta(seconds=2),
        min_frames: int = 2,
        short_confidence: float = 0.9,
        min_iou: float = 0.1,
        max_text_distance: int = 2,
        stills: bool = False,
    ) -> None:
        self.max_missed = max_missed
        self.max_gap = max_gap
        self.min_frames = min_frames
        self.short_confidence = short_confidence
        self.min_iou = min_iou
        self.max_text_distance = max_text_distance
        self.stills = stills
        self.dropped = 0  # tracks discarded as noise, for the summary
        self._tracks: list[_Track] = []
        self._step = 0

    def update(self, frame: TrackedFrame, results: Sequence[PlateResult]) -> list[Pass]:
        self._step += 1
        if self.stills:
            tracks = self._new_tracks(frame, [r for r in results if _clean(r.plate)])
            return [p for p in (self._close(track) for track in tracks) if p is not None]
        # Too old in capture time: closed before linking, so it cannot take this frame.
        closed = self._expire(lambda t: frame.captured_at - t.last_seen > self.max_gap)
        unmatched = self._associate(frame, [r for r in results if _clean(r.plate)])
        # Missed in more than max_missed frames, this one included.
        closed += self._expire(lambda t: self._step - t.last_step > self.max_missed)
        self._tracks.extend(self._new_tracks(frame, unmatched))
        return [p for p in (self._close(track) for track in closed) if p is not None]

    def flush(self) -> list[Pass]:
        tracks, self._tracks = self._tracks, []
        return [p for p in (self._close(track) for track in tracks) if p is not None]

    # -- linking ------------------------------------------------------------------------

    def _expire(self, stale: Callable[[_Track], bool]) -> list[_Track]:
        closed = [t for t in self._tracks if stale(t)]
        self._tracks = [t for t in self._tracks if not stale(t)]
        return closed

    def _associate(self, frame: TrackedFrame, results: list[PlateResult]) -> list[PlateResult]:
        """Attach results to open tracks, best pairs first; return those that start tracks."""
        pairs: list[tuple[float, int, int]] = []
        for ti, track in enumerate(self._tracks):
            for ri, result in enumerate(results):
                score = self._affinity(track, result)
                if score is not None:
                    pairs.append((score, ti, ri))
        used_tracks: set[int] = set()
        used_results: set[int] = set()
        for _, ti, ri in sorted(pairs, reverse=True):
            if ti not in used_tracks and ri not in used_results:
                used_tracks.add(ti)
                used_results.add(ri)
                self._tracks[ti].add(frame, self._step, results[ri])
        return [r for i, r in enumerate(results) if i not in used_results]

    def _affinity(self, track: _Track, result: PlateResult) -> float | None:
        """How well a result continues a track (higher is better), or None if it cannot."""
        predicted = track.predicted(self._step)
        overlap = max(predicted.iou(result.box), track.box.iou(result.box))
        (px, py), (cx, cy) = _centre(predicted), _centre(result.box)
        near = ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5 <= max(track.box.w, result.box.w)
        text = _clean(result.plate)
        distance = min(plate_distance(text, s.text) for s in track.sightings[-5:])
        # The same place in the very next frame is the same plate, however misread.
        same_spot = overlap >= 0.3 and self._step - track.last_step == 1
        similar = distance <= self.max_text_distance and (overlap >= self.min_iou or near)
        # Same text (up to look-alikes) links even after a jump the motion did not predict.
        same_text = distance == 0 and len(text) >= 4
        if not (same_spot or similar or same_text):
            return None
        return overlap + (self.max_text_distance + 1 - min(distance, self.max_text_distance + 1))

    def _new_tracks(self, frame: TrackedFrame, results: Sequence[PlateResult]) -> list[_Track]:
        """Tracks for the results that start one, numbered left to right in the frame."""
        key = getattr(frame, "source_key", "")
        tracks = []
        ordered = sorted(results, key=lambda r: (r.box.x, r.box.y))
        for number, result in enumerate(ordered):
            track = _Track(frame.captured_at, frame.captured_at, self._step, result.box)
            track.source_key = f"{key}#track={number}" if key else ""
            track.add(frame, self._step, result)
            tracks.append(track)
        return tracks

    # -- voting -------------------------------------------------------------------------

    def _close(self, track: _Track) -> Pass | None:
        sightings = track.sightings
        plate, agreement = vote(sightings)
        agreeing = [s.confidence for s in sightings if s.text == plate]
        mean = sum(s.confidence for s in sightings) / len(sightings)
        confidence = max(agreeing) if agreeing else mean * agreement
        short = len(sightings) < self.min_frames
        if short and not self.stills and confidence < self.short_confidence:
            self.dropped += 1
            return None
        best = track.best.get(plate) or max(track.best.values(), key=lambda b: b.confidence)
        return Pass(
            plate=plate,
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            region=_majority_region(sightings),
            first_seen=track.first_seen,
            last_seen=track.last_seen,
            frames=len(sightings),
            best_frame_image=best.image,
            best_box=best.box,
            candidates=_candidates(sightings, plate),
            best_frame_index=best.index,
            source_key=track.source_key,
        )


def vote(sightings: Sequence[_Sighting]) -> tuple[str, float]:
    """The plate by per-position confidence-weighted vote among the majority length.

    Returns the plate and its weakest position's share of the vote (1.0 = unanimous).
    """
    by_length: dict[int, float] = defaultdict(float)
    for s in sightings:
        by_length[len(s.text)] += s.confidence + 1e-6  # +ε: zero-confidence reads still count
    length = max(by_length, key=lambda n: (by_length[n], n))
    same = [s for s in sightings if len(s.text) == length]
    plate, agreement = [], 1.0
    for position in range(length):
        weights: dict[str, float] = defaultdict(float)
        for s in same:
            weights[s.text[position]] += (s.chars[position] if s.chars else s.confidence) + 1e-6
        char = max(weights, key=lambda c: weights[c])
        plate.append(char)
        agreement = min(agreement, weights[char] / sum(weights.values()))
    return "".join(plate), agreement


def _candidates(sightings: Sequence[_Sighting], plate: str) -> tuple[tuple[str, float], ...]:
    """Other readings of the pass, by their share of the total confidence."""
    totals: dict[str, float] = defaultdict(float)
    for s in sightings:
        totals[s.text] += s.confidence + 1e-6
    whole = sum(totals.values())
    ranked = sorted(
        ((t, round(w / whole, 4)) for t, w in totals.items() if t != plate),
        key=lambda pair: -pair[1],
    )
    return tuple(ranked[:5])


def _majority_region(sightings: Sequence[_Sighting]) -> str | None:
    weights: dict[str, float] = defaultdict(float)
    for s in sightings:
        if s.region:
            weights[s.region] += s.confidence + 1e-6
    return max(weights, key=lambda r: weights[r]) if weights else None


def _clean(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def _centre(box: Box) -> tuple[float, float]:
    return box.x + box.w / 2, box.y + box.h / 2
