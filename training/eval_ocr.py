"""Measure the packaged plate reader (onnxruntime only): accuracy and speed.

    .venv/bin/python training/eval_ocr.py [--synthetic 300] [--dev]

- held-out real crops: the 15 % of openalpr-us-crops that training never saw;
- synthetic plates drawn with a seed training never used;
- with --dev, the labelled plate of each openalpr-us-dev photo, cropped from the
  ground-truth box with a 10 % margin (measurement only: never train or tune on it);
- ms per plate at batch 1 and 32 (model load excluded).
Exact plate match, letter O and digit 0 as one character.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from alpr.recognition.engines.crnn import MODEL_PATH, CrnnReader
from alpr.recognition.interfaces import Image
from alpr.recognition.synth import normalize_label, render_plate_sample

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def heldout_crops() -> list[tuple[Image, str]]:
    folder = DATA / "openalpr-us-crops"
    out = []
    with (folder / "groundtruth.csv").open() as handle:
        for row in csv.reader(handle):
            if len(row) >= 3 and int(hashlib.md5(row[0].encode()).hexdigest(), 16) % 100 < 15:  # noqa: S324
                out.append((cv2.imread(str(folder / "images" / row[0])), normalize_label(row[2])))
    return out


def dev_crops(margin: float = 0.1) -> list[tuple[Image, str]]:
    out = []
    for txt in sorted((DATA / "openalpr-us-dev").glob("*.txt")):
        name, x, y, w, h, plate = txt.read_text().strip().split("\t")[:6]
        image = cv2.imread(str(txt.parent / name))
        x0, y0, bw, bh = int(x), int(y), int(w), int(h)
        mx, my = int(bw * margin), int(bh * margin)
        crop = image[max(0, y0 - my) : y0 + bh + my, max(0, x0 - mx) : x0 + bw + mx]
        out.append((crop, normalize_label(plate)))
    return out


def score(reader: CrnnReader, samples: list[tuple[Image, str]], name: str, show: int = 0) -> None:
    readings = reader.read([s[0] for s in samples])
    hits = [r.text == label for r, (_, label) in zip(readings, samples, strict=True)]
    alt = [
        ok or label in {a for a, _ in r.alternatives}
        for ok, r, (_, label) in zip(hits, readings, samples, strict=True)
    ]
    print(
        f"{name}: {sum(hits)}/{len(samples)} = {100 * sum(hits) / len(samples):.1f} % exact "
        f"(with alternatives {100 * sum(alt) / len(samples):.1f} %)"
    )
    wrong = [
        (label, r.text, round(r.confidence, 2))
        for ok, r, (_, label) in zip(hits, readings, samples, strict=True)
        if not ok
    ]
    if show:
        print("  misses (truth, read, conf):", wrong[:show])


def timing(reader: CrnnReader, samples: list[tuple[Image, str]]) -> None:
    crops = [s[0] for s in samples]
    reader.read(crops[:2])
    for batch in (1, 32):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for i in range(0, 64, batch):
                reader.read(crops[i : i + batch])
            runs.append((time.perf_counter() - start) * 1000 / 64)
        print(f"batch {batch}: {statistics.median(runs):.2f} ms/plate (incl. preprocessing)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=300)
    parser.add_argument("--dev", action="store_true")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--model", type=Path, default=MODEL_PATH, help="plate_reader.onnx")
    args = parser.parse_args()
    reader = CrnnReader(args.model)
    print(f"model {args.model} ({args.model.stat().st_size / 1e6:.2f} MB)")
    rng = np.random.default_rng(20_240_611)
    synthetic = [render_plate_sample(rng) for _ in range(args.synthetic)]
    score(reader, synthetic, "synthetic (unseen seed)", args.show)
    crops = heldout_crops()
    score(reader, crops, "held-out real crops", args.show)
    if args.dev:
        score(reader, dev_crops(), "openalpr-us-dev GT boxes +10 %", args.show)
    timing(reader, synthetic if len(synthetic) >= 64 else crops)


if __name__ == "__main__":
    main()
