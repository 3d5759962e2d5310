"""Train the plate reader (`alpr.recognition.engines.crnn`): a small CRNN with CTC.

Data: synthetic US plates rendered on the fly (`alpr.recognition.synth`) plus the real
plate crops in ../shared/data/openalpr-us-crops (a fixed 15 % of them, chosen by filename
hash, held out for validation). openalpr-us-dev is never used here: it is for evaluation.
The best checkpoint by held-out accuracy is exported to ONNX (opset 17, dynamic batch) at
src/alpr/recognition/models/plate_reader.onnx, with plate_reader.json beside it.

    .venv/bin/python training/train_ocr.py --steps 6000 --batch 64 --threads 1
    .venv/bin/python training/train_ocr.py --minutes 45   # stop (and anneal) by time
    .venv/bin/python training/train_ocr.py --minutes 55 --lr 6e-4 \
        --init-onnx src/alpr/recognition/models/plate_reader.onnx  # fine-tune for photos

Checkpoints are chosen on the held-out crops degraded like road photos (shrunk to 40-150 px,
blurred, JPEG; fixed seed), never on the dev photos.

Needs the `train` extra (torch, onnx). A CPU is enough: see docs/recognition.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from alpr.recognition.engines.crnn import (
    CHARSET,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    MIN_STD,
    MODEL_DIR,
    preprocess,
)
from alpr.recognition.synth import degrade, normalize_label, render_plate_sample

ROOT = Path(__file__).resolve().parent.parent
CROPS = ROOT.parent / "shared" / "data" / "openalpr-us-crops"
HOLDOUT_PERCENT = 15
SYNTH_VAL_SEED = 987_654  # tests use yet another seed
SYNTH_VAL_SIZE = 400
DEGRADED_VAL_SEED = 24_680


def is_holdout(filename: str) -> bool:
    """The fixed validation split of the real crops (the tests use the same rule)."""
    return int(hashlib.md5(filename.encode()).hexdigest(), 16) % 100 < HOLDOUT_PERCENT  # noqa: S324


def load_crops(
    crops_dir: Path,
) -> tuple[list[tuple[np.ndarray, str]], list[tuple[np.ndarray, str]]]:
    train: list[tuple[np.ndarray, str]] = []
    val: list[tuple[np.ndarray, str]] = []
    gt = crops_dir / "groundtruth.csv"
    if not gt.exists():
        print(f"no real crops at {crops_dir}: synthetic data only")
        return train, val
    with gt.open() as fh:
        for row in csv.reader(fh):
            if len(row) < 3:
                continue
            image = cv2.imread(str(crops_dir / "images" / row[0]), cv2.IMREAD_COLOR)
            label = normalize_label(row[2])
            if image is None or not label:
                continue
            (val if is_holdout(row[0]) else train).append((image, label))
    return train, val


def photo_degrade(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """A plate as a road photo shows it: 40-150 px wide, soft focus, JPEG-compressed."""
    h, w = image.shape[:2]
    out_w = int(rng.uniform(40, 150))
    out_h = max(8, round(out_w * h / max(1, w)))
    small = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        small = cv2.GaussianBlur(small, (3, 3), float(rng.uniform(0.3, 1.0)))
    if rng.random() < 0.8:
        quality = int(rng.integers(20, 80))
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            small = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(small)


def degraded_split(
    samples: list[tuple[np.ndarray, str]], copies: int = 2
) -> list[tuple[np.ndarray, str]]:
    """The held-out crops degraded like road photos, with a fixed seed (checkpoint choice)."""
    rng = np.random.default_rng(DEGRADED_VAL_SEED)
    return [(photo_degrade(rng, image), label) for _ in range(copies) for image, label in samples]


def load_onnx_weights(model: CRNN, path: Path) -> None:
    """Start from a shipped reader: its ONNX weights copied into the torch model.

    The export folded each BatchNorm into its convolution, so the convolutions take the
    folded weights and the BatchNorms become identities plus the folded bias (train them
    frozen: `freeze_batchnorm`). ONNX orders LSTM gates i,o,f,c; torch i,f,g,o.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    conv_layers = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for node, conv, norm in zip(convs, conv_layers, norms, strict=True):
            conv.weight.copy_(weights[node.input[1]])
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0)
            norm.weight.fill_(math.sqrt(1.0 + norm.eps))
            norm.bias.copy_(weights[node.input[2]])
        lstm = next(n for n in graph.node if n.op_type == "LSTM")
        w, r, b = (weights[lstm.input[i]] for i in (1, 2, 3))
        hidden = model.rnn.hidden_size
        order = torch.cat([torch.arange(g * hidden, (g + 1) * hidden) for g in (0, 2, 3, 1)])
        for d, suffix in enumerate(("", "_reverse")):
            getattr(model.rnn, f"weight_ih_l0{suffix}").copy_(w[d][order])
            getattr(model.rnn, f"weight_hh_l0{suffix}").copy_(r[d][order])
            getattr(model.rnn, f"bias_ih_l0{suffix}").copy_(b[d][: 4 * hidden][order])
            getattr(model.rnn, f"bias_hh_l0{suffix}").copy_(b[d][4 * hidden :][order])
        matmul = next(n for n in graph.node if n.op_type == "MatMul")
        model.head.weight.copy_(weights[matmul.input[1]].T)
        model.head.bias.copy_(weights["model.head.bias"])


