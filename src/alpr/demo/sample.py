"""A sample camera batch: rendered plate and vehicle images, and a JSONL file of reads.

Everything is generated, so the demo runs on a fresh machine with no data and no network.
"""

from __future__ import annotations

import io
import json
import random
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Where the demo cameras are (Oakland, CA), so the map and location searches have a place.
DEMO_CENTER = (37.8044, -122.2712)
COLORS = {"white": (235, 235, 235), "black": (25, 25, 25), "silver": (170, 172, 178),
          "red": (170, 30, 35), "blue": (35, 60, 150), "gray": (105, 105, 110)}
MAKES = {"TOYOTA": "CAMRY", "HONDA": "CIVIC", "FORD": "F-150", "TESLA": "MODEL 3",
         "CHEVROLET": "MALIBU", "NISSAN": "ALTIMA"}


@dataclass(frozen=True)
class SampleRead:
    line: int
    plate: str
    camera_id: str
    captured_at: datetime
    note: str  # what this line demonstrates


def california_plate(rng: random.Random) -> str:
    """The current California pattern: digit, three letters, three digits (7ABC123)."""
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    return f"{rng.randint(1, 9)}{letters}{rng.randint(0, 999):03d}"


def render_plate(text: str, state: str = "California") -> bytes:
    plate = Image.new("RGB", (520, 260), (250, 250, 246))
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((4, 4, 515, 255), radius=18, outline=(40, 40, 60), width=6)
    draw.text((260, 45), state, fill=(190, 30, 40), anchor="mm",
              font=ImageFont.load_default(size=44))
    draw.text((260, 160), text, fill=(20, 40, 120), anchor="mm",
              font=ImageFont.load_default(size=120))
    return _jpeg(plate)


def render_vehicle(plate_jpeg: bytes, color: str) -> bytes:
    scene = Image.new("RGB", (800, 500), (92, 96, 100))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((0, 0, 800, 170), fill=(150, 180, 210))
    draw.rounded_rectangle((150, 140, 650, 430), radius=40, fill=COLORS[color])
    draw.rectangle((210, 170, 590, 260), fill=(60, 70, 80))
    for x in (230, 570):
        draw.ellipse((x - 45, 390, x + 45, 480), fill=(20, 20, 20))
    plate = Image.open(io.BytesIO(plate_jpeg)).resize((156, 78))
    scene.paste(plate, (322, 330))
    return _jpeg(scene)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def write_sample_batch(
    folder: Path, *, fixed_camera: str, mobile_camera: str, now: datetime, count: int = 12,
    seed: int | None = None,
) -> tuple[Path, list[SampleRead]]:
    """Write reads.jsonl and its images; return the file and what each line shows."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[dict[str, object]] = []
    notes: list[SampleRead] = []

    def add(read: dict[str, object], note: str) -> None:
        lines.append(read)
        notes.append(SampleRead(len(lines), str(read["plate"]), str(read["camera_id"]),
                                datetime.fromisoformat(str(read["captured_at"])), note))

    for number in range(count):
        plate = california_plate(rng)
        color = rng.choice(list(COLORS))
        make = rng.choice(list(MAKES))
        captured_at = now - timedelta(minutes=rng.randint(1, 240), seconds=rng.randint(0, 59))
        plate_file, vehicle_file = f"{number:03d}-plate.jpg", f"{number:03d}-vehicle.jpg"
        plate_jpeg = render_plate(plate)
        (folder / plate_file).write_bytes(plate_jpeg)
        (folder / vehicle_file).write_bytes(render_vehicle(plate_jpeg, color))
        mobile = number % 3 == 0
        read: dict[str, object] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "plate": plate,
            "confidence": round(rng.uniform(0.82, 0.99), 3),
            "region": "CA",
            "captured_at": captured_at.isoformat(),
            "camera_id": mobile_camera if mobile else fixed_camera,
            "plate_image": plate_file,
            "vehicle_image": vehicle_file,
            "vehicle_color": color,
            "vehicle_make": make,
            "vehicle_model": MAKES[make],
        }
        if mobile:  # a patrol car reports where it was; a fixed camera's place is known
            read["lat"] = round(DEMO_CENTER[0] + rng.uniform(-0.02, 0.02), 6)
            read["lon"] = round(DEMO_CENTER[1] + rng.uniform(-0.02, 0.02), 6)
            read["heading"] = float(rng.randint(0, 359))
        add(read, "patrol car, GPS from the car" if mobile else "fixed camera")

    # What a real feed also sends: a retry, a damaged image, a clock gone wrong.
    add(dict(lines[0]), "resent by the camera: stored once")
    broken = {**lines[1], "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "plate_image": "broken.jpg"}
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    add(broken, "corrupt image: refused, nothing else lost")
    future = {**lines[2], "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "captured_at": (now + timedelta(hours=3)).isoformat()}
    add(future, "camera clock 3 h fast: refused")

    path = folder / "reads.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path, notes
