"""Crypto-shredding (REQ X1): after a day's key is destroyed, its images cannot be
decrypted, not even from a copy of the store taken before the purge."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alpr.db.session import Database
from alpr.policy import Duration, load_preset
from alpr.reads.images import ImageError, ImageStore
from alpr.reads.keys import DataKeyError, KeyRing
from alpr.reads.service import IngestItem, ingest
from alpr.retention.purge import purge, remove_unreferenced_images, shred_expired_days
from tests.helpers import CameraFactory, jpeg

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
BASE = load_preset("oakland")
POLICY = BASE.model_copy(update={"retention": BASE.retention.model_copy(
    update={"delete_after": Duration(days=30), "minimum_keep": None})})


def test_images_are_encrypted_and_a_destroyed_day_key_shreds_every_copy(
    database: Database, images: ImageStore, make_camera: CameraFactory, tmp_path: Path
) -> None:
    # REQ X1 REQ R1 — images gone from the store and, by crypto-shredding, from every backup
    make_camera()
    picture = jpeg((200, 30, 30))
    day = (T0 - timedelta(hours=1)).date()
    with database.unit_of_work() as session:
        report = ingest(session, [IngestItem(
            {"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
             "camera_id": "cam-1", "plate_image": "p",
             "captured_at": (T0 - timedelta(hours=1)).isoformat()},
            images={"plate_image": picture})], actor="t", policy=POLICY, images=images, now=T0)
    assert report.accepted == 1
    digest = next(iter(images.root.glob("*/*/*"))).name
    assert images.get(digest, day) == picture
    backup = tmp_path / "backup-before-purge"
    shutil.copytree(images.root, backup)

    later = T0 + timedelta(days=31)
    with database.unit_of_work() as session:
        result = purge(session, policy=POLICY, now=later)
    with database.unit_of_work() as session:
        remove_unreferenced_images(session, images, result.images)
        assert shred_expired_days(session, images, policy=POLICY, now=later) == [day]

    copied = (backup / f"{day:%Y%m%d}" / digest[:2] / digest).read_bytes()
    with pytest.raises(ImageError, match="destroyed"):
        images.open(copied, digest, day)
    # A fresh key ring with the same master key cannot bring the day's key back either.
    assert day not in images.keys.days()
    with pytest.raises(DataKeyError, match="destroyed"):
        images.keys.for_writing(day)


def test_keys_reopen_from_their_folder_and_tampering_is_detected(tmp_path: Path) -> None:
    # REQ X1 — AES-GCM at rest: a changed byte fails the integrity check
    keys = KeyRing(tmp_path / "keys")
    store = ImageStore(tmp_path / "images", keys)
    day = T0.date()
    digest = store.put(jpeg(), day)
    other = KeyRing(tmp_path / "keys")  # the same folder: the same master and day keys
    assert ImageStore(tmp_path / "images", other).get(digest, day) == jpeg()
    tampered = bytearray(store.path_for(digest, day).read_bytes())
    tampered[-1] ^= 1
    with pytest.raises(ImageError, match="integrity"):
        store.open(bytes(tampered), digest, day)


def test_master_key_rotation_keeps_images_readable(tmp_path: Path) -> None:
    # REQ X1 — key rotation
    store = ImageStore(tmp_path / "images", KeyRing(tmp_path / "keys"))
    digest = store.put(jpeg(), T0.date())
    assert store.keys.rotate_master(bytes(range(32))) == 1
    reopened = ImageStore(tmp_path / "images", KeyRing(tmp_path / "keys"))
    assert reopened.get(digest, T0.date()) == jpeg()