def freeze_batchnorm(model: nn.Module) -> None:
    """Keep BatchNorm statistics fixed (their affine parameters still learn)."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()


def augment_real(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Detector-like jitter of a tight real crop: clip or pad, warp, then camera damage."""
    h, w = image.shape[:2]
    pad = cv2.copyMakeBorder(image, h // 4, h // 4, w // 4, w // 4, cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:
        noise = rng.integers(0, 256, pad.shape, dtype=np.uint8)
        mask = np.zeros(pad.shape[:2], bool)
        mask[h // 4 : h // 4 + h, w // 4 : w // 4 + w] = True
        pad = np.where(mask[..., None], pad, cv2.blur(noise, (15, 15)))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + np.float32([w // 4, h // 4])
    jitter = rng.uniform(-0.05, 0.05, (4, 2)) * np.float32([w, h])
    margin = (
        np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]])
        * rng.uniform(-0.03, 0.12, (4, 1)).astype(np.float32)
        * np.float32([w, h])
    )
    quad = (src + jitter + margin).astype(np.float32)
    out_w = int(rng.integers(70, 330))
    out_h = max(12, int(out_w * h / w * rng.uniform(0.85, 1.15)))
    dst = np.float32([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]])
    warped = cv2.warpPerspective(pad, cv2.getPerspectiveTransform(quad, dst), (out_w, out_h))
    if rng.random() < 0.7:
        warped = degrade(rng, warped)
    return warped


class PlateBatches(IterableDataset):  # type: ignore[type-arg]
    """Endless batches: synthetic plates plus augmented real crops."""

    def __init__(
        self,
        real: list[tuple[np.ndarray, str]],
        batch: int,
        real_share: float,
        seed: int,
        photo_share: float = 0.0,
    ):
        self.real, self.batch, self.real_share, self.seed = real, batch, real_share, seed
        self.photo_share = photo_share

    def __iter__(self):  # type: ignore[no-untyped-def]
        info = torch.utils.data.get_worker_info()
        # Fixed seed per worker: a rerun draws the same batches (reproducible training).
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        while True:
            crops, labels = [], []
            for _ in range(self.batch):
                if self.real and rng.random() < self.real_share:
                    image, label = self.real[int(rng.integers(len(self.real)))]
                    crops.append(augment_real(rng, image))
                else:
                    image, label = render_plate_sample(rng)
                    crops.append(image)
                if rng.random() < self.photo_share:
                    crops[-1] = photo_degrade(rng, crops[-1])
                labels.append(label)
            yield torch.from_numpy(preprocess(crops)), labels


class CRNN(nn.Module):
    def __init__(self, classes: int, hidden: int = 96):
        super().__init__()

        def block(cin: int, cout: int, kernel: Any = 3, padding: Any = 1) -> list[nn.Module]:
            return [
                nn.Conv2d(cin, cout, kernel, padding=padding, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]

        self.features = nn.Sequential(
            *block(1, 32),
            nn.MaxPool2d(2, 2),  # 16 x 64
            *block(32, 48),
            nn.MaxPool2d(2, 2),  # 8 x 32
            *block(48, 96),
            nn.MaxPool2d((2, 1), (2, 1)),  # 4 x 32
            *block(96, 96),
            nn.MaxPool2d((2, 1), (2, 1)),  # 2 x 32
            *block(96, 160),
            *block(160, 160, (2, 1), 0),  # 1 x 32
        )
        self.rnn = nn.LSTM(160, hidden, bidirectional=True, batch_first=True)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).squeeze(2).permute(0, 2, 1)  # N x T x C
        y, _ = self.rnn(f)
        return self.head(self.dropout(y))  # N x T x classes (logits)


class Exported(nn.Module):
    """What ships: probabilities per time step (N x T x classes)."""

    def __init__(self, model: CRNN):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).softmax(-1)


