"""Migration 0014: existing accounts are linked to registry agencies; the legal floor still
screens them at access (issue 16.2). Run on SQLite and on PostgreSQL (own schema)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine
from alpr.users.lifecycle import agency_problem
from alpr.users.models import User
from tests.conftest import drop_postgresql_schema, postgresql_schema_engine

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0013(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store migrated only to 0013, the revision before accounts had registry agencies."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(engine, "0013")
        yield engine
        engine.dispose()
        return
    schema = f"alpr_mig14_{os.getpid()}"
    engine = postgresql_schema_engine(schema)  # migrated to head: go back to 0013
    from alembic import command

    from alpr.db.migrate import alembic_config

    command.downgrade(alembic_config(engine), "0013")
    yield engine
    engine.dispose()
    drop_postgresql_schema(schema)


def test_existing_accounts_are_linked_and_screened(at_0013: Engine) -> None:
    # REQ S1 REQ U1 — existing free-text agencies become registry agencies; one that is a
    # federal body cannot sign in however it came in
    with at_0013.begin() as connection:
        for name, agency in (("ana", "Oakland Police Department"), ("bob", "Oakland Police"
                             " Department"), ("eve", "U.S. Immigration and Customs Enforcement")):
            connection.execute(text(
                "INSERT INTO users (username, full_name, agency, classification, roles, status,"
                " created_at, created_by, failed_logins) VALUES (:u, :u, :a, 'Sworn personnel',"
                " '[\"data-user\"]', 'active', :t, 'console', '[]')"),
                {"u": name, "a": agency, "t": T0})
    upgrade(at_0013)
    database = Database(at_0013)
    with database.unit_of_work() as session:
        users = {u.username: u for u in session.query(User)}
        assert users["ana"].agency_id is not None
        assert users["ana"].agency_id == users["bob"].agency_id  # one registry row per name
        assert agency_problem(session, users["ana"]) is None
        problem = agency_problem(session, users["eve"])
        assert problem is not None and "federal body" in problem
