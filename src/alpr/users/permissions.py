"""Which role may do what. Imports no other domain, so every domain can depend on it."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    READS_INGEST = "reads:ingest"
    READS_SEARCH = "reads:search"
    READS_VIEW_LOGICALLY_DELETED = "reads:view-logically-deleted"
    # A commander approves a System Administrator's request to see deleted reads (Q7).
    READS_APPROVE_DELETED_ACCESS = "reads:approve-deleted-access"
    READS_CORRECT = "reads:correct"
    ALERTS_RECEIVE = "alerts:receive"
    ALERTS_EXPORT = "alerts:export"
    HOTLIST_ENTER = "hotlist:enter"
    HOTLIST_APPROVE = "hotlist:approve"
    HOTLIST_IMPORT = "hotlist:import"
    HOTLIST_SNAPSHOT = "hotlist:snapshot"
    CAMERAS_MANAGE = "cameras:manage"
    CAMERAS_INSPECT = "cameras:inspect"  # record a unit's start-of-shift inspection
    CAMERAS_HEARTBEAT = "cameras:heartbeat"  # a camera reporting that it is alive
    USERS_MANAGE = "users:manage"
    AUDIT_VIEW = "audit:view"
    AUDITS_APPROVE = "audits:approve"  # approve and publish audit results (REQ L4, L5)
    RETENTION_MANAGE = "retention:manage"
    SHARING_MANAGE = "sharing:manage"
    CONFIG_MANAGE = "config:manage"


class Role(StrEnum):
    SYSTEM_ADMINISTRATOR = "system-administrator"
    ALPR_ADMINISTRATOR = "alpr-administrator"
    DATA_USER = "data-user"
    PATROL = "patrol"
    AUDITOR = "auditor"
    CAMERA = "camera"  # a device sending reads with its API key, never a person
    COMMANDER = "commander"  # command staff: approves access to logically deleted reads


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Only administrators change configuration (REQ C7); only System Administrators see
    # logically deleted reads (REQ Q7, R2).
    Role.SYSTEM_ADMINISTRATOR: frozenset(
        {
            Permission.CAMERAS_MANAGE,
            Permission.CAMERAS_INSPECT,
            Permission.USERS_MANAGE,
            Permission.CONFIG_MANAGE,
            Permission.READS_SEARCH,
            Permission.READS_VIEW_LOGICALLY_DELETED,
            Permission.RETENTION_MANAGE,
            Permission.AUDIT_VIEW,
        }
    ),
    Role.ALPR_ADMINISTRATOR: frozenset(
        {
            Permission.USERS_MANAGE,
            Permission.HOTLIST_ENTER,
            Permission.HOTLIST_APPROVE,
            Permission.HOTLIST_IMPORT,
            Permission.READS_SEARCH,
            Permission.READS_CORRECT,
            Permission.RETENTION_MANAGE,
            Permission.SHARING_MANAGE,
            Permission.ALERTS_RECEIVE,
            Permission.ALERTS_EXPORT,
            Permission.AUDIT_VIEW,
            Permission.AUDITS_APPROVE,  # the ALPR Administrator approves audits (REQ L4)
        }
    ),
    Role.DATA_USER: frozenset(
        {Permission.READS_SEARCH, Permission.HOTLIST_ENTER, Permission.ALERTS_RECEIVE}
    ),
    # Patrol users receive alerts and cannot add, change or delete data (REQ U2).
    # ... but they record the start-of-shift inspection of their unit (REQ C6, 001 .25).
    Role.PATROL: frozenset({Permission.ALERTS_RECEIVE, Permission.CAMERAS_INSPECT}),
    Role.AUDITOR: frozenset({Permission.AUDIT_VIEW, Permission.ALERTS_EXPORT}),
    # The commanding officer who approves a search of logically deleted reads (REQ Q7;
    # 002: the CO documents that the criteria are met), never the one who searches.
    Role.COMMANDER: frozenset({Permission.READS_APPROVE_DELETED_ACCESS}),
    # Patrol units are cameras too: they send reads and take hot-list snapshots (REQ C5).
    Role.CAMERA: frozenset(
        {Permission.READS_INGEST, Permission.HOTLIST_SNAPSHOT, Permission.CAMERAS_HEARTBEAT}
    ),
}


# What any account manager may grant without holding it: receiving alerts and recording a
# unit's shift inspection give no power over data or other accounts (separation of duties).
ORDINARY_USE: frozenset[Permission] = frozenset(
    {Permission.ALERTS_RECEIVE, Permission.CAMERAS_INSPECT}
)


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
