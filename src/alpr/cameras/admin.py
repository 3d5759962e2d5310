"""Who may change a camera (REQ C7), and the registry's changeable settings.

Routes and CLI commands first require the cameras:manage permission (System
Administrators only); a camera may further name its own administrators, and then only
they may change it. Every change is audited with its before and after.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.service import (
    CameraError,
    NotAdministratorError,
    administrators_of,
    check_administrator,
    get_camera,
)
from alpr.db.base import utcnow

__all__ = ["CHANGEABLE", "NotAdministratorError", "administrators_of", "check_administrator",
           "update_camera"]

CHANGEABLE = ("name", "heading", "field_of_view", "vehicle", "administrators", "silent_after_s")


def _value(camera: Camera, field: str) -> Any:
    if field == "administrators":
        return administrators_of(camera) or None
    return getattr(camera, field)


def update_camera(
    session: Session,
    *,
    camera_id: str,
    changes: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Camera:
    """Change registry settings (only the CHANGEABLE ones), audited with before/after."""
    camera = get_camera(session, camera_id)
    check_administrator(camera, actor)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise CameraError(f"cannot change {', '.join(sorted(unknown))}")
    if changes.get("vehicle") and camera.kind != CameraKind.MOBILE:
        raise CameraError("only a mobile unit has an assigned vehicle")
    before = {field: _value(camera, field) for field in changes}
    for field, value in changes.items():
        if field == "administrators":
            value = json.dumps(sorted(set(value))) if value else None
        setattr(camera, field, value)
    session.flush()
    after = {field: _value(camera, field) for field in changes}
    now = now or utcnow()
    record(
        session, event=AuditEvent.CAMERA_UPDATE, actor=actor, organization=camera.agency,
        now=now, details={"camera_id": camera_id, "before": before, "after": after},
    )
    return camera
