"""PP-OCRv4 (the ONNX models in the rapidocr-onnxruntime wheel) as plate detector and reader.

The DBNet text detector finds text lines anywhere in a frame; we keep the lines that look
like a plate's characters (shape, size, and what the recognizer reads in them) and hand
their rectified crops on. The recognizer is decoded on letters and digits only, so it
cannot answer with Chinese characters or punctuation, and it reports each character's
probability and runner-up (the confusion alternatives post-processing needs).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from alpr.recognition.interfaces import Box, CharScore, Image, PlateRegion, Reading
from alpr.recognition.postprocess import clean_text, plate_likeness, state_of

# Longest side the detector sees, coarse to fine: a 1280x720 frame goes in at 640x352
# (~65 ms on a core) and, only when no sure plate was read there, again at 960x544
# (~150 ms), which finds plates down to 50 px wide.
DET_SIDES = tuple(int(s) for s in os.environ.get("ALPR_OCR_DET_SIDES", "640,960").split(","))
# A reading this plate-like and this confident ends the coarse-to-fine search.
SURE_LIKENESS, SURE_CONFIDENCE = 0.8, 0.85
# One thread per inference by default: latency stays predictable and a web server's
# concurrent requests share the cores instead of fighting over them.
THREADS = int(os.environ.get("ALPR_OCR_THREADS", "1"))
MAX_REGIONS = 6
_REC_HEIGHT = 48
# Characters the recognizer may answer; everything else in its 6,600-class alphabet is
# masked before decoding. Lower case folds into upper case.
_PLATE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _load() -> dict[str, Any]:
    """Build the ONNX sessions once per process (about 0.5 s); later calls reuse them."""
    with _lock:
        if not _models:
            from rapidocr_onnxruntime import RapidOCR
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess, DetPreProcess

            engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)
            det = engine.text_det
            rec = engine.text_rec
            charset: list[str] = rec.postprocess_op.character
            allowed = [i for i, c in enumerate(charset) if c in _PLATE_CHARS]
            _models.update(
                engine=engine,
                det_session=det.infer,
                det_pre={side: DetPreProcess(side, "max", det.mean, det.std)
                         for side in DET_SIDES},
                # Lower box threshold than PP-OCR's 0.5: small, blurred plates score low.
                det_post=DBPostProcess(thresh=0.2, box_thresh=0.3, max_candidates=300,
                                       unclip_ratio=1.6, use_dilation=True),
                rec_session=rec.session,
                # Index 0 is the CTC blank; the rest are the plate characters.
                rec_index=np.array([0, *allowed]),
                rec_chars=["", *(charset[i].upper() for i in allowed)],
            )
        return _models


def engine() -> Any:
    """The whole-image RapidOCR pipeline (the baseline the bench compares against)."""
    return _load()["engine"]


# -- recognizer -----------------------------------------------------------------------


# At least the 320 px width PP-OCR was trained at: narrower padding changes what it reads.
def _rec_input(crops: Sequence[Image]) -> NDArray[np.float32]:
    ratio = max(320 / 48, *(c.shape[1] / max(1, c.shape[0]) for c in crops))
    width = int(np.ceil(_REC_HEIGHT * ratio))
    batch = np.zeros((len(crops), 3, _REC_HEIGHT, width), dtype=np.float32)
    for i, crop in enumerate(crops):
        w = min(width, max(1, int(np.ceil(_REC_HEIGHT * crop.shape[1] / max(1, crop.shape[0])))))
        resized = cv2.resize(crop, (w, _REC_HEIGHT)).astype(np.float32)
        batch[i, :, :, :w] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    return batch


def _decode(probs: NDArray[np.float32], chars: list[str]) -> Reading:
    """Greedy CTC decode with each character's best probability and runner-up."""
    best = probs.argmax(axis=1)
    out: list[CharScore] = []
    runners: list[tuple[str, float]] = []
    prev = 0
    for t, k in enumerate(best):
        if k != 0 and k != prev:
            out.append(CharScore(chars[k], float(probs[t, k])))
            row = probs[t].copy()
            row[[0, k]] = 0
            runners.append((chars[int(row.argmax())], float(row.max())))
        elif k != 0 and k == prev and probs[t, k] > out[-1].confidence:
            out[-1] = CharScore(chars[k], float(probs[t, k]))
        prev = int(k)
    text = "".join(c.char for c in out)
    confidence = float(np.prod([c.confidence for c in out]) ** (1 / len(out))) if out else 0.0
    alternatives = []
    # The single-character swaps the model itself found nearly as likely.
    for i, (alt, p) in enumerate(runners):
        if p >= 0.05 and alt:
            swapped = text[:i] + alt + text[i + 1 :]
            alternatives.append((swapped, confidence * p / max(out[i].confidence, 1e-6)))
    alternatives.sort(key=lambda a: -a[1])
    return Reading(text, confidence, tuple(out), tuple(alternatives[:5]))