def greedy_decode(logits: torch.Tensor) -> list[str]:
    best = logits.argmax(-1).cpu().numpy()
    out = []
    for row in best:
        chars, prev = [], 0
        for k in row:
            if k != prev and k != 0:
                chars.append(CHARSET[k - 1])
            prev = k
        out.append("".join(chars))
    return out


@torch.no_grad()
def accuracy(model: CRNN, samples: list[tuple[np.ndarray, str]]) -> tuple[float, float]:
    """Exact-plate accuracy and character accuracy (1 - CER-ish by position match)."""
    if not samples:
        return float("nan"), float("nan")
    model.eval()
    hits, char_hits, char_total = 0, 0, 0
    for i in range(0, len(samples), 128):
        chunk = samples[i : i + 128]
        preds = greedy_decode(model(torch.from_numpy(preprocess([s[0] for s in chunk]))))
        for pred, (_, label) in zip(preds, chunk, strict=True):
            hits += pred == label
            char_total += len(label)
            char_hits += (
                sum(a == b for a, b in zip(pred, label, strict=False))
                if len(pred) == len(label)
                else 0
            )
    model.train()
    if getattr(model, "frozen_batchnorm", False):
        freeze_batchnorm(model)
    return hits / len(samples), char_hits / max(1, char_total)


