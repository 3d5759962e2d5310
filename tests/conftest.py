"""Every database test runs twice: on SQLite and on the real PostgreSQL.

The schema is built once per run with the real migrations; each test then runs inside a
transaction that is rolled back, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import get_settings, normalize_database_url
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database
from alpr.policy import Policy, default_policy
from alpr.reads.images import ImageStore, image_store
from tests.helpers import CameraFactory

BACKENDS = ("sqlite", "postgresql")
_engines: dict[str, Engine] = {}


def postgresql_url() -> str:
    return normalize_database_url(
        os.environ.get("ALPR_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
    )


def _create_postgresql_database(url: str) -> None:
    target = make_url(url)
    admin = create_db_engine(target.set(database="postgres").render_as_string(False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def postgresql_schema_engine(schema: str) -> Engine:
    """An engine whose tables live in a schema of their own, migrated to the newest revision,
    so parallel runs (and tests that must really commit) never collide."""
    url = postgresql_url()
    try:
        _create_postgresql_database(url)
        admin = create_db_engine(url)
        with admin.begin() as connection:
            # Extensions are per database: keep pg_trgm in public, visible to every schema.
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
    except OperationalError as error:
        # Never a skip: the PostgreSQL half of the suite is half of what we promise.
        pytest.fail(f"PostgreSQL is not reachable at {url}: {error}", pytrace=False)
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema},public"})
    engine = create_db_engine(scoped.render_as_string(hide_password=False))
    upgrade(engine)
    return engine


def drop_postgresql_schema(schema: str) -> None:
    admin = create_db_engine(postgresql_url())
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _run_schema() -> str:
    return f"alpr_test_{os.getpid()}"


def _postgresql_engine() -> Engine:
    return postgresql_schema_engine(_run_schema())


def _drop_postgresql_schema() -> None:
    if "postgresql" in _engines:
        _engines.pop("postgresql").dispose()
        drop_postgresql_schema(_run_schema())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _drop_postgresql_schema()


def _engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    if backend not in _engines:
        if backend == "postgresql":
            _engines[backend] = _postgresql_engine()
        else:
            path = tmp_path_factory.mktemp("sqlite") / "alpr.db"
            engine = create_db_engine(f"sqlite:///{path}")
            upgrade(engine)
            _engines[backend] = engine
    return _engines[backend]


@pytest.fixture(autouse=True)
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own data directory and the default policy."""
    monkeypatch.setenv("ALPR_DATA_DIR", str(tmp_path / "alpr-data"))
    monkeypatch.delenv("ALPR_POLICY", raising=False)
    monkeypatch.delenv("ALPR_DATABASE_URL", raising=False)
    monkeypatch.setenv("ALPR_SESSION_FILE", str(tmp_path / "cli-session"))
    monkeypatch.setenv("ALPR_DEVICE_FILE", str(tmp_path / "cli-device"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the database once per backend it applies to."""
    if "database" not in metafunc.fixturenames:
        return
    marks = {mark.name for mark in metafunc.definition.iter_markers()}
    backends = [
        backend
        for backend in BACKENDS
        if not (backend == "sqlite" and "postgres_only" in marks)
        and not (backend == "postgresql" and "sqlite_only" in marks)
    ]
    metafunc.parametrize("database", backends, indirect=True)


@pytest.fixture
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    backend: str = request.param
    engine = _engine(backend, tmp_path_factory)
    with engine.connect() as connection:
        transaction = connection.begin()
        database = Database(connection)
        set_database(database)
        try:
            yield database
        finally:
            set_database(None)
            transaction.rollback()


@pytest.fixture
def policy() -> Policy:
    return default_policy()


@pytest.fixture
def images() -> ImageStore:
    return image_store(get_settings())


@pytest.fixture
def make_camera(database: Database) -> CameraFactory:
    """Register a camera; returns it with its API key."""

    def make(camera_id: str = "cam-1", kind: CameraKind = CameraKind.FIXED,
             lat: float | None = 37.80, lon: float | None = -122.27) -> tuple[Camera, str]:
        if kind is CameraKind.MOBILE:
            lat = lon = None
        with database.unit_of_work() as session:
            return register_camera(
                session,
                camera=CameraIn(id=camera_id, name=camera_id, kind=kind, agency="Test PD",
                                lat=lat, lon=lon),
                actor="test",
            )

    return make


@pytest.fixture
def committed() -> Iterator[Database]:
    """A PostgreSQL schema of the test's own where work really commits, with a connection
    pool: for tests of concurrency (parallel imports, claims, resends) that the rolled-back
    `database` transaction cannot show. Dropped afterwards."""
    schema = f"alpr_committed_{os.getpid()}"
    engine = postgresql_schema_engine(schema)
    database = Database(engine)
    set_database(database)
    try:
        yield database
    finally:
        set_database(None)
        engine.dispose()
        drop_postgresql_schema(schema)
