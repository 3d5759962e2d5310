"""Imports every domain's tables so Base.metadata knows them all (migrations, tests)."""

from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.reads.models import Read

__all__ = ["AuditEntry", "Camera", "Read"]