# The detector reads every crop it hands on, and the paddle reader then gets the very same
# array objects: remember the last readings by object (weakly) instead of reading twice.
_recent: OrderedDict[int, tuple[weakref.ref[Image], Reading]] = OrderedDict()
_RECENT_SIZE = 64


def _remembered(crop: Image) -> Reading | None:
    with _lock:
        entry = _recent.get(id(crop))
    return entry[1] if entry is not None and entry[0]() is crop else None


def recognize_crops(crops: Sequence[Image], batch: int = 8) -> list[Reading]:
    readings: list[Reading | None] = [_remembered(c) for c in crops]
    todo = [i for i, r in enumerate(readings) if r is None]
    if not todo:
        return [r for r in readings if r is not None]
    models = _load()
    index, chars = models["rec_index"], models["rec_chars"]
    todo.sort(key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0]))
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        probs = models["rec_session"](_rec_input([crops[i] for i in ids]))[0][:, :, index]
        probs = probs / np.maximum(probs.sum(axis=2, keepdims=True), 1e-6)
        for i, p in zip(ids, probs, strict=True):
            readings[i] = _decode(p, chars)
    with _lock:
        for i in todo:
            reading = readings[i]
            assert reading is not None
            _recent[id(crops[i])] = (weakref.ref(crops[i]), reading)
        while len(_recent) > _RECENT_SIZE:
            _recent.popitem(last=False)
    return [r if r is not None else Reading("", 0.0) for r in readings]


def _vote(readings: Sequence[Reading]) -> Reading:
    """The string most variants agree on (weighted by confidence); disagreement costs."""
    totals: dict[str, float] = {}
    for r in readings:
        totals[r.text] = totals.get(r.text, 0.0) + r.confidence
    text = max(totals, key=lambda t: totals[t])
    best = max((r for r in readings if r.text == text), key=lambda r: r.confidence)
    agreement = totals[text] / max(sum(totals.values()), 1e-6)
    others = {r.text: r.confidence for r in readings if r.text != text}
    alternatives = sorted({**dict(best.alternatives), **others}.items(), key=lambda a: -a[1])
    return Reading(text, best.confidence * (0.5 + 0.5 * agreement), best.chars,
                   tuple(alternatives[:5]))


class PaddleReader:
    """Reads plate crops with the PP-OCRv4 recognizer, letters and digits only.

    Each crop is read twice, as given and with its edges widened, and the two vote: the
    recognizer's typical plate errors (a bolt or state emblem read as a character, an edge
    character dropped) often differ between the two.
    """

    name = "paddle"

    def read(self, crops: Sequence[Image]) -> list[Reading]:
        variants = [*crops, *(_widen(c) for c in crops)]
        readings = recognize_crops(variants)
        n = len(crops)
        return [_vote([readings[i], readings[n + i]]) for i in range(n)]


