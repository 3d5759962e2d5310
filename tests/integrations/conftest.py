"""Shared pieces of the integration tests: a running app, a camera, a hot list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Policy
from alpr.reads.models import Read

HOT_PLATE = "7ABC123"


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def hot_list(database: Database, policy: Policy) -> str:
    """A stolen-vehicle list holding HOT_PLATE."""
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy)
        import_entries(session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
                       parsed=parse_clew(f"DATE\n{HOT_PLATE:<8}CA0120260101\nTOTAL RECORD"
                                         " 0000001\n", table="svs"))
    return HOT_PLATE


StoredReads = Callable[..., list[Read]]


@pytest.fixture
def stored(database: Database) -> StoredReads:
    def reads(**where: Any) -> list[Read]:
        with database.unit_of_work() as session:
            query = select(Read).filter_by(**where).order_by(Read.captured_at)
            return list(session.scalars(query))
    return reads


@pytest.fixture
def alerts(database: Database) -> Callable[[], list[Alert]]:
    def found() -> list[Alert]:
        with database.unit_of_work() as session:
            return list(session.scalars(select(Alert)))
    return found
