"""Plate recognition accuracy and speed on the openalpr benchmark images.

Run with `make bench-ocr` (`.venv/bin/python bench/recognition.py`). Reads
`../shared/data/` next to the repository; never copies it. O and 0 count as one
character everywhere (US agencies write 0). Model loading is excluded from timings.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from alpr.recognition.engines.rapidocr import engine
from alpr.recognition.interfaces import Box, Image, PlateResult
from alpr.recognition.pipeline import Recognizer
from alpr.recognition.postprocess import clean_text, plate_likeness
from alpr.recognition.registry import load_recognizer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FAILURES = Path(__file__).resolve().parents[1] / "docs" / "recognition" / "failures"
console = Console()


@dataclass(frozen=True)
class Sample:
    path: Path
    box: Box
    plate: str


@dataclass
class Score:
    """Tallies for one engine on one set."""

    n: int = 0
    exact: int = 0
    top1: int = 0
    chars: float = 0.0
    det_iou: int = 0
    det_centre: int = 0
    ms: list[float] = field(default_factory=list)
    failures: list[tuple[Sample, list[PlateResult]]] = field(default_factory=list)

    def pct(self, hits: float) -> str:
        return f"{100 * hits / self.n:.1f} %" if self.n else "-"

    def timing(self) -> tuple[str, str]:
        if not self.ms:
            return "-", "-"
        p95 = float(np.percentile(self.ms, 95))
        return f"{statistics.fmean(self.ms):.0f}", f"{p95:.0f}"


def load_photos(folder: Path, limit: int | None) -> list[Sample]:
    samples = []
    for txt in sorted(folder.glob("*.txt")):
        name, x, y, w, h, plate = txt.read_text().strip().split("\t")[:6]
        samples.append(Sample(folder / name, Box(int(x), int(y), int(w), int(h)),
                              clean_text(plate)))
    return samples[:limit] if limit else samples


def is_holdout(filename: str) -> bool:
    """The crops training never saw (training/train_ocr.py uses the same rule)."""
    return int(hashlib.md5(filename.encode()).hexdigest(), 16) % 100 < 15  # noqa: S324


def load_crops(folder: Path, limit: int | None, holdout: bool = False
               ) -> list[tuple[Path, str]]:
    with (folder / "groundtruth.csv").open() as handle:
        rows = [(folder / "images" / r[0], clean_text(r[2]))
                for r in csv.reader(handle) if len(r) >= 3 and (not holdout or is_holdout(r[0]))]
    return rows[:limit] if limit else rows


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def char_accuracy(pred: str, truth: str) -> float:
    return max(0.0, 1 - edit_distance(pred, truth) / max(1, len(truth)))


def _contains(box: Box, x: float, y: float) -> bool:
    return box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h


def pick(plates: list[PlateResult], truth: Box) -> str:
    """The plate read at the labelled place (others may be visible), else the top one."""
    cx, cy = truth.x + truth.w / 2, truth.y + truth.h / 2
    there = [p for p in plates if _contains(p.box, cx, cy) or p.box.iou(truth) > 0.1]
    best = there or plates
    return best[0].plate if best else ""


def score_photos(samples: list[Sample], run: Callable[[Image], list[PlateResult]],
                 boxes: Callable[[Image], list[Box]] | None = None) -> Score:
    score = Score()
    for sample in samples:
        image = np.asarray(cv2.imread(str(sample.path)), dtype=np.uint8)
        start = time.perf_counter()
        plates = run(image)
        score.ms.append(1000 * (time.perf_counter() - start))
        pred = pick(plates, sample.box)
        score.n += 1
        score.exact += pred == sample.plate
        score.top1 += bool(plates) and plates[0].plate == sample.plate
        score.chars += char_accuracy(pred, sample.plate)
        if pred != sample.plate:
            score.failures.append((sample, plates))
        if boxes is not None:
            found = boxes(image)
            cx, cy = sample.box.x + sample.box.w / 2, sample.box.y + sample.box.h / 2
            score.det_iou += any(b.iou(sample.box) >= 0.5 for b in found)
            score.det_centre += any(_contains(b, cx, cy) for b in found)
    return score


def baseline(image: Image) -> list[PlateResult]:
    """Raw RapidOCR on the whole photo; plate-like strings (4-8 alphanumerics), best first."""
    result, _ = engine()(image)
    plates = []
    for quad, text, conf in result or []:
        plate = clean_text(text)
        if 4 <= len(plate) <= 8 and plate_likeness(plate, 1.0) > 0:
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            box = Box(int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys)))
            plates.append(PlateResult(plate, float(conf), box))
    return sorted(plates, key=lambda p: -p.confidence)


def score_crops(rows: list[tuple[Path, str]], recognizer: Recognizer) -> tuple[Score, Score]:
    """The reader alone on each whole crop, and detector + reader on the crop."""
    alone, full = Score(), Score()
    for path, truth in rows:
        image = np.asarray(cv2.imread(str(path)), dtype=np.uint8)
        start = time.perf_counter()
        text = clean_text(recognizer.reader.read([image])[0].text)
        alone.ms.append(1000 * (time.perf_counter() - start))
        alone.n += 1
        alone.exact += text == truth
        alone.chars += char_accuracy(text, truth)
        start = time.perf_counter()
        plates = recognizer.recognize(image)
        full.ms.append(1000 * (time.perf_counter() - start))
        pred = plates[0].plate if plates else ""
        full.n += 1
        full.exact += pred == truth
        full.chars += char_accuracy(pred, truth)
    return alone, full


def save_failures(score: Score, limit: int = 8) -> list[Path]:
    """Small JPEGs of misses: the labelled plate with its surroundings, truth and answer."""
    FAILURES.mkdir(parents=True, exist_ok=True)
    for old in FAILURES.glob("*.jpg"):
        old.unlink()
    written = []
    for i, (sample, plates) in enumerate(score.failures[:limit]):
        image = np.asarray(cv2.imread(str(sample.path)), dtype=np.uint8)
        b = sample.box
        x0, y0 = max(0, b.x - 2 * b.w), max(0, b.y - 2 * b.h)
        x1, y1 = min(image.shape[1], b.x + 3 * b.w), min(image.shape[0], b.y + 3 * b.h)
        cv2.rectangle(image, (b.x, b.y), (b.x + b.w, b.y + b.h), (0, 200, 0), 2)
        for p in plates[:3]:
            q = p.box
            cv2.rectangle(image, (q.x, q.y), (q.x + q.w, q.y + q.h), (0, 0, 230), 1)
        region = image[y0:y1, x0:x1]
        height = max(1, int(region.shape[0] * 360 / region.shape[1]))
        crop = cv2.resize(region, (360, height))
        banner = np.full((44, 360, 3), 255, dtype=np.uint8)
        pred = pick(plates, sample.box) or "(none)"
        cv2.putText(banner, f"truth {sample.plate}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 140, 0), 1, cv2.LINE_AA)
        cv2.putText(banner, f"read  {pred}", (6, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 200), 1, cv2.LINE_AA)
        out = FAILURES / f"failure-{i + 1}.jpg"
        cv2.imwrite(str(out), np.vstack([banner, crop]), [cv2.IMWRITE_JPEG_QUALITY, 70])
        written.append(out)
    return written


def previous_engine() -> Recognizer:
    """The engine as shipped before issue 19 (same models; its switches all off)."""
    from alpr.recognition.engines.crnn import CrnnReader
    from alpr.recognition.engines.rapidocr import PaddleDetector, PaddleReader

    return Recognizer(PaddleDetector(), PaddleReader(), CrnnReader())


def speed_one(engine: str, limit: int) -> dict[str, float]:
    """ms per 720p and 1080p frame and 1080p video frames/s, in this process's threads."""
    from alpr.capture.motion import MotionGate
    from alpr.capture.sample_video import write_sample_clip

    recognizer = previous_engine() if engine == "previous" else load_recognizer()
    recognizer.recognize(np.zeros((720, 1280, 3), dtype=np.uint8))  # load, warm up
    photos = [np.asarray(cv2.imread(str(s.path)), dtype=np.uint8)
              for s in load_photos(DATA / "openalpr-us-dev", limit)]
    out: dict[str, float] = {}
    for label, size in (("720p", (1280, 720)), ("1080p", (1920, 1080))):
        frames = [np.asarray(cv2.resize(p, size, interpolation=cv2.INTER_AREA
                                        if p.shape[1] > size[0] else cv2.INTER_LINEAR),
                             dtype=np.uint8) for p in photos]
        times = []
        for frame in frames:
            start = time.perf_counter()
            recognizer.recognize(frame)
            times.append(1000 * (time.perf_counter() - start))
        out[f"{label} mean ms"] = statistics.fmean(times)
        out[f"{label} median ms"] = statistics.median(times)
    # A 1080p video: the sample traffic clip (vehicles passing, empty road between),
    # decoded and scaled up as a 1080p camera would deliver it.
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "traffic.mp4"
        write_sample_clip(clip, ["7ABC123", "4XYZ908", "5KD2101"], fps=15, gap_frames=10)
        capture = cv2.VideoCapture(str(clip))
        video: list[Image] = []
        while True:
            ok, raw = capture.read()
            if not ok:
                break
            video.append(np.asarray(cv2.resize(raw, (1920, 1080)), dtype=np.uint8))
        capture.release()
    for gated in (False, True):
        gate = MotionGate() if gated else None
        start = time.perf_counter()
        for frame in video:
            if gate is None or gate.changed(frame):
                recognizer.recognize(frame)
        seconds = time.perf_counter() - start
        out["video fps" + (" (motion gate)" if gated else "")] = len(video) / seconds
    out["video frames"] = len(video)
    return out


