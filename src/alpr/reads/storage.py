"""Bulk writes of accepted reads: COPY on PostgreSQL, one executemany on SQLite.

Ingest is the hot path (a city's cameras send thousands of reads a minute), so rows go
in without building ORM objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from alpr.reads.models import READ_COLUMNS, Read
from alpr.reads.partitions import ensure_partitions

ReadKey = tuple[uuid.UUID, datetime]


def insert_reads(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows not stored yet; return the ids actually inserted (the rest are repeats)."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _insert_postgresql(session, rows)
    # SQLite transactions hold the write lock from BEGIN IMMEDIATE, so nobody can store one
    # of these reads between this check and the insert.
    stored = _already_stored(session, [(row["id"], row["captured_at"]) for row in rows])
    fresh = [row for row in rows if (row["id"], row["captured_at"]) not in stored]
    if fresh:
        session.execute(sqlite_insert(Read).on_conflict_do_nothing(), fresh)
    return {row["id"] for row in fresh}


def _already_stored(session: Session, keys: Sequence[ReadKey]) -> set[ReadKey]:
    times = [captured_at for _, captured_at in keys]
    query = select(Read.id, Read.captured_at).where(
        and_(
            Read.id.in_([read_id for read_id, _ in keys]),
            Read.captured_at >= min(times),
            Read.captured_at <= max(times),
        )
    )
    return {(row.id, row.captured_at) for row in session.execute(query)}


def _insert_postgresql(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    ensure_partitions(session, {row["captured_at"].date() for row in rows})
    # Optimistic: new reads are the rule and COPY is the fastest way in. A retried batch (or
    # another worker storing the same reads) makes COPY fail on the primary key; then an
    # insert that skips stored rows tells us which ones went in.
    try:
        with session.begin_nested():
            _copy(session, rows)
        return {row["id"] for row in rows}
    except pg_errors.UniqueViolation:
        statement = pg_insert(Read).on_conflict_do_nothing().returning(Read.id)
        return set(session.scalars(statement, rows))


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    columns = ", ".join(READ_COLUMNS)
    with connection.cursor() as cursor, cursor.copy(f"COPY reads ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(name) for name in READ_COLUMNS])  # absent: NULL



