"""Compare reading/fusion variants on the same detections (detector run once per image).

    .venv/bin/python training/eval_variants.py [--sets heldout,dev] [--variants a,b]

Detection and the PP-OCR readings are cached per image, so each variant costs only the
CRNN and the fusion. Rules are chosen on `heldout` (the 15 % of openalpr-us-crops that
training never saw, through the detector); `dev` (openalpr-us-dev) is reported, never
used to choose. Exact match, O and 0 as one character.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alpr.recognition.engines.crnn import CrnnReader
from alpr.recognition.interfaces import Image, Reading
from alpr.recognition.pipeline import Recognizer
from alpr.recognition.registry import load_recognizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench.recognition import DATA, load_crops, load_photos, pick

MARGINS3 = ((0.04, 0.06), (0.1, 0.15), (0.18, 0.28))


class Cached:
    """A reader whose readings are remembered by crop content (PP-OCR is deterministic)."""

    def __init__(self, reader: Any) -> None:
        self.reader, self.memory = reader, {}  # type: dict[str, Reading]
        self.name = reader.name
        self.wants = getattr(reader, "wants", "text")

    def read(self, crops: list[Image]) -> list[Reading]:
        keys = [hashlib.md5(c.tobytes() + str(c.shape).encode()).hexdigest() for c in crops]  # noqa: S324
        todo = [i for i, k in enumerate(keys) if k not in self.memory]
        if todo:
            for i, r in zip(todo, self.reader.read([crops[i] for i in todo]), strict=True):
                self.memory[keys[i]] = r
        return [self.memory[k] for k in keys]


VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "geometric": {"geometric": True},
    "margins": {"margins": MARGINS3},
    "geometric+margins": {"geometric": True, "margins": MARGINS3},
    "geometric+m-small": {"geometric": True,
                          "margins": ((0.06, 0.1), (0.1, 0.15), (0.14, 0.2))},
    "geometric+m-x": {"geometric": True, "margins": ((0.05, 0.15), (0.1, 0.15), (0.15, 0.15))},
    "geometric+m-y": {"geometric": True, "margins": ((0.1, 0.08), (0.1, 0.15), (0.1, 0.25))},
}
for _name, _options in list(VARIANTS.items()):
    if _name.startswith("geometric+m-"):
        VARIANTS[_name + "+layouts"] = {**_options, "layouts": True}
        VARIANTS[_name + "+letters"] = {**_options, "letters": True}
VARIANTS["geometric+perchar"] = {"geometric": True, "per_char": True}
VARIANTS["geometric+layouts"] = {"geometric": True, "layouts": True}
VARIANTS["geometric+letters"] = {"geometric": True, "letters": True}
CACHE = Path(__file__).resolve().parents[1] / "artifacts" / "variants-cache.pkl"


def edit_ops(truth: str, read: str) -> list[str]:
    """The edits from truth to what was read: 'B>8' swaps, '+X' added, '-X' dropped."""
    rows, cols = len(truth) + 1, len(read) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (truth[i - 1] != read[j - 1]))
    ops, i, j = [], len(truth), len(read)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (truth[i - 1] != read[j - 1]):
            if truth[i - 1] != read[j - 1]:
                ops.append(f"{truth[i - 1]}>{read[j - 1]}")
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            ops.append(f"-{truth[i - 1]}")
            i -= 1
        else:
            ops.append(f"+{read[j - 1]}")
            j -= 1
    return ops[::-1]


def failure_class(plates: list[Any], box: Any, truth: str) -> str:
    """missed (nothing read at the plate), wrong region (only elsewhere), or the misread."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    there = [p for p in plates if (p.box.x <= cx <= p.box.x + p.box.w
                                   and p.box.y <= cy <= p.box.y + p.box.h)
             or p.box.iou(box) > 0.1]
    if not plates:
        return "missed"
    if not there:
        return "wrong region"
    return "misread " + " ".join(edit_ops(truth, there[0].plate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="heldout,dev")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", type=Path, default=None, help="another plate_reader.onnx")
    args = parser.parse_args()
    base = load_recognizer()
    detector = base.detector
    paddle = Cached(base.reader)
    memory: dict[str, list[Any]] = {}
    if CACHE.exists():  # detections and PP-OCR readings of earlier runs (same engines)
        memory, paddle.memory = pickle.loads(CACHE.read_bytes())  # noqa: S301

    from alpr.recognition.engines.rapidocr import PaddleDetector

    letters_detector = PaddleDetector(keep_letters=True)

    def detections(key: str, image: Image, letters: bool = False) -> list[Any]:
        key = f"letters:{key}" if letters else key
        if key not in memory:
            memory[key] = (letters_detector if letters else detector).detect(image)
        return memory[key]

    sets: dict[str, list[tuple[str, Image, str, Callable[[list[Any]], str]]]] = {}
    if "heldout" in args.sets:
        rows = load_crops(DATA / "openalpr-us-crops", args.limit, holdout=True)
        sets["heldout"] = [(str(p), cv2.imread(str(p)), t, lambda ps: ps[0].plate if ps else "")
                           for p, t in rows]
    if "degraded" in args.sets:  # held-out crops as road photos show them (fixed seed)
        from train_ocr import photo_degrade

        rng = np.random.default_rng(24_680)
        rows = load_crops(DATA / "openalpr-us-crops", args.limit, holdout=True)
        sets["degraded"] = [
            (f"degraded:{p}", photo_degrade(rng, cv2.imread(str(p))), t,
             lambda ps: ps[0].plate if ps else "")
            for p, t in rows
        ]
    if "dev" in args.sets:
        photos = load_photos(DATA / "openalpr-us-dev", args.limit)
        sets["dev"] = [(str(s.path), cv2.imread(str(s.path)), s.plate,
                        (lambda box: (lambda ps: pick(ps, box)))(s.box)) for s in photos]
        boxes = {str(s.path): s.box for s in photos}
    for name in args.variants.split(","):
        options = VARIANTS[name]
        crnn = CrnnReader(args.model,
                          **{k: v for k, v in options.items() if k in ("geometric", "margins")})
        letters = bool(options.get("letters"))
        recognizer = Recognizer(detector, paddle, crnn,  # type: ignore[arg-type]
                                layouts=bool(options.get("layouts")), agree_letters=letters,
                                per_char=bool(options.get("per_char")))
        cells = []
        for set_name, items in sets.items():
            hits, misses = 0, []
            for key, image, truth, choose in items:
                regions = detections(key, np.asarray(image, np.uint8), letters)
                recognizer.detector = _Fixed(regions)  # type: ignore[assignment]
                plates = recognizer.recognize(np.asarray(image, np.uint8))
                got = choose(plates)
                hits += got == truth
                if got != truth and set_name == "dev":
                    why = failure_class(plates, boxes[key], truth)
                    misses.append(f"{Path(key).name}:{truth}->{got or '-'} [{why}]")
            cells.append(f"{set_name} {hits}/{len(items)} = {100 * hits / len(items):.1f} %")
            if set_name == "dev":
                print(f"  {name} dev misses:\n    " + "\n    ".join(misses), flush=True)
        print(f"{name}: " + "; ".join(cells), flush=True)
        CACHE.write_bytes(pickle.dumps((memory, paddle.memory)))


class _Fixed:
    name = "cached"

    def __init__(self, regions: list[Any]) -> None:
        self.regions = regions

    def detect(self, image: Image) -> list[Any]:
        return self.regions


if __name__ == "__main__":
    main()
