"""Per-day data keys for images at rest, wrapped by the agency's master key (REQ X1).

Each UTC day's images are encrypted with that day's AES-256-GCM key. When the day is past
its retention period the key is destroyed: every copy of those images — in the store,
in any backup taken before — becomes unreadable (crypto-shredding). Keys live in their own
folder (`ALPR_KEY_DIR`), which must be kept off the data backups; the master key comes
from `ALPR_MASTER_KEY` (64 hex digits) or a file created once in the key folder.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DataKeyError(ValueError):
    """A key that is missing or destroyed; the message says which day."""


class KeyRing:
    def __init__(self, folder: Path, master: bytes | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._master = AESGCM(master or self._master_from_file())

    def _master_from_file(self) -> bytes:
        path = self.folder / "master.key"
        if not path.exists():
            _write_private(path, secrets.token_hex(32).encode())
        return bytes.fromhex(path.read_text().strip())

    def _path(self, day: date) -> Path:
        return self.folder / f"{day:%Y%m%d}.key"

    def _tombstone(self, day: date) -> Path:
        return self.folder / f"{day:%Y%m%d}.destroyed"

    def for_writing(self, day: date) -> bytes:
        """The day's key, created on first use; a destroyed day never gets a new one."""
        if self._tombstone(day).exists():
            raise DataKeyError(f"the key for {day} was destroyed; nothing more is stored for it")
        path = self._path(day)
        if not path.exists():
            nonce = secrets.token_bytes(12)
            wrapped = nonce + self._master.encrypt(nonce, secrets.token_bytes(32), day.isoformat()
                                                   .encode())
            _write_private(path, wrapped)
        return self.for_reading(day)

    def for_reading(self, day: date) -> bytes:
        path = self._path(day)
        if not path.exists():
            state = "destroyed" if self._tombstone(day).exists() else "missing"
            raise DataKeyError(f"the key for {day} is {state}: its images cannot be read")
        wrapped = path.read_bytes()
        return self._master.decrypt(wrapped[:12], wrapped[12:], day.isoformat().encode())

    def destroy(self, day: date) -> bool:
        """Overwrite and delete the day's key, leaving a tombstone (no later re-creation)."""
        path = self._path(day)
        existed = path.exists()
        if existed:
            path.write_bytes(secrets.token_bytes(path.stat().st_size))
            path.unlink()
        self._tombstone(day).touch()
        return existed

    def rotate_master(self, new_master: bytes) -> int:
        """Re-wrap every day key with a new master key; returns how many were re-wrapped."""
        fresh = AESGCM(new_master)
        days = self.days()
        for day in days:
            key = self.for_reading(day)
            nonce = secrets.token_bytes(12)
            path = self._path(day)
            temporary = path.with_suffix(".rewrap")
            _write_private(temporary, nonce + fresh.encrypt(nonce, key, day.isoformat().encode()))
            os.replace(temporary, path)
        self._master = fresh
        master_file = self.folder / "master.key"
        if master_file.exists():  # the file-held master follows the rotation
            temporary = master_file.with_suffix(".new")
            _write_private(temporary, new_master.hex().encode())
            os.replace(temporary, master_file)
        return len(days)

    def days(self) -> list[date]:
        return sorted(date(int(p.stem[:4]), int(p.stem[4:6]), int(p.stem[6:8]))
                      for p in self.folder.glob("*.key") if p.stem.isdigit())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
