"""Our own plate reader: a small CRNN (conv + BiLSTM, CTC) trained on synthetic US plates
and real plate crops (`training/train_ocr.py`), run with onnxruntime on the CPU.

The model ships in the package (`alpr/recognition/models/plate_reader.onnx`, with
`plate_reader.json` describing charset, input size and training); nothing is downloaded.
It outputs A–Z and 0–9 with the letter O written as digit 0 (the US agency convention).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from alpr.recognition.interfaces import CharScore, Image, Reading

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
MODEL_PATH = MODEL_DIR / "plate_reader.onnx"
META_PATH = MODEL_DIR / "plate_reader.json"

# Input geometry and normalisation; training imports these so both sides stay identical.
INPUT_HEIGHT = 32
INPUT_WIDTH = 128
CHARSET = "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # CTC class i+1 is CHARSET[i]; 0 is blank
MIN_STD = 8.0


def preprocess_one(crop: Image) -> NDArray[np.float32]:
    """BGR (or grey) crop -> 1 x H x W float32: grey, resized, standardised per image."""
    grey: NDArray[np.uint8]
    if crop.size == 0:
        grey = np.zeros((INPUT_HEIGHT, INPUT_WIDTH), np.uint8)
    elif crop.ndim == 3:
        colour = crop.shape[2] == 3
        grey = np.asarray(
            cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if colour else crop[..., 0], np.uint8
        )
    else:
        grey = crop
    h, w = grey.shape[:2]
    shrink = w > INPUT_WIDTH or h > INPUT_HEIGHT
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    resized = cv2.resize(grey, (INPUT_WIDTH, INPUT_HEIGHT), interpolation=interp)
    x = resized.astype(np.float32)
    x = (x - float(x.mean())) / max(float(x.std()), MIN_STD)
    return x[None, :, :]


def preprocess(crops: Sequence[Image]) -> NDArray[np.float32]:
    """A batch of crops -> N x 1 x H x W float32, the model's input."""
    if not crops:
        return np.zeros((0, 1, INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    return np.stack([preprocess_one(c) for c in crops]).astype(np.float32)


@dataclass(frozen=True)
class _Model:
    session: Any
    input_name: str
    charset: str


_lock = threading.Lock()
_loaded: dict[Path, _Model] = {}


def _load(path: Path) -> _Model:
    """The ONNX session for `path`, created once per process (thread-safe)."""
    with _lock:
        model = _loaded.get(path)
        if model is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            charset = CHARSET
            meta = path.with_suffix(".json")
            if meta.exists():
                info = json.loads(meta.read_text())
                charset = str(info.get("charset", CHARSET))
                size = info.get("input", {})
                if (size.get("height"), size.get("width")) != (INPUT_HEIGHT, INPUT_WIDTH):
                    raise ValueError(f"{path}: input size {size} differs from the reader's")
            model = _Model(session, session.get_inputs()[0].name, charset)
            _loaded[path] = model
        return model


def decode(probs: NDArray[np.float32], charset: str = CHARSET, alternatives: int = 4) -> Reading:
    """Greedy CTC decoding of one T x classes probability matrix (class 0 = blank).

    Each character's confidence is the highest probability of its class over the frames it
    spans; the reading's confidence is their product (0 when nothing is read). Alternatives
    swap the least confident characters for their runner-up, or drop them.
    """
    best = probs.argmax(axis=1)
    segments: list[tuple[int, list[int]]] = []
    prev = 0
    for t, k in enumerate(best.tolist()):
        if k != 0 and k != prev:
            segments.append((k, [t]))
        elif k != 0 and segments:
            segments[-1][1].append(t)
        prev = k
    chars: list[CharScore] = []
    runner_up: list[tuple[str, float]] = []
    for k, frames in segments:
        seg = probs[frames]
        chars.append(CharScore(charset[k - 1], float(np.clip(seg[:, k].max(), 0.0, 1.0))))
        others = seg.copy()
        others[:, [0, k]] = -1.0
        t, c = (int(v) for v in np.unravel_index(int(others.argmax()), others.shape))
        runner_up.append((charset[c - 1], float(np.clip(others[t, c], 0.0, 1.0))))
    text = "".join(c.char for c in chars)
    confidence = float(np.prod([c.confidence for c in chars])) if chars else 0.0
    candidates: dict[str, float] = {}
    weakest = sorted(range(len(chars)), key=lambda i: chars[i].confidence)[:alternatives]
    for i in weakest:
        own = max(chars[i].confidence, 1e-6)
        rest = confidence / own
        swapped = text[:i] + runner_up[i][0] + text[i + 1 :]
        dropped = text[:i] + text[i + 1 :]
        for alt, score in ((swapped, rest * runner_up[i][1]), (dropped, rest * (1.0 - own))):
            if alt and alt != text and score > candidates.get(alt, 0.0):
                candidates[alt] = score
    ranked = sorted(candidates.items(), key=lambda item: -item[1])[:alternatives]
    return Reading(
        text=text,
        confidence=confidence,
        chars=tuple(chars),
        alternatives=tuple((alt, float(score)) for alt, score in ranked),
    )


class CrnnReader:
    """Reads plate crops with the packaged CRNN (A–Z, 0–9; letter O is read as 0)."""

    wants = "plate"  # trained on whole plates, not on the characters' tight box

    name = "crnn"

    def __init__(
        self,
        model_path: Path | None = None,
        batch_size: int = 64,
        *,
        geometric: bool = False,
        margins: tuple[tuple[float, float], ...] = (),
    ) -> None:
        self.model_path = (model_path or MODEL_PATH).resolve()
        self.batch_size = max(1, batch_size)
        # Confidence as the geometric mean of the characters' (PP-OCR's scale), not their
        # product, so fusion compares like with like.
        self.geometric = geometric
        # Plate margins (x, y, as shares of the box) the pipeline crops at; the readings
        # of the crops vote (recognition.fusion.vote). Empty: one crop at the default.
        self.margins = margins

    def probabilities(self, crops: Sequence[Image]) -> NDArray[np.float32]:
        """N x T x classes CTC probabilities for the crops."""
        model = _load(self.model_path)
        outputs = []
        for i in range(0, len(crops), self.batch_size):
            batch = preprocess(crops[i : i + self.batch_size])
            outputs.append(model.session.run(None, {model.input_name: batch})[0])
        if not outputs:
            return np.zeros((0, 0, len(model.charset) + 1), np.float32)
        return np.concatenate(outputs).astype(np.float32)

    def read(self, crops: Sequence[Image]) -> list[Reading]:
        if not crops:
            return []
        charset = _load(self.model_path).charset
        readings = [decode(p, charset) for p in self.probabilities(crops)]
        return [geometric(r) for r in readings] if self.geometric else readings


def geometric(reading: Reading) -> Reading:
    """The reading with its confidence (and its alternatives') as a per-character geometric
    mean: n-th root of the product, n the number of characters read."""
    n = len(reading.chars)
    if n == 0:
        return reading
    root = 1.0 / n
    return Reading(
        text=reading.text,
        confidence=reading.confidence**root,
        chars=reading.chars,
        alternatives=tuple((alt, score**root) for alt, score in reading.alternatives),
    )