def encode(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    targets = [CHARSET.index(c) + 1 for label in labels for c in label]
    return torch.tensor(targets, dtype=torch.long), torch.tensor(
        [len(s) for s in labels], dtype=torch.long
    )


def export(model: CRNN, out_dir: Path, meta: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "plate_reader.onnx"
    model.eval()
    torch.onnx.export(
        Exported(model),
        (torch.zeros(1, 1, INPUT_HEIGHT, INPUT_WIDTH),),
        str(path),
        opset_version=17,
        dynamo=False,
        input_names=["image"],
        output_names=["probs"],
        dynamic_axes={"image": {0: "batch"}, "probs": {0: "batch"}},
    )
    (out_dir / "plate_reader.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument(
        "--minutes", type=float, default=0.0, help="stop after this long (0 = by steps)"
    )
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=1, help="data processes (0 = in the main one)"
    )
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--real-share", type=float, default=0.3)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--crops", type=Path, default=CROPS)
    parser.add_argument("--checkpoints", type=Path, default=ROOT / "training" / "checkpoints")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--resume", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--photo-share", type=float, default=0.5, help="share of samples degraded like photos"
    )
    parser.add_argument(
        "--init-onnx", type=Path, default=None, help="fine-tune from this exported reader"
    )
    parser.add_argument(
        "--export-only", type=Path, default=None, help="export this checkpoint to --out and stop"
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.export_only:
        model = CRNN(len(CHARSET) + 1)
        model.load_state_dict(torch.load(args.export_only)["model"])
        meta = json.loads((args.out / "plate_reader.json").read_text())
        print(f"exported {export(model, args.out, meta)}")
        return
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    real_train, real_val = load_crops(args.crops)
    degraded_val = degraded_split(real_val)
    rng = np.random.default_rng(SYNTH_VAL_SEED)
    synth_val = [render_plate_sample(rng) for _ in range(SYNTH_VAL_SIZE)]
    print(
        f"real crops: {len(real_train)} train, {len(real_val)} held out; "
        f"synthetic val {len(synth_val)}"
    )

    model = CRNN(len(CHARSET) + 1)
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params:,} parameters")
    if args.resume:
        model.load_state_dict(torch.load(args.resume)["model"])
    if args.init_onnx:
        load_onnx_weights(model, args.init_onnx)
        model.frozen_batchnorm = True  # type: ignore[assignment]
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    loader = DataLoader(
        PlateBatches(real_train, args.batch, args.real_share, args.seed, args.photo_share),
        batch_size=None,
        num_workers=args.workers,
        prefetch_factor=4 if args.workers else None,
        persistent_workers=bool(args.workers),
    )
    args.checkpoints.mkdir(parents=True, exist_ok=True)
    best: dict[str, Any] = {"score": -1.0}
    start = last_log = time.time()
    samples, step, loss_sum = 0, 0, 0.0
    warmup = 300

    def progress() -> float:
        by_steps = step / args.steps
        by_time = (time.time() - start) / (60 * args.minutes) if args.minutes else 0.0
        return min(1.0, max(by_steps, by_time))

    def evaluate() -> None:
        real_acc, real_char = accuracy(model, real_val)
        synth_acc, synth_char = accuracy(model, synth_val)
        degraded_acc, _ = accuracy(model, degraded_val)
        if math.isnan(real_acc):
            score = synth_acc
        else:  # the photo domain first; clean crops and synthetic plates break ties
            score = degraded_acc + 0.5 * real_acc + 0.1 * synth_acc
        print(
            f"  eval step {step}: degraded held-out {degraded_acc:.3f}, "
            f"held-out crops {real_acc:.3f} (chars {real_char:.3f}), "
            f"synthetic {synth_acc:.3f} (chars {synth_char:.3f})",
            flush=True,
        )
        state = {
            "model": model.state_dict(),
            "step": step,
            "real_acc": real_acc,
            "synth_acc": synth_acc,
            "degraded_acc": degraded_acc,
        }
        torch.save(state, args.checkpoints / "last.pt")
        if score > best["score"]:
            best.update(
                score=score,
                step=step,
                real_acc=real_acc,
                synth_acc=synth_acc,
                degraded_acc=degraded_acc,
                real_char=real_char,
                synth_char=synth_char,
            )
            torch.save(state, args.checkpoints / "best.pt")

    model.train()
    if args.init_onnx:
        freeze_batchnorm(model)
    evaluate()  # the starting point, so fine-tuning never ships something worse
    for images, labels in loader:
        p = progress()
        if p >= 1.0:
            break
        lr = (
            args.lr
            * min(1.0, (step + 1) / warmup)
            * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        targets, lengths = encode(labels)
        logits = model(images)  # N x T x C
        log_probs = logits.log_softmax(-1).permute(1, 0, 2)  # T x N x C
        input_lengths = torch.full((images.shape[0],), log_probs.shape[0], dtype=torch.long)
        loss = ctc(log_probs, targets, input_lengths, lengths)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        samples += images.shape[0]
        loss_sum += float(loss.detach())
        if step % 50 == 0:
            now = time.time()
            print(
                f"step {step} loss {loss_sum / 50:.3f} lr {lr:.2e} "
                f"{50 / (now - last_log):.2f} steps/s elapsed {(now - start) / 60:.1f} min",
                flush=True,
            )
            last_log, loss_sum = now, 0.0
        if step % args.eval_every == 0:
            evaluate()
    evaluate()
    elapsed = time.time() - start

    model.load_state_dict(torch.load(args.checkpoints / "best.pt")["model"])
    meta = {
        "model": "crnn",
        "architecture": "CRNN: 6 conv (BN, ReLU, 4 pools) -> BiLSTM(96) -> linear; "
        "CTC (blank = 0), T = 32",
        "charset": CHARSET,
        "blank_index": 0,
        "input": {
            "height": INPUT_HEIGHT,
            "width": INPUT_WIDTH,
            "channels": 1,
            "layout": "NCHW",
            "colour": "grey (OpenCV BGR2GRAY)",
            "normalisation": f"per image: (x - mean) / max(std, {MIN_STD})",
        },
        "output": "probs: N x T x classes softmax; class i+1 = charset[i]",
        "parameters": params,
        "training": {
            "steps": step,
            "batch": args.batch,
            "samples": samples,
            "seconds": round(elapsed),
            "steps_per_second": round(step / elapsed, 3),
            "threads": args.threads,
            "device": "cpu",
            "data": "synthetic plates (alpr.recognition.synth) + openalpr-us-crops train split "
            f"(real share {args.real_share}, photo-degraded share {args.photo_share}"
            + (f", fine-tuned from {args.init_onnx.name}" if args.init_onnx else "")
            + f"); held out: {HOLDOUT_PERCENT}% of crops "
            "by md5(filename)",
            "best_step": best["step"],
            "validation": {
                "heldout_crops": len(real_val),
                "heldout_exact": round(best["real_acc"], 4),
                "heldout_char": round(best["real_char"], 4),
                "heldout_degraded": len(degraded_val),
                "heldout_degraded_exact": round(best["degraded_acc"], 4),
                "synthetic": len(synth_val),
                "synthetic_exact": round(best["synth_acc"], 4),
                "synthetic_char": round(best["synth_char"], 4),
                "scoring": "exact plate, letter O written as digit 0",
            },
        },
    }
    path = export(model, args.out, meta)
    print(
        f"exported {path} ({path.stat().st_size / 1e6:.2f} MB); best step {best['step']}: "
        f"held-out {best['real_acc']:.3f}, synthetic {best['synth_acc']:.3f}; "
        f"{step} steps in {elapsed / 60:.1f} min ({step / elapsed:.2f} steps/s)"
    )


if __name__ == "__main__":
    main()
