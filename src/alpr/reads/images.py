"""Content-addressed, encrypted image files: a read stores the SHA-256 of its images.

Files live under <root>/<day>/<ab>/<sha256>, encrypted with the day's key (AES-256-GCM,
see keys.py), so destroying a day's key shreds every copy of that day's images. The same
image stored twice on one day is one file. Files are written before the database
transaction commits; a rolled-back transaction leaves an unreferenced file, which the
retention sweep removes.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import warnings
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from PIL import Image, UnidentifiedImageError

from alpr.config import Settings
from alpr.reads.keys import DataKeyError, KeyRing

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A 4K camera frame is 8.3 megapixels; far beyond that is an attack, not a photo.
MAX_IMAGE_PIXELS = 40_000_000


class ImageError(ValueError):
    """Bytes that are not an acceptable image."""


def check_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> str:
    """Return the image's SHA-256 if the bytes are a whole JPEG, PNG or WebP image.

    The header is read first: a format or a size we do not take is refused before any
    pixel is decoded (a decompression bomb is a few KB declaring billions of pixels).
    Then the whole image is decoded: a truncated JPEG passes `verify()`, not `load()`.
    """
    if not data:
        raise ImageError("image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageError(f"image has {width}x{height} pixels; at most {max_pixels}")
                image.verify()  # structure and checksums (PNG CRCs)
            with Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS)) as image:
                image.load()  # every pixel: truncated or corrupt data raises here
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"image refused as a decompression bomb ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageError("not a readable image (not JPEG, PNG or WebP)") from error
    except (OSError, SyntaxError, ValueError, MemoryError, EOFError) as error:
        raise ImageError(f"not a readable image ({error})") from error
    return hashlib.sha256(data).hexdigest()


MAGIC = b"ALPRENC1"


class ImageStore:
    """Encrypted files under <root>/<YYYYMMDD>/<first two hex digits>/<sha256>."""

    def __init__(self, root: Path, keys: KeyRing) -> None:
        self.root = root
        self.keys = keys

    def path_for(self, digest: str, day: date) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ImageError(f"not a SHA-256 digest: {digest!r}")
        return self.root / f"{day:%Y%m%d}" / digest[:2] / digest

    def put(self, data: bytes, day: date, digest: str | None = None) -> str:
        """Store checked image bytes for a read of this day; return their digest."""
        digest = digest or check_image(data)
        path = self.path_for(digest, day)
        if path.exists():
            return digest
        nonce = os.urandom(12)
        sealed = MAGIC + nonce + AESGCM(self.keys.for_writing(day)).encrypt(
            nonce, data, digest.encode())
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename: readers never see half an image.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(sealed)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str, day: date) -> bytes:
        return self.open(self.path_for(digest, day).read_bytes() if self.exists(digest, day)
                         else _missing(digest), digest, day)

    def open(self, sealed: bytes, digest: str, day: date) -> bytes:
        """Decrypt stored bytes (from this store or any copy of it, e.g. a backup)."""
        if not sealed.startswith(MAGIC):
            raise ImageError("not an encrypted image file")
        try:
            key = self.keys.for_reading(day)
        except DataKeyError as error:
            raise ImageError(str(error)) from error
        nonce, body = sealed[len(MAGIC) : len(MAGIC) + 12], sealed[len(MAGIC) + 12 :]
        try:
            return AESGCM(key).decrypt(nonce, body, digest.encode())
        except InvalidTag as error:
            raise ImageError(f"image {digest} fails its integrity check") from error

    def exists(self, digest: str, day: date) -> bool:
        return self.path_for(digest, day).exists()

    def remove(self, digest: str, day: date) -> bool:
        path = self.path_for(digest, day)
        if path.exists():
            path.unlink()
            return True
        return False

    def remove_day(self, day: date) -> None:
        shutil.rmtree(self.root / f"{day:%Y%m%d}", ignore_errors=True)


def _missing(digest: str) -> bytes:
    raise ImageError(f"no image {digest}")


def image_store(settings: Settings) -> ImageStore:
    """The configured store: images under the data dir, keys in their own folder."""
    master = bytes.fromhex(settings.master_key) if settings.master_key else None
    return ImageStore(settings.image_dir, KeyRing(settings.keys_path, master))
