"""Imports every domain's tables so Base.metadata knows them all (migrations, tests)."""

from alpr.audit.models import AuditCheckpoint, AuditEntry
from alpr.cameras.models import (
    Camera,
    CameraKey,
    CameraLink,
    GpsPoint,
    Heartbeat,
    HeldHit,
    Inspection,
    MaskedReadCount,
    PrivacyMask,
    TicketNotice,
    TroubleTicket,
)
from alpr.capture.models import CaptureId
from alpr.hotlists.models import (
    Alert,
    AlertResponse,
    CancellationNotice,
    ErrorFlag,
    HotList,
    HotListEntry,
    HotListRevision,
    Webhook,
    WebhookDelivery,
)
from alpr.integrations.models import IntegrationCursor
from alpr.jobs.models import JobState
from alpr.reads.models import Read, ReadCorrection, ReadId
from alpr.reports.models import (
    AnnualReport,
    Audit,
    AuditFinding,
    AuditSample,
    PublishedChainHead,
    YearlyCount,
)
from alpr.reports.tally import count_reads  # registers the yearly counting listener
from alpr.retention.models import Download, Hold, HoldRead
from alpr.search.models import DeletedReadApproval
from alpr.sharing.models import (
    Agency,
    Agreement,
    Incident,
    IncidentTask,
    PublicRecordsRequest,
    Share,
    ShareRequest,
)
from alpr.users.models import (
    ApiSession,
    Device,
    LoginFailure,
    Notification,
    TrainingRecord,
    User,
)

__all__ = [
    "Agency",
    "Agreement",
    "Alert",
    "AlertResponse",
    "AnnualReport",
    "ApiSession",
    "Audit",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditFinding",
    "AuditSample",
    "Camera",
    "CameraKey",
    "CameraLink",
    "CancellationNotice",
    "CaptureId",
    "DeletedReadApproval",
    "Device",
    "Download",
    "ErrorFlag",
    "GpsPoint",
    "Heartbeat",
    "HeldHit",
    "Hold",
    "HoldRead",
    "HotList",
    "HotListEntry",
    "HotListRevision",
    "Incident",
    "IncidentTask",
    "Inspection",
    "IntegrationCursor",
    "JobState",
    "LoginFailure",
    "MaskedReadCount",
    "Notification",
    "PrivacyMask",
    "PublicRecordsRequest",
    "PublishedChainHead",
    "Read",
    "ReadCorrection",
    "ReadId",
    "Share",
    "ShareRequest",
    "TicketNotice",
    "TrainingRecord",
    "TroubleTicket",
    "User",
    "Webhook",
    "WebhookDelivery",
    "YearlyCount",
    "count_reads",
]
