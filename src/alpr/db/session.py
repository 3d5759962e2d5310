"""Engines and the unit of work: one transaction per request, job or CLI command.

Services take a Session and flush; only `unit_of_work` commits, so an action and its
audit entry are saved together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alpr.config import get_settings, normalize_database_url

# Execution option of a connection whose transactions only read (see Database.reading).
READ_ONLY = "alpr_read_only"


def create_db_engine(url: str) -> Engine:
    url = normalize_database_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread off: FastAPI runs sync endpoints in a thread pool.
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's implicit transactions break SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: one writer at a time, no upgrade deadlocks,
        # and the audit hash chain is appended by one transaction at a time. A `reading`
        # transaction takes none: under WAL it reads a snapshot while others write.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """A database the services run against: an engine, or one connection in tests."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self._sessions = sessionmaker(
            bind=bind,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_db_engine(url))

    @property
    def dialect(self) -> str:
        return self.bind.dialect.name

    @property
    def url(self) -> str:
        engine = self.bind if isinstance(self.bind, Engine) else self.bind.engine
        return engine.url.render_as_string(hide_password=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads, always rolled back. On SQLite it takes no write
        lock, so a long read (building a match index) never makes a writer wait."""
        if not isinstance(self.bind, Engine):  # tests: one connection, a savepoint
            with self.dry_run() as session:
                yield session
            return
        with self.bind.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})
            with Session(connection, expire_on_commit=False) as session:
                try:
                    yield session
                finally:
                    session.rollback()

    @contextmanager
    def dry_run(self) -> Iterator[Session]:
        """A transaction that is always rolled back: what an action would do, undone."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()


_database: Database | None = None


def get_database() -> Database:
    global _database
    if _database is None:
        _database = Database.from_url(get_settings().effective_database_url)
    return _database


def set_database(database: Database | None) -> None:
    """Point every service at another database (tests, the CLI's --database option)."""
    global _database
    _database = database


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with get_database().unit_of_work() as session:
        yield session
