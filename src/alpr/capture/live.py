"""Reading a live capture: in step with the consumer, or newest-frame-only on a thread.

Recognition (~0.3 s a frame on a CPU) is slower than a camera sends frames. Reading a
live stream only when the recognizer is ready would fall further behind every second, and
the camera's buffer would eventually overflow. `LatestFrameReader` reads as fast as the
camera sends and hands over only the newest frame; the ones in between are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

# (frame number on this connection, BGR image, time.monotonic() when it was read)
RawFrame = tuple[int, Any, float]


def read_in_step(capture: Any) -> Iterator[RawFrame]:
    """Every frame, read when asked for (files, tests, or a consumer known to keep up)."""
    number = 0
    while capture.grab():
        ok, image = capture.retrieve()
        if ok and image is not None:
            yield number, image, time.monotonic()
        number += 1


class LatestFrameReader:
    """Reads a capture on a background thread, keeping only the newest frame."""

    def __init__(self, capture: Any) -> None:
        self._capture = capture
        self._ready = threading.Condition()
        self._latest: RawFrame | None = None
        self._ended = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capture-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for raw in read_in_step(self._capture):
                with self._ready:
                    self._latest = raw
                    self._ready.notify()
                if self._stop.is_set():
                    break
        finally:
            self._capture.release()  # the thread owns the capture: never released mid-grab
            with self._ready:
                self._ended = True
                self._ready.notify()

    def frames(self, timeout_s: float) -> Iterator[RawFrame]:
        """Newest frames, each once; ends when the stream ends or sends nothing for a while."""
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._latest is not None or self._ended, timeout_s)
                raw, self._latest = self._latest, None
            if raw is None:  # ended, or silent past the timeout
                return
            yield raw

    def close(self) -> None:
        """Stop reading; a grab in progress ends at the capture's own read timeout."""
        self._stop.set()
        self._thread.join(timeout=1.0)
