"""The typed vocabulary of audit events. Add a member here before writing a new event."""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    CAMERA_REGISTER = "camera:register"
    CAMERA_DISABLE = "camera:disable"
    CAMERA_KEY_ROTATE = "camera:key:rotate"
    READ_INGEST_REJECTED = "read:ingest:rejected"
    READ_IMPORT = "read:import"
    API_AUTH_DENIED = "api:auth:denied"
    AUDIT_VERIFY = "audit:verify"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"
