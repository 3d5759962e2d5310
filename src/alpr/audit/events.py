"""The typed vocabulary of audit events. Add a member here before writing a new event."""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    CAMERA_REGISTER = "camera:register"
    CAMERA_DISABLE = "camera:disable"
    CAMERA_KEY_ROTATE = "camera:key:rotate"
    CAMERA_KEY_REVOKE = "camera:key:revoke"
    CAMERA_KEY_LIST = "camera:key:list"
    CAMERA_LINK = "camera:link"  # a foreign source's camera mapped to an alpr camera
    CAMERA_UPDATE = "camera:update"
    CAMERA_MASK_CHANGE = "camera:mask:change"
    CAMERA_SILENT = "camera:silent"
    CAMERA_TICKET_OPEN = "camera:ticket:open"
    CAMERA_TICKET_CLOSE = "camera:ticket:close"
    CAMERA_INSPECTION = "camera:inspection"
    CAMERA_GPS_IMPORT = "camera:gps:import"
    CAMERA_ALERT_HELD = "camera:alert:held"  # a hit of a unit not inspected this shift
    CAMERA_ALERTS_RELEASED = "camera:alerts:released"
    CAMERA_NOTICE_FAILED = "camera:notice:failed"  # a ticket notification given up
    READ_INGEST = "read:ingest"  # one per accepted batch: count, cameras, id range
    READ_INGEST_REJECTED = "read:ingest:rejected"
    READ_IMPORT = "read:import"
    READ_CAPTURE = "read:capture"
    READ_CORRECT = "read:correct"
    API_AUTH_DENIED = "api:auth:denied"
    AUDIT_VERIFY = "audit:verify"
    AUDIT_HEAD_PUBLISH = "audit:head:publish"
    # Written in one place for every route and command (audit.middleware, audit.refusals):
    DATA_ACCESS = "data:access"  # a route that returned data without an entry of its own
    REQUEST_REFUSED = "request:refused"  # an HTTP request answered 4xx
    COMMAND_REFUSED = "command:refused"  # a CLI command that refused to act
    AUDIT_RETENTION = "audit:retention"
    HOTLIST_CREATE = "hotlist:create"
    HOTLIST_IMPORT = "hotlist:import"
    HOTLIST_IMPORT_REFUSED = "hotlist:import:refused"
    HOTLIST_ENTRY_ADD = "hotlist:entry:add"
    HOTLIST_ENTRY_APPROVE = "hotlist:entry:approve"
    HOTLIST_ENTRY_REJECT = "hotlist:entry:reject"
    HOTLIST_ENTRY_FLAG = "hotlist:entry:flag"
    HOTLIST_PURGE = "hotlist:purge"
    HOTLIST_SNAPSHOT = "hotlist:snapshot"
    ALERT_RAISE = "alert:raise"
    ALERT_LIST = "alert:list"
    ALERT_STREAM = "alert:stream"
    ALERT_VERIFY = "alert:verify"
    ALERT_RESPOND = "alert:respond"
    ALERT_EXPORT = "alert:export"
    WEBHOOK_ADD = "webhook:add"
    WEBHOOK_DELIVERY_FAILED = "webhook:delivery:failed"
    JOB_RUN = "job:run"
    ACCOUNT_CREATE = "account:create"
    ACCOUNT_APPROVE = "account:approve"
    ACCOUNT_STATUS = "account:status"
    ACCOUNT_CLASSIFICATION = "account:classification"
    ACCOUNT_REVIEW = "account:review"
    ACCOUNT_TRAINING = "account:training"
    ACCOUNT_PASSWORD = "account:password"  # noqa: S105 (an event name)
    ACCOUNT_MFA_ENROLL = "account:mfa:enroll"
    ACCOUNT_UNLOCK = "account:unlock"
    ACCOUNT_LOGIN = "account:login"
    ACCOUNT_LOGIN_FAILED = "account:login:failed"
    ACCOUNT_LOGIN_DENIED = "account:login:denied"
    ACCOUNT_LOCKED = "account:locked"
    ACCOUNT_LOGOUT = "account:logout"
    ACCOUNT_REPORT_FAILED = "account:report:failed"  # a Professional Standards report stalls
    ACCOUNT_DUTY_REFUSED = "account:duty:refused"  # separation of duties (issue 18.2)
    ACCOUNT_AGENCY = "account:agency"  # moved to another agency of the registry
    DEVICE_REGISTER = "device:register"
    DEVICE_REVOKE = "device:revoke"  # a lost or retired device: its sessions end
    SEARCH_QUERY = "search:query"
    SEARCH_REFUSED = "search:refused"
    SEARCH_DELETED_APPROVAL = "search:deleted:approval"
    READ_VIEW = "read:view"
    READ_IMAGE = "read:image"
    AUDIT_QUERY = "audit:query"
    HOLD_REQUEST = "hold:request"
    HOLD_APPROVE = "hold:approve"
    HOLD_REVIEW = "hold:review"
    HOLD_RELEASE = "hold:release"
    RETENTION_PURGE = "retention:purge"
    RETENTION_SHRED = "retention:shred"
    EVIDENCE_EXPORT = "evidence:export"
    DOWNLOAD_DESTROYED = "download:destroyed"
    RETENTION_LOGICAL_DELETE = "retention:logical-delete"
    AGENCY_REGISTER = "agency:register"
    AGREEMENT_RECORD = "agreement:record"
    SHARE_REQUEST = "share:request"
    SHARE_REFUSED = "share:refused"
    SHARE_DECISION = "share:decision"
    SHARE_EXPORT = "share:export"
    SHARE_TRANSFER = "share:transfer"
    SHARE_REPORT = "share:report"
    PUBLIC_RECORDS_REQUEST = "public-records:request"
    PUBLIC_RECORDS_EXPORT = "public-records:export"
    INCIDENT_RECORD = "incident:record"
    INCIDENT_NOTIFY = "incident:notify"
    AUDITS_RUN = "audits:run"
    AUDITS_VIEW = "audits:view"
    AUDITS_REVIEW = "audits:review"
    AUDITS_APPROVE = "audits:approve"
    AUDITS_PUBLISH = "audits:publish"
    AUDITS_RETENTION = "audits:retention"
    REPORT_ANNUAL = "report:annual"
    # Integrations (issue 20): a frame recognized for a Plate Recognizer client; alerts
    # and camera health published on MQTT.
    INTEGRATION_RECOGNIZE = "integration:recognize"
    INTEGRATION_MQTT_PUBLISH = "integration:mqtt:publish"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


# Why the system acts when no user states a purpose (§1798.90.52 asks every access record
# for one): the function an event belongs to. A search, a read view or an export carries
# the purpose its user gave instead.
_PURPOSES = (
    (("audit", "audits", "report"), "audit and oversight (Civil Code 1798.90.53)"),
    (("account", "device", "api"), "account administration and access security"),
    (("camera",), "camera administration"),
    (("hotlist", "alert", "webhook"), "hot-list administration and alerts"),
    (("read",), "collection and correction of reads"),
    (("retention", "hold", "evidence", "download"), "retention and evidence management"),
    (("share", "agency", "agreement", "public-records", "incident"),
     "sharing and disclosure management"),
    (("search",), "investigative search"),
    (("job",), "scheduled operation"),
)


def default_purpose(event: str) -> str:
    domain = event.split(":", 1)[0]
    return next((purpose for domains, purpose in _PURPOSES if domain in domains),
                "system operation")
