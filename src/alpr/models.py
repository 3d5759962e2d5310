"""Imports every domain's tables so Base.metadata knows them all (migrations, tests)."""

from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.hotlists.models import Alert, HotList, HotListEntry, HotListRevision
from alpr.reads.models import Read

__all__ = ["Alert", "AuditEntry", "Camera", "HotList", "HotListEntry", "HotListRevision", "Read"]
