"""Frame sources: stills, folders, video files and streams."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from alpr.capture.sample_video import write_sample_clip
from alpr.capture.sources import (
    CaptureError,
    SourceKind,
    count_frames,
    folder,
    image_file,
    open_source,
    redact,
    source_kind,
    still_time,
    stream,
    video_file,
)


def write_png(path: Path, shade: int = 100) -> Path:
    cv2.imwrite(str(path), np.full((20, 30, 3), shade, np.uint8))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    write_sample_clip(path, ["7ABC123"], fps=10, seconds_per_pass=1.6, gap_frames=4)
    return path  # 2 + 16 + 4 = 22 frames at 10 fps


def test_folder_yields_images_in_natural_name_order(tmp_path: Path) -> None:
    for name in ("img10.png", "img2.png", "img1.jpg", "notes.txt"):
        if name.endswith(".txt"):
            (tmp_path / name).write_text("not an image")
        else:
            write_png(tmp_path / name)
    frames = list(folder(tmp_path))
    assert [Path(f.source).name for f in frames] == ["img1.jpg", "img2.png", "img10.png"]
    assert [f.index for f in frames] == [0, 1, 2]
    assert all(f.position_ms is None and f.image.shape == (20, 30, 3) for f in frames)


def test_corrupt_image_in_folder_is_reported_by_name_and_the_rest_continue(
    tmp_path: Path,
) -> None:
    write_png(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    write_png(tmp_path / "c.png")
    problems: list[CaptureError] = []
    frames = list(folder(tmp_path, on_error=problems.append))
    assert [Path(f.source).name for f in frames] == ["a.png", "c.png"]
    assert len(problems) == 1
    assert "b.jpg" in str(problems[0])
    assert "not a readable image" in str(problems[0])


def test_corrupt_single_image_raises_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"")
    with pytest.raises(CaptureError, match=r"bad\.png"):
        list(image_file(bad))


def test_still_time_comes_from_exif_or_file_time(tmp_path: Path) -> None:
    # REQ C2 — the read's time is when the photo was taken
    plain = write_png(tmp_path / "plain.png")
    stamp = datetime(2026, 5, 1, 8, 30, tzinfo=UTC).timestamp()
    os.utime(plain, (stamp, stamp))
    assert still_time(plain) == datetime(2026, 5, 1, 8, 30, tzinfo=UTC)

    photo = tmp_path / "photo.jpg"
    exif = PILImage.Exif()
    exif.get_ifd(0x8769).update({0x9003: "2026:04:02 10:11:12", 0x9011: "-07:00"})
    PILImage.new("RGB", (16, 16)).save(photo, exif=exif)
    assert still_time(photo) == datetime(2026, 4, 2, 17, 11, 12, tzinfo=UTC)


def test_video_every_nth_frame_with_capture_time_from_start(clip: Path) -> None:
    # REQ C1 — video input, sampled
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    frames = list(video_file(clip, every_n=3, start=start))
    assert [f.index for f in frames] == list(range(0, 22, 3))
    assert count_frames(str(clip), every_n=3) == len(frames)
    assert frames[2].position_ms == pytest.approx(600, abs=1)
    assert frames[2].captured_at == start + timedelta(milliseconds=frames[2].position_ms or 0)


def test_video_fps_limit_halves_a_10_fps_clip(clip: Path) -> None:
    # REQ C1
    frames = list(video_file(clip, fps_limit=5))
    assert len(frames) == 11
    gaps = {round((b.position_ms or 0) - (a.position_ms or 0)) for a, b in pairwise(frames)}
    assert gaps == {200}


def test_video_start_defaults_to_file_time_minus_its_length(clip: Path) -> None:
    end = datetime(2026, 3, 3, 9, 0, 10, tzinfo=UTC)
    os.utime(clip, (end.timestamp(), end.timestamp()))
    first = next(iter(video_file(clip)))
    assert first.captured_at == end - timedelta(seconds=2.2)


def test_not_a_video_fails_cleanly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    with pytest.raises(CaptureError, match=r"broken\.mp4"):
        list(video_file(broken))


def test_open_source_chooses_by_form(tmp_path: Path, clip: Path) -> None:
    still = write_png(tmp_path / "one.png")
    assert source_kind(str(still)) is SourceKind.IMAGE
    assert source_kind(str(tmp_path)) is SourceKind.FOLDER
    assert source_kind(str(clip)) is SourceKind.VIDEO
    assert source_kind("rtsp://cam.example/stream") is SourceKind.STREAM
    assert source_kind("https://cam.example/mjpg/video.mjpg") is SourceKind.STREAM
    assert len(list(open_source(f"file://{still}"))) == 1
    with pytest.raises(CaptureError, match="no such file"):
        open_source(str(tmp_path / "missing.mp4"))


def test_stream_that_cannot_open_fails_cleanly_without_the_password() -> None:
    url = "rtsp://admin:secret@127.0.0.1:9/none"
    began = time.monotonic()
    with pytest.raises(CaptureError, match="cannot open stream") as raised:
        list(stream(url, timeout_s=1, reconnects=1, retry_delay_s=0.01))
    assert time.monotonic() - began < 10
    assert "secret" not in str(raised.value)
    assert "admin:***@127.0.0.1:9" in str(raised.value)
    assert redact("rtsp://cam/x") == "rtsp://cam/x"


class FakeCapture:
    """A camera that sends `frames` frames and then drops the connection."""

    def __init__(self, frames: int, opens: bool = True) -> None:
        self.left, self.opens = frames, opens

    def isOpened(self) -> bool:  # noqa: N802 — OpenCV's name
        return self.opens

    def grab(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def retrieve(self) -> tuple[bool, Any]:
        return True, np.zeros((4, 4, 3), np.uint8)

    def release(self) -> None:
        pass


def test_stream_reconnects_after_a_drop_then_gives_up() -> None:
    # REQ C1 — a live camera that drops is reopened
    captures = iter([FakeCapture(3), FakeCapture(0, opens=False), FakeCapture(2)])

    def opener(url: str, timeout_s: float) -> Any:
        return next(captures, FakeCapture(0, opens=False))

    frames: list[Any] = []
    with pytest.raises(CaptureError, match="rtsp://cam/live"):
        frames.extend(
            stream(
                "rtsp://cam/live", reconnects=2, retry_delay_s=0, newest_only=False, opener=opener
            )
        )
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert all(f.captured_at.tzinfo is not None for f in frames)


class SlowCamera(FakeCapture):
    """Sends a frame every 2 ms, like a camera that does not wait for anyone."""

    def grab(self) -> bool:
        time.sleep(0.002)
        return super().grab()


def test_live_stream_hands_over_the_newest_frame_when_the_consumer_is_slow() -> None:
    # REQ C1 — recognition slower than the camera must not fall behind
    cameras = iter([SlowCamera(200)])

    def opener(url: str, timeout_s: float) -> Any:
        return next(cameras, FakeCapture(0, opens=False))

    seen: list[int] = []

    def recognize_slowly() -> None:
        for frame in stream("rtsp://cam/live", reconnects=0, retry_delay_s=0, opener=opener):
            seen.append(frame.index)
            time.sleep(0.03)  # a slow recognizer: ~15 frames arrive meanwhile

    with pytest.raises(CaptureError, match="stream stopped sending frames"):
        recognize_slowly()
    assert 3 <= len(seen) < 60
    assert seen == sorted(seen)
    assert max(b - a for a, b in pairwise(seen)) > 5  # frames in between were dropped


class MjpegCamera(BaseHTTPRequestHandler):
    """An IP camera's HTTP MJPEG stream: 20 JPEG frames, 20 ms apart, then it hangs up."""

    frame = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))[1].tobytes()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
        try:
            for _ in range(20):
                self.wfile.write(part % len(self.frame) + self.frame + b"\r\n")
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def mjpeg_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), MjpegCamera)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/video.mjpg"
    server.shutdown()
    server.server_close()


def test_http_mjpeg_stream_with_fps_limit(mjpeg_url: str) -> None:
    # REQ C1 — a live IP camera stream
    frames: list[Any] = []

    def watch() -> None:
        frames.extend(stream(mjpeg_url, timeout_s=2, reconnects=0, fps_limit=10))

    with pytest.raises(CaptureError, match="stream stopped sending frames"):
        watch()
    assert 2 <= len(frames) <= 8  # ~0.4 s of stream at most 10 frames/s
    assert frames[0].image.shape == (48, 64, 3)
    assert all(b.position_ms - a.position_ms >= 99 for a, b in pairwise(frames))
