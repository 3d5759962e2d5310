"""Frame sources: a still, a folder of stills, a video file, or a live camera stream.

Every source yields `Frame`s with an aware UTC capture time, so the reads made from them
carry the time the vehicle was seen, not the time the file was processed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from alpr.capture.live import LatestFrameReader, read_in_step
from alpr.recognition.interfaces import Image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})
_EXIF_IFD, _DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x8769, 0x9003, 0x9011

ErrorHandler = Callable[["CaptureError"], None]


class CaptureError(Exception):
    """A source that cannot be opened or read; the message names the file or stream."""


class SourceKind(StrEnum):
    IMAGE = "image"
    FOLDER = "folder"
    VIDEO = "video"
    STREAM = "stream"


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame. `position_ms` is the offset in a video or stream; None for stills.

    `source_key` names this frame the same way every time the same file or stream moment
    is captured (the file's content hash and the frame's place in it; a stream's URL and
    the frame's time), so reads made from it get stable ids (`capture_read_id`).
    """

    image: Image
    captured_at: datetime
    index: int
    source: str
    position_ms: float | None = None
    source_key: str = ""


def content_key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_key(path: Path) -> str:
    """The file's content hash: a copy, a rename or a new mtime is still the same file."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise CaptureError(f"{path}: cannot read ({error.strerror})") from error
    return "sha256:" + digest.hexdigest()


def stream_key(url: str) -> str:
    """A stream by its full URL (hashed: the URL may hold a password)."""
    return "stream:" + hashlib.sha256(url.encode()).hexdigest()


def redact(spec: str) -> str:
    """The spec without a password, fit for logs and audit (rtsp://user:pw@cam → user:***)."""
    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def source_kind(spec: str) -> SourceKind:
    scheme = urlsplit(spec).scheme.lower()
    if scheme in STREAM_SCHEMES:
        return SourceKind.STREAM
    path = _local_path(spec)
    if not path.exists():
        raise CaptureError(f"{spec}: no such file, folder, or stream URL")
    if path.is_dir():
        return SourceKind.FOLDER
    return SourceKind.IMAGE if path.suffix.lower() in IMAGE_SUFFIXES else SourceKind.VIDEO


def open_source(
    spec: str,
    *,
    every_n: int = 1,
    fps_limit: float | None = None,
    start: datetime | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[Frame]:
    """Frames from a path or URL: chooses image, folder, video or stream by its form."""
    kind = source_kind(spec)
    if kind is SourceKind.STREAM:
        return stream(spec, every_n=every_n, fps_limit=fps_limit)
    path = _local_path(spec)
    if kind is SourceKind.FOLDER:
        return folder(path, on_error=on_error)
    if kind is SourceKind.IMAGE:
        return image_file(path)
    return video_file(path, every_n=every_n, fps_limit=fps_limit, start=start)


def count_frames(spec: str, *, every_n: int = 1) -> int | None:
    """How many frames a source will yield (for a progress bar); None for streams."""
    kind = source_kind(spec)
    if kind is SourceKind.IMAGE:
        return 1
    if kind is SourceKind.FOLDER:
        return len(_image_files(_local_path(spec)))
    if kind is SourceKind.STREAM:
        return None
    capture = cv2.VideoCapture(str(_local_path(spec)))
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    return -(-total // every_n) if total > 0 else None


# -- stills -----------------------------------------------------------------------------


def image_file(path: Path) -> Iterator[Frame]:
    """One frame from one image; CaptureError if it cannot be decoded."""
    yield _still(path, 0)


def folder(path: Path, *, on_error: ErrorHandler | None = None) -> Iterator[Frame]:
    """Image files in name order (img2 before img10). A corrupt file is reported, not fatal."""
    if not path.is_dir():
        raise CaptureError(f"{path}: not a folder")
    for index, file in enumerate(_image_files(path)):
        try:
            yield _still(file, index)
        except CaptureError as error:
            (on_error or _log_error)(error)


def _image_files(path: Path) -> list[Path]:
    files = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=_natural_key)


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _still(path: Path, index: int) -> Frame:
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise CaptureError(f"{path}: cannot read ({error.strerror})") from error
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise CaptureError(f"{path}: not a readable image (corrupt or unsupported)")
    key = content_key(data.tobytes())
    return Frame(_as_image(image), still_time(path), index, str(path), source_key=key)


def still_time(path: Path) -> datetime:
    """EXIF DateTimeOriginal when the camera wrote one, else the file's modification time."""
    try:
        with PILImage.open(path) as image:
            exif = image.getexif().get_ifd(_EXIF_IFD)
    except (OSError, UnidentifiedImageError, ValueError):
        exif = {}
    stamp, offset = exif.get(_DATETIME_ORIGINAL), exif.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(stamp, str):
        try:
            taken = datetime.strptime(stamp.strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            pass
        else:
            if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip()):
                return datetime.fromisoformat(taken.isoformat() + offset.strip()).astimezone(UTC)
            # No offset tag: EXIF time is the camera's local time, taken as this machine's.
            return taken.astimezone(UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


# -- video files ------------------------------------------------------------------------


class _Sampler:
    """Keeps every Nth frame, and at most `fps_limit` frames per second of source time."""

    def __init__(self, every_n: int, fps_limit: float | None) -> None:
        if every_n < 1:
            raise ValueError("every_n must be at least 1")
        if fps_limit is not None and fps_limit <= 0:
            raise ValueError("fps_limit must be positive")
        self.every_n = every_n
        self.min_step_ms = 1000.0 / fps_limit if fps_limit else 0.0
        self.last_ms: float | None = None

    def wants(self, index: int, position_ms: float) -> bool:
        if index % self.every_n:
            return False
        # A small tolerance: 30 fps timestamps limited to 10 fps are 99.99 ms apart, not 100.
        if self.last_ms is not None and position_ms - self.last_ms < self.min_step_ms - 0.5:
            return False
        self.last_ms = position_ms
        return True


def video_file(
    path: Path, *, every_n: int = 1, fps_limit: float | None = None, start: datetime | None = None
) -> Iterator[Frame]:
    """Frames of a video file; captured_at = `start` (or the file's start time) + position."""
    sampler = _Sampler(every_n, fps_limit)
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise CaptureError(f"{path}: not a readable video (corrupt or unsupported format)")
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        if start is None:
            # A recorder finishes writing the file when the clip ends: mtime is its end.
            count = capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
            length = timedelta(seconds=count / fps) if fps > 0 else timedelta(0)
            start = datetime.fromtimestamp(path.stat().st_mtime, UTC) - length
        start = _aware(start)
        key = file_key(path)
        index = 0
        while capture.grab():  # grab without converting: skipped frames cost less
            position = capture.get(cv2.CAP_PROP_POS_MSEC)
            if position <= 0 and index and fps > 0:
                position = index * 1000.0 / fps  # containers without timestamps
            if sampler.wants(index, position):
                ok, image = capture.retrieve()
                if ok and image is not None:
                    yield Frame(
                        _as_image(image),
                        start + timedelta(milliseconds=position),
                        index,
                        str(path),
                        position,
                        # The frame number in the file, not the time given with --start.
                        f"{key}#frame={index}",
                    )
            index += 1
        if index == 0:
            raise CaptureError(f"{path}: no frames could be decoded")
    finally:
        capture.release()


# -- live streams -----------------------------------------------------------------------

Opener = Callable[[str, float], Any]


def _open_capture(url: str, timeout_s: float) -> Any:
    """A cv2.VideoCapture on the FFmpeg backend, with open and read timeouts."""
    timeout_ms = int(timeout_s * 1000)
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        timeout_ms,
    ]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def stream(
    url: str,
    *,
    every_n: int = 1,
    fps_limit: float | None = None,
    timeout_s: float = 10.0,
    reconnects: int = 3,
    retry_delay_s: float = 2.0,
    newest_only: bool = True,
    opener: Opener = _open_capture,
) -> Iterator[Frame]:
    """Frames of an RTSP / HTTP(S) MJPEG stream, timed by this machine's clock.

    With `newest_only` (live use) frames that arrive while the consumer is busy are dropped,
    so the reads stay current. A stream that drops is reopened, up to `reconnects` times in
    a row; one that cannot be opened raises CaptureError naming it (without its password).
    """
    name = redact(url)
    key = stream_key(url)
    sampler = _Sampler(every_n, fps_limit)
    started = time.monotonic()
    offered = failures = numbered = 0
    while True:
        capture = opener(url, timeout_s)
        if capture.isOpened():
            reader = LatestFrameReader(capture) if newest_only else None
            raws = reader.frames(timeout_s) if reader else read_in_step(capture)
            try:
                last = -1
                for number, image, at in raws:
                    failures, last = 0, number
                    position = (at - started) * 1000.0
                    # every_n counts frames offered here: newest_only skips some numbers.
                    if sampler.wants(offered, position):
                        index = numbered + number
                        now = datetime.now(UTC)
                        frame_key = f"{key}@{now.isoformat()}"
                        yield Frame(_as_image(image), now, index, name, position, frame_key)
                    offered += 1
                numbered += last + 1
            finally:
                if reader:
                    reader.close()
                else:
                    capture.release()
            problem = "stream stopped sending frames"
        else:
            capture.release()
            problem = "cannot open stream"
        failures += 1
        if failures > reconnects:
            raise CaptureError(
                f"{name}: {problem} (gave up after {failures} attempt"
                f"{'s' if failures > 1 else ''}; check the URL, credentials and network)"
            )
        log.warning("%s: %s, retrying in %.1f s", name, problem, retry_delay_s)
        time.sleep(retry_delay_s)


# -- helpers ----------------------------------------------------------------------------


def _local_path(spec: str) -> Path:
    parts = urlsplit(spec)
    return Path(parts.path) if parts.scheme.lower() == "file" else Path(spec)


def _as_image(array: Any) -> Image:
    return np.asarray(array, dtype=np.uint8)  # no copy: OpenCV already decodes to uint8


def _aware(moment: datetime) -> datetime:
    # A naive start time is this machine's local time.
    return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)


def _log_error(error: CaptureError) -> None:
    log.warning("%s", error)
