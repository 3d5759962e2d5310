"""Frame skipping on video: a frame that looks like the last one recognized is not
recognized again; its plates are the last frame's (a parked car keeps its track open).

The comparison is on a small grey thumbnail (160 px wide, blurred), so it costs well
under a millisecond next to tens of milliseconds for recognition; sensor noise and JPEG
shimmer stay under the per-pixel threshold, a vehicle moving in does not.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from alpr.recognition.interfaces import Image

THUMB_WIDTH = 160
PIXEL_DELTA = 18  # grey levels a thumbnail pixel must change by to count as moving
MOVING_SHARE = 0.002  # share of thumbnail pixels that must move (~50 of 14,400 at 16:9)
MAX_SKIPPED = 25  # recognize at least every this many frames, whatever the motion


class MotionGate:
    """Says whether a frame changed enough since the last one that was recognized."""

    def __init__(
        self,
        *,
        pixel_delta: int = PIXEL_DELTA,
        moving_share: float = MOVING_SHARE,
        max_skipped: int = MAX_SKIPPED,
    ) -> None:
        self.pixel_delta = pixel_delta
        self.moving_share = moving_share
        self.max_skipped = max_skipped
        self._last: NDArray[np.uint8] | None = None
        self._skipped = 0
        self.skipped_total = 0

    def changed(self, image: Image) -> bool:
        thumb = _thumbnail(image)
        last = self._last
        if (
            last is None
            or last.shape != thumb.shape
            or self._skipped >= self.max_skipped
            or _moving_share(last, thumb, self.pixel_delta) >= self.moving_share
        ):
            self._last, self._skipped = thumb, 0
            return True
        self._skipped += 1
        self.skipped_total += 1
        return False


def _thumbnail(image: Image) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    size = (THUMB_WIDTH, max(1, round(height * THUMB_WIDTH / max(1, width))))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return np.asarray(cv2.GaussianBlur(grey, (3, 3), 0), dtype=np.uint8)


def _moving_share(a: NDArray[np.uint8], b: NDArray[np.uint8], delta: int) -> float:
    return float(np.count_nonzero(cv2.absdiff(a, b) > delta)) / a.size
