"""Content-addressed image files: a read stores the SHA-256 of its images, never the bytes.

The same image stored twice is one file. Files are written before the database transaction
commits; a rolled-back transaction leaves an unreferenced file, which is harmless (content
addressed) and removed by the retention sweep.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_IMAGE_BYTES = 10 * 1024 * 1024


class ImageError(ValueError):
    """Bytes that are not an acceptable image."""


def check_image(data: bytes) -> str:
    """Return the image's SHA-256 if the bytes are a whole JPEG, PNG or WebP image."""
    if not data:
        raise ImageError("image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            image.verify()  # walks the whole file: truncated or corrupt data raises here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"not a readable image ({error})") from error
    if image_format not in ALLOWED_FORMATS:
        raise ImageError(f"image format {image_format} not accepted (JPEG, PNG or WebP)")
    return hashlib.sha256(data).hexdigest()


class ImageStore:
    """Files under <root>/<first two hex digits>/<sha256>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ImageError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest

    def put(self, data: bytes, digest: str | None = None) -> str:
        """Store checked image bytes and return their digest (idempotent)."""
        digest = digest or check_image(data)
        path = self.path_for(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename: readers never see half an image.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        path = self.path_for(digest)
        if not path.exists():
            raise ImageError(f"no image {digest}")
        return path.read_bytes()

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).exists()
