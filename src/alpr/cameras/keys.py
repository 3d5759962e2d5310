"""Camera API keys (REQ C7): rotate with a grace period, revoke, list with last use.

The current key's hash stays in `cameras.api_key_hash`; every issued key also has a
`camera_keys` row, which holds its grace period (`valid_until`), revocation and last use.
A rotated key authenticates until its grace period ends and never after; a revoked key
never again, grace or not. Every change is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraKey
from alpr.cameras.service import (
    API_KEY_PREFIX,
    CameraError,
    check_administrator,
    get_camera,
    hash_api_key,
    new_api_key,
)
from alpr.db.base import utcnow

# The longest grace period a rotation may give the old key: a rotation is meant to end it.
MAX_GRACE = timedelta(days=30)
# Last use is written at most this often per key: authentication is on the hot ingest path.
LAST_USE_RESOLUTION = timedelta(seconds=60)
# What `cameras.api_key_hash` holds after a revocation: never the hash of a key (hex only).
REVOKED = "revoked:"


@dataclass(frozen=True)
class KeyState:
    id: int
    camera_id: str
    state: str  # current, grace, expired, revoked
    issued_at: datetime
    issued_by: str
    valid_until: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def record_issued(session: Session, *, camera: Camera, key: str, actor: str,
                  now: datetime) -> CameraKey:
    row = CameraKey(camera_id=camera.id, key_hash=hash_api_key(key), issued_at=now,
                    issued_by=actor)
    session.add(row)
    return row


def _locked(session: Session, camera_id: str) -> Camera:
    """The camera, locked until the transaction ends: two rotations at once take turns
    (on PostgreSQL), so each issued key is either current or in its grace period."""
    camera = session.get(Camera, camera_id, with_for_update=True, populate_existing=True)
    if camera is None:
        raise CameraError(f"no camera {camera_id!r}")
    return camera


def _current_row(session: Session, camera: Camera) -> CameraKey | None:
    return session.scalar(select(CameraKey).where(CameraKey.key_hash == camera.api_key_hash))


@dataclass(frozen=True)
class Rotated:
    camera: Camera
    key: str  # the new key, shown once
    old_valid_until: datetime | None  # None: the old key was already revoked


def rotate_key(session: Session, *, camera_id: str, actor: str, grace: timedelta,
               now: datetime | None = None) -> Rotated:
    """Issue a new key; the old one keeps working for `grace`, then is refused."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise CameraError(f"grace period must be between 0 and {MAX_GRACE.days} days")
    now = now or utcnow()
    camera = _locked(session, camera_id)
    check_administrator(camera, actor)
    if not camera.active:
        raise CameraError(f"camera {camera_id!r} is disabled")
    old = None
    if not camera.api_key_hash.startswith(REVOKED):  # a revoked key gets no grace
        old = _current_row(session, camera)
        if old is None:  # a camera registered before key records
            old = CameraKey(camera_id=camera.id, key_hash=camera.api_key_hash,
                            issued_at=camera.created_at, issued_by="unknown")
            session.add(old)
        if old.revoked_at is None:
            old.valid_until = now + grace
    key = new_api_key()
    camera.api_key_hash = hash_api_key(key)
    record_issued(session, camera=camera, key=key, actor=actor, now=now)
    session.flush()
    record(session, event=AuditEvent.CAMERA_KEY_ROTATE, actor=actor, organization=camera.agency,
           now=now, details={"camera_id": camera.id, "old_key": old.id if old else None,
                             "old_valid_until": old.valid_until.isoformat()
                             if old and old.valid_until else None,
                             "grace_seconds": int(grace.total_seconds())})
    return Rotated(camera, key, old.valid_until if old else None)


def revoke_keys(session: Session, *, camera_id: str, actor: str, reason: str,
                previous_only: bool = False, now: datetime | None = None) -> list[int]:
    """Refuse the camera's keys from now on: the rotated ones still in grace and, unless
    `previous_only`, the current one too (the camera then needs a rotation for a new key)."""
    if len(reason.strip()) < 3:
        raise CameraError("say why the key is revoked")
    now = now or utcnow()
    camera = _locked(session, camera_id)
    check_administrator(camera, actor)
    current = camera.api_key_hash
    revoked: list[int] = []
    for row in session.scalars(select(CameraKey).where(CameraKey.camera_id == camera.id,
                                                       CameraKey.revoked_at.is_(None))):
        if previous_only and row.key_hash == current:
            continue
        row.revoked_at = now
        revoked.append(row.id)
    if not previous_only and not current.startswith(REVOKED):
        if _current_row(session, camera) is None:  # keep a record of what was revoked
            session.add(CameraKey(camera_id=camera.id, key_hash=current,
                                  issued_at=camera.created_at, issued_by="unknown",
                                  revoked_at=now))
        # Not a hash of any key: nothing authenticates as this camera until the next rotation.
        camera.api_key_hash = REVOKED + secrets.token_hex(28)
    session.flush()
    record(session, event=AuditEvent.CAMERA_KEY_REVOKE, actor=actor, organization=camera.agency,
           now=now, details={"camera_id": camera.id, "keys": revoked, "reason": reason.strip(),
                             "current_revoked": not previous_only})
    return revoked


def list_keys(session: Session, *, actor: str, camera_id: str | None = None,
              now: datetime | None = None) -> list[KeyState]:
    """Every key issued (current, in grace, expired, revoked) with its last use; audited."""
    now = now or utcnow()
    query = select(CameraKey, Camera.api_key_hash).join(Camera, Camera.id == CameraKey.camera_id)
    if camera_id is not None:
        get_camera(session, camera_id)
        query = query.where(CameraKey.camera_id == camera_id)
    states = []
    for row, current in session.execute(query.order_by(CameraKey.camera_id, CameraKey.id)):
        states.append(KeyState(
            id=row.id, camera_id=row.camera_id, state=_state(row, current, now),
            issued_at=row.issued_at, issued_by=row.issued_by, valid_until=row.valid_until,
            revoked_at=row.revoked_at, last_used_at=row.last_used_at))
    record(session, event=AuditEvent.CAMERA_KEY_LIST, actor=actor, now=now,
           details={"camera_id": camera_id, "keys": len(states)})
    return states


def _state(row: CameraKey, current_hash: str, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.key_hash == current_hash:
        return "current"
    if row.valid_until is not None and now < row.valid_until:
        return "grace"
    return "expired"


def authenticate_key(session: Session, key: str, now: datetime | None = None) -> Camera | None:
    """The active camera this key belongs to, or None: its current key, or a rotated one
    still within its grace period. Notes the key's last use."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    now = now or utcnow()
    digest = hash_api_key(key)
    row = session.scalar(select(CameraKey).where(CameraKey.key_hash == digest))
    camera = session.scalar(select(Camera).where(Camera.api_key_hash == digest))
    if camera is None:  # not the current key: a rotated one, within its grace period?
        if row is None or row.revoked_at is not None or row.valid_until is None:
            return None
        if now >= row.valid_until:
            return None
        camera = session.get(Camera, row.camera_id)
    elif row is not None and row.revoked_at is not None:
        return None
    if camera is None or not camera.active:
        return None
    if row is not None and (row.last_used_at is None
                            or now - row.last_used_at >= LAST_USE_RESOLUTION):
        row.last_used_at = now
    return camera
