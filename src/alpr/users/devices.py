"""Agency-issued devices (REQ U12; 429.9 "agency-issued computers, mobile phones, or smart
devices"): an administrator registers one and installs its token on it once; revoking it
ends every session opened from it. Sign-in requires one when the policy's
`security.require_registered_devices` is set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.users.models import ApiSession, Device
from alpr.users.security import DEVICE_PREFIX, new_token, token_hash

MAX_NAME = 200


class DeviceError(ValueError):
    """A device request that cannot be honoured; the message says why."""


def register_device(session: Session, *, name: str, actor: str, now: datetime
                    ) -> tuple[Device, str]:
    """Register a device; its token is shown once and installed on it."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise DeviceError(f"name: a device name of 1–{MAX_NAME} printable characters"
                          " (e.g. 'MDC unit 12', 'Records workstation 3')")
    token = new_token(DEVICE_PREFIX)
    device = Device(name=name, token_hash=token_hash(token), registered_by=actor,
                    registered_at=now)
    session.add(device)
    session.flush()
    record(session, event=AuditEvent.DEVICE_REGISTER, actor=actor, now=now,
           details={"device_id": device.id, "name": name})
    return device, token


def revoke_device(session: Session, *, device_id: int, reason: str, actor: str,
                  now: datetime) -> Device:
    """A lost, retired or compromised device: its token stops working and every session
    opened from it ends now."""
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceError(f"device_id: no device {device_id}")
    if device.revoked_at is not None:
        raise DeviceError(f"device_id: device {device_id} was revoked on"
                          f" {device.revoked_at:%Y-%m-%d}")
    device.revoked_at = now
    ended = 0
    for api_session in session.scalars(select(ApiSession).where(
            ApiSession.device_id == device.id, ApiSession.ended_at.is_(None))):
        api_session.ended_at, ended = now, ended + 1
    record(session, event=AuditEvent.DEVICE_REVOKE, actor=actor, now=now,
           details={"device_id": device.id, "name": device.name, "reason": reason,
                    "sessions_ended": ended})
    return device


def all_devices(session: Session) -> list[Device]:
    return list(session.scalars(select(Device).order_by(Device.id)))


def find_device(session: Session, device_token: str | None) -> Device | None:
    """The registered, unrevoked device that holds this token, if any."""
    if not device_token:
        return None
    return session.scalar(select(Device).where(Device.token_hash == token_hash(device_token),
                                               Device.revoked_at.is_(None)))
