"""Bulk writes of accepted reads: COPY on PostgreSQL, one executemany on SQLite.

Ingest is the hot path (a city's cameras send thousands of reads a minute), so rows go
in without building ORM objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from alpr.reads.models import READ_COLUMNS, Read, ReadId
from alpr.reads.partitions import ensure_partitions


def insert_reads(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows not stored yet; return the ids actually inserted (the rest are repeats).

    A read is a repeat when its id is stored, whatever its other fields say (another
    capture time included): the id is claimed in `read_ids` first, and only the rows whose
    claim is new go into `reads`. On PostgreSQL a concurrent transaction claiming the same
    id waits for this one, then finds it taken, so an id is stored once under any
    concurrency; SQLite holds the write lock from BEGIN IMMEDIATE.
    """
    if not rows:
        return set()
    claimed = claim_ids(session, rows)
    fresh = [row for row in rows if row["id"] in claimed]
    if not fresh:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        ensure_partitions(session, {row["captured_at"].date() for row in fresh})
        # COPY is the fastest way in, and every row is new: its id was just claimed. A row
        # stored around `read_ids` (an old tool, a restore) makes COPY fail on the primary
        # key; then an insert that skips stored rows keeps the batch going.
        try:
            with session.begin_nested():
                _copy(session, fresh)
        except pg_errors.UniqueViolation:
            return set(session.scalars(
                pg_insert(Read).on_conflict_do_nothing().returning(Read.id), fresh))
        return claimed
    return set(session.scalars(
        sqlite_insert(Read).on_conflict_do_nothing().returning(Read.id), fresh))


def claim_ids(session: Session, rows: Sequence[Mapping[str, Any]]) -> set[uuid.UUID]:
    """Record each row's id in `read_ids`; return the ids that were not there before."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ReadId).on_conflict_do_nothing(index_elements=["id"]).returning(ReadId.id)
    claims = [{"id": row["id"], "captured_at": row["captured_at"]} for row in rows]
    return set(session.scalars(statement, claims))


def stored_capture_time(session: Session, read_id: uuid.UUID) -> datetime | None:
    """When the stored read with this id was captured (the key to its row in `reads`)."""
    return session.scalar(select(ReadId.captured_at).where(ReadId.id == read_id))


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    columns = ", ".join(READ_COLUMNS)
    with connection.cursor() as cursor, cursor.copy(f"COPY reads ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(name) for name in READ_COLUMNS])  # absent: NULL



