"""Daily partitions of the reads table on PostgreSQL, created when a read first needs one.

Retention drops whole partitions instead of deleting rows one by one. SQLite has no
partitions; there these functions do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

_PARTITION_LOCK_KEY = 0x52_45_41_44  # "READ": serializes partition creation across workers


# Reads whose day partition is gone (kept past the purge by a hold) live here.
DEFAULT_PARTITION = "reads_default"


def partition_name(day: date) -> str:
    return f"reads_p{day:%Y%m%d}"


def partition_day(name: str) -> date | None:
    """The UTC day a partition holds, or None for the default partition."""
    if not (name.startswith("reads_p") and len(name) == 15 and name[7:].isdigit()):
        return None
    return date(int(name[7:11]), int(name[11:13]), int(name[13:15]))


def is_partitioned(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def existing_partitions(session: Session) -> list[str]:
    if not is_partitioned(session):
        return []
    rows = session.scalars(
        text(
            "SELECT child.relname FROM pg_inherits"
            " JOIN pg_class parent ON parent.oid = pg_inherits.inhparent"
            " JOIN pg_class child ON child.oid = pg_inherits.inhrelid"
            " JOIN pg_namespace ns ON ns.oid = parent.relnamespace"
            " WHERE parent.relname = 'reads' AND ns.nspname = current_schema()"
            " ORDER BY child.relname"
        )
    )
    return list(rows)


def ensure_partitions(session: Session, days: Iterable[date]) -> list[str]:
    """Create the missing daily partitions for these UTC days; return the names created."""
    if not is_partitioned(session):
        return []
    wanted = {partition_name(day): day for day in days}
    if not wanted:
        return []
    present = set(
        session.scalars(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace"
                " WHERE ns.nspname = current_schema() AND c.relname = ANY(:names)"
            ),
            {"names": list(wanted)},
        )
    )
    missing = sorted(name for name in wanted if name not in present)
    if not missing:
        return []
    # Keyed by schema too: advisory locks are database-wide, and schemas sharing a database
    # (parallel test runs, several deployments) must not wait on each other's partitions.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"),
                    {"key": _PARTITION_LOCK_KEY})
    for name in missing:
        day = wanted[name]
        # Names and bounds come from a date, never from user text.
        session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF reads FOR VALUES"
                f" FROM ('{day.isoformat()} 00:00:00+00')"
                f" TO ('{(day + timedelta(days=1)).isoformat()} 00:00:00+00')"
            )
        )
    return missing