def _widen(crop: Image) -> Image:
    """Repeat the edge columns outwards: characters touching the crop's edge get room."""
    pad = round(0.15 * crop.shape[0])
    return np.asarray(cv2.copyMakeBorder(crop, 0, 0, pad, pad, cv2.BORDER_REPLICATE),
                      dtype=np.uint8)


# -- detector -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRegion(PlateRegion):
    """A plate region plus the other text read around it (state names, slogans)."""

    context: tuple[str, ...] = ()


@dataclass
class _Line:
    quad: NDArray[np.float32]  # tl, tr, br, bl in frame pixels
    score: float

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.quad[0] - self.quad[1]))

    @property
    def height(self) -> float:
        return float(np.linalg.norm(self.quad[0] - self.quad[3]))

    @property
    def centre(self) -> NDArray[np.float32]:
        return np.asarray(self.quad.mean(axis=0), dtype=np.float32)


def _order(quad: NDArray[Any]) -> NDArray[np.float32]:
    pts = quad.astype(np.float32)
    by_x = pts[np.argsort(pts[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    ordered: NDArray[np.float32] = np.array([tl, tr, br, bl], dtype=np.float32)
    return ordered


def _merge(lines: list[_Line]) -> list[_Line]:
    """Join neighbours on one baseline ('ABC' '1234' split at the plate's gap or bolt)."""
    merged: list[_Line] = []
    for a in lines:
        for b in lines:
            if a is b or a.centre[0] >= b.centre[0]:
                continue
            h = max(a.height, b.height)
            if min(a.height, b.height) / h < 0.7 or abs(a.centre[1] - b.centre[1]) > 0.35 * h:
                continue
            gap = float(np.linalg.norm(b.quad[0] - a.quad[1]))
            if gap < 1.2 * h and a.width + b.width + gap < 8 * h:
                rect = cv2.minAreaRect(np.concatenate([a.quad, b.quad]).astype(np.float32))
                merged.append(_Line(_order(cv2.boxPoints(rect)), min(a.score, b.score)))
    return merged


def _crop(image: Image, quad: NDArray[np.float32], shrink: float = 0.1) -> Image:
    """Perspective-correct the quad to an upright rectangle.

    DBNet's boxes are inflated ("unclipped") around the text; the recognizer reads plates
    better with a tenth of the height taken off top and bottom (measured on EU photos too).
    """
    down = (quad[3] - quad[0]) * shrink
    quad = np.array([quad[0] + down, quad[1] + down, quad[2] - down, quad[3] - down],
                    dtype=np.float32)
    w = max(2, round(float(np.linalg.norm(quad[0] - quad[1]))))
    h = max(2, round(float(np.linalg.norm(quad[0] - quad[3]))))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, dst)
    out = cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8)


def _plate_box(line: _Line, shape: tuple[int, ...]) -> Box:
    """The plate around a character line: US plates are 2:1, characters fill ~80 % width."""
    cx, cy = line.centre
    w = max(line.width * 1.15, line.height * 2.6)
    h = max(line.height * 1.5, w / 2.1)
    x0, y0 = max(0, int(cx - w / 2)), max(0, int(cy - h / 2))
    x1, y1 = min(shape[1], int(cx + w / 2)), min(shape[0], int(cy + h / 2))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def detect_lines(image: Image, side: int = DET_SIDES[-1]) -> list[_Line]:
    models = _load()
    pre = models["det_pre"].get(side)
    if pre is None:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        pre = DetPreProcess(side, "max", [0.5] * 3, [0.5] * 3)
    tensor = pre(image)
    if tensor is None:
        return []
    pred = models["det_session"](tensor)[0]
    quads, scores = models["det_post"](pred, image.shape[:2])
    return [_Line(_order(q), float(s)) for q, s in zip(quads, scores, strict=True)]


# Character height the zoomed second look scales a candidate line to.
_ZOOM_HEIGHT = 40


def refine(image: Image, line: _Line) -> _Line:
    """Run the detector again on a window around a line, zoomed so its characters are
    ~40 px tall: the coarse pass's boxes are too loose to crop from, and how tightly a crop
    fits the characters decides what the recognizer reads."""
    models = _load()
    cx, cy = line.centre
    half_w, half_h = line.width * 0.8 + line.height, line.height * 2.0
    x0, y0 = max(0, int(cx - half_w)), max(0, int(cy - half_h))
    x1, y1 = min(image.shape[1], int(cx + half_w)), min(image.shape[0], int(cy + half_h))
    window = image[y0:y1, x0:x1]
    scale = min(4.0, max(0.5, _ZOOM_HEIGHT / max(line.height * 0.8, 1.0)))
    w32 = max(32, round(window.shape[1] * scale / 32) * 32)
    h32 = max(32, round(window.shape[0] * scale / 32) * 32)
    resized = cv2.resize(window, (w32, h32)).astype(np.float32) / 127.5 - 1.0
    tensor = resized.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
    quads, scores = models["det_post"](models["det_session"](tensor)[0], window.shape[:2])
    best: _Line | None = None
    for quad, score in zip(quads, scores, strict=True):
        found = _Line(_order(quad) + np.array([x0, y0], dtype=np.float32), float(score))
        if abs(found.centre[1] - cy) < 0.5 * line.height and abs(found.centre[0] - cx) < (
            0.5 * line.width
        ) and (best is None or found.width > best.width):
            best = found
    return best or line


class PaddleDetector:
    """Plate regions from PP-OCR text lines that are shaped and read like plates."""

    name = "paddle"

    def __init__(self, max_regions: int = MAX_REGIONS, *, keep_letters: bool = False) -> None:
        self.max_regions = max_regions
        # Keep plate-shaped all-letter lines PP-OCR is unsure of (vanity plates), ranked
        # low: the plate reader and fusion decide (a word needs both readers to agree).
        self.keep_letters = keep_letters

    def detect(self, image: Image) -> list[PlateRegion]:
        found: list[TextRegion] = []
        for side in DET_SIDES:
            found += self._regions(image, detect_lines(image, side), self.keep_letters)
            if any(r.score >= SURE_LIKENESS * SURE_CONFIDENCE for r in found):
                break
        found.sort(key=lambda r: -r.score)
        kept: list[PlateRegion] = []
        for region in found:  # the finer pass finds the coarse pass's plates again
            if all(region.box.iou(k.box) < 0.5 for k in kept):
                kept.append(region)
        return kept[: self.max_regions]

    @staticmethod
    def _regions(image: Image, lines: list[_Line], keep_letters: bool = False
                 ) -> list[TextRegion]:
        # Characters under 8 px tall are unreadable; a plate line is wider than tall.
        shaped = [ln for ln in lines if ln.height >= 8 and 1.0 <= ln.width / ln.height <= 12]
        candidates = [refine(image, ln) for ln in shaped]
        candidates += _merge(candidates)
        crops = [_crop(image, ln.quad) for ln in candidates]
        readings = recognize_crops(crops)
        all_text = [(ln, clean_text(r.text)) for ln, r in zip(candidates, readings, strict=True)]
        regions: list[TextRegion] = []
        for line, crop, reading in zip(candidates, crops, readings, strict=True):
            likeness = plate_likeness(reading.text, reading.confidence)
            if likeness <= 0 and keep_letters:
                likeness = 0.5 * plate_likeness(reading.text, 1.0, letters_only=True)
            if likeness <= 0:
                continue
            context = tuple(t for ln, t in all_text if ln is not line and state_of(t)
                            and _near(ln, line))
            regions.append(TextRegion(box=_plate_box(line, image.shape),
                                      score=likeness * reading.confidence, crop=crop,
                                      hint=clean_text(reading.text), context=context))
        return regions


def _near(other: _Line, line: _Line) -> bool:
    """Within a plate's height or so of the characters: the state name or slogan."""
    d = np.abs(other.centre - line.centre)
    return bool(d[0] < line.width and d[1] < 2.5 * line.height)
