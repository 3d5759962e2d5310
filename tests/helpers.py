"""Small builders shared by tests."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

from alpr.cameras.models import Camera

CameraFactory = Callable[..., tuple[Camera, str]]


def jpeg(color: tuple[int, int, int] = (200, 200, 200), size: tuple[int, int] = (64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()
