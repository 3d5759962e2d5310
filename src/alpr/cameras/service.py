"""Register, list and disable cameras; authenticate a camera by its API key."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.db.base import utcnow

API_KEY_PREFIX = "alpr_cam_"


class CameraError(ValueError):
    """A camera request that cannot be honoured; the message says why."""


class NotAdministratorError(CameraError):
    """The actor may not change this camera."""


def administrators_of(camera: Camera) -> list[str]:
    return list(json.loads(camera.administrators)) if camera.administrators else []


def check_administrator(camera: Camera, actor: str) -> None:
    """Refuse an actor not among the camera's named administrators (when it names any);
    the System Administrator role (cameras:manage) is checked by the route or command."""
    names = administrators_of(camera)
    username = actor.removeprefix("user:")
    if names and username not in names:
        raise NotAdministratorError(
            f"{actor} is not an administrator of camera {camera.id!r} ({', '.join(names)})"
        )


def hash_api_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def register_camera(
    session: Session, *, camera: CameraIn, actor: str, now: datetime | None = None
) -> tuple[Camera, str]:
    """Store a camera and return it with its API key (the key is not stored, only its hash)."""
    if session.get(Camera, camera.id) is not None:
        raise CameraError(f"camera {camera.id!r} already exists")
    if camera.kind is CameraKind.FIXED and (camera.lat is None or camera.lon is None):
        raise CameraError("a fixed camera needs its location (lat and lon)")
    if (camera.lat is None) != (camera.lon is None):
        raise CameraError("give both lat and lon, or neither")
    if camera.vehicle and camera.kind is not CameraKind.MOBILE:
        raise CameraError("only a mobile unit has an assigned vehicle")
    now = now or utcnow()
    key = new_api_key()
    fields = camera.model_dump(mode="json")
    admins = sorted(set(fields.pop("administrators")))
    row = Camera(
        **fields,
        administrators=json.dumps(admins) if admins else None,
        active=True,
        api_key_hash=hash_api_key(key),
        created_at=now,
    )
    session.add(row)
    session.flush()
    from alpr.cameras.keys import record_issued  # keys builds on this module

    record_issued(session, camera=row, key=key, actor=actor, now=now)
    record(
        session,
        event=AuditEvent.CAMERA_REGISTER,
        actor=actor,
        organization=camera.agency,
        details=camera.model_dump(mode="json"),
        now=now,
    )
    return row, key


def list_cameras(session: Session, *, include_inactive: bool = True) -> list[Camera]:
    query = select(Camera).order_by(Camera.id)
    if not include_inactive:
        query = query.where(Camera.active.is_(True))
    return list(session.scalars(query))


def get_camera(session: Session, camera_id: str) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise CameraError(f"no camera {camera_id!r}")
    return camera


def disable_camera(
    session: Session, *, camera_id: str, actor: str, reason: str, now: datetime | None = None
) -> Camera:
    """Stop a camera: its key no longer authenticates and its reads are refused. Only its
    named administrators (when it names any) may; audited with before/after (REQ C7)."""
    camera = get_camera(session, camera_id)
    check_administrator(camera, actor)
    if not camera.active:
        raise CameraError(f"camera {camera_id!r} is already disabled")
    now = now or utcnow()
    camera.active = False
    camera.disabled_at = now
    record(
        session,
        event=AuditEvent.CAMERA_DISABLE,
        actor=actor,
        organization=camera.agency,
        details={"camera_id": camera_id, "reason": reason, "before": {"active": True},
                 "after": {"active": False, "disabled_at": now.isoformat()}},
        now=now,
    )
    return camera


def camera_for_key(session: Session, key: str) -> Camera | None:
    """The active camera this API key belongs to (its current key, or a rotated one still
    in its grace period), or None."""
    from alpr.cameras.keys import authenticate_key

    return authenticate_key(session, key)