def speed(limit: int) -> None:
    """Each engine on 1 and 2 threads, each in a process of its own (threads are fixed
    when the models load)."""
    import json
    import os
    import subprocess
    import sys

    heads = ["engine", "threads", "720p mean ms", "720p median ms", "1080p mean ms",
             "1080p median ms", "video fps", "video fps (motion gate)"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for which in ("previous", "current"):
        for threads in (1, 2):
            env = {**os.environ, "ALPR_OCR_THREADS": str(threads),
                   "OMP_NUM_THREADS": str(threads)}
            child = subprocess.run(
                [sys.executable, "-m", "bench.recognition", "--speed-one", which,
                 "--limit", str(limit)],
                env=env, capture_output=True, text=True, check=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            cells = [which, str(threads),
                     *(f"{result[h]:.1f}" for h in heads[2:])]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="images per set")
    parser.add_argument("--reader", default=None, help="reader engine name (default paddle)")
    parser.add_argument("--no-baseline", action="store_true", help="skip raw RapidOCR")
    parser.add_argument("--failures", action="store_true", help="write failure images")
    parser.add_argument("--sets", default="dev,crops,eu",
                        help="comma list of: dev (US photos), heldout (the 15 %% of crops "
                        "training never saw), crops (all 745), eu")
    parser.add_argument("--speed", action="store_true",
                        help="ms per 720p/1080p frame and 1080p video frames/s, 1 and 2 "
                        "threads, previous engine next to the current one")
    parser.add_argument("--speed-one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_one:
        import json

        print(json.dumps(speed_one(args.speed_one, args.limit or 20)))
        return
    if args.speed:
        speed(args.limit or 20)
        return
    sets = set(args.sets.split(","))
    recognizer = load_recognizer(reader=args.reader)
    name = f"{recognizer.detector.name} + {recognizer.reader_name}"
    recognizer.recognize(np.zeros((720, 1280, 3), dtype=np.uint8))  # load models, warm up

    def regions(image: Image) -> list[Box]:
        return [r.box for r in recognizer.detector.detect(image)]

    us = load_photos(DATA / "openalpr-us-dev", args.limit)
    eu = load_photos(DATA / "openalpr-eu", args.limit)
    rows: list[tuple[str, str, Score]] = []
    ours = Score()
    if "dev" in sets:
        ours = score_photos(us, recognizer.recognize, regions)
        rows.append(("US photos (dev) end to end", name, ours))
        if not args.no_baseline:
            rows.append(("US photos (dev) end to end", "raw RapidOCR", score_photos(us, baseline)))
    if "heldout" in sets:
        held = load_crops(DATA / "openalpr-us-crops", args.limit, holdout=True)
        alone, full = score_crops(held, recognizer)
        rows.append(("US crops held out, reader alone", recognizer.reader.name, alone))
        rows.append(("US crops held out, detector + reader", name, full))
    if "crops" in sets:
        alone, full = score_crops(load_crops(DATA / "openalpr-us-crops", args.limit), recognizer)
        rows.append(("US crops, reader alone", recognizer.reader.name, alone))
        rows.append(("US crops, detector + reader", name, full))
    if "eu" in sets:
        rows.append(("EU photos end to end", name, score_photos(eu, recognizer.recognize)))
        if not args.no_baseline:
            rows.append(("EU photos end to end", "raw RapidOCR", score_photos(eu, baseline)))
    report(rows)
    for sample, plates in ours.failures:
        print(f"miss {sample.path.name}: truth {sample.plate} "
              f"read {pick(plates, sample.box) or '(none)'}")
    if args.failures:
        for path in save_failures(ours):
            console.print(f"wrote {path}")


def report(rows: list[tuple[str, str, Score]]) -> None:
    heads = ["set", "engine", "n", "exact", "top-1", "char acc", "det IoU≥.5", "det centre",
             "mean ms", "p95 ms"]
    table = Table(title="Plate recognition (O≡0)")
    for head in heads:
        table.add_column(head)
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for label, name, s in rows:
        det = (s.pct(s.det_iou), s.pct(s.det_centre)) if s.det_centre or s.det_iou else ("-",) * 2
        top1 = s.pct(s.top1) if s.top1 else "-"
        cells = [label, name, str(s.n), s.pct(s.exact), top1, s.pct(s.chars), *det, *s.timing()]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
