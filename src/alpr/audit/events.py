"""The typed vocabulary of audit events. Add a member here before writing a new event."""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    CAMERA_REGISTER = "camera:register"
    CAMERA_DISABLE = "camera:disable"
    CAMERA_KEY_ROTATE = "camera:key:rotate"
    READ_INGEST_REJECTED = "read:ingest:rejected"
    READ_IMPORT = "read:import"
    READ_CAPTURE = "read:capture"
    READ_CORRECT = "read:correct"
    API_AUTH_DENIED = "api:auth:denied"
    AUDIT_VERIFY = "audit:verify"
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
    DEVICE_REGISTER = "device:register"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"
