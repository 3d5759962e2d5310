"""Cost of one audit entry (keyed chain + Merkle leaf + tail witness), each in its own
transaction, on SQLite and PostgreSQL.

    PYTHONPATH=src .venv/bin/python -m bench.audit_append [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from sqlalchemy import Engine, text

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database

PG = os.environ.get("ALPR_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")


def _engine(backend: str, schema: str) -> Engine:
    if backend == "sqlite":
        return create_db_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    admin = create_db_engine(PG)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return create_db_engine(f"{PG}?options=-csearch_path%3D{schema},public")


def per_entry_ms(backend: str, count: int) -> float:
    schema = f"bench_audit_{os.getpid()}"
    engine = _engine(backend, schema)
    upgrade(engine)
    database = Database(engine)
    set_database(database)
    for n in range(20):  # warm up
        with database.unit_of_work() as session:
            record(session, event=AuditEvent.SEARCH_QUERY, actor="user:bench", details={"n": n})
    start = time.perf_counter()
    for n in range(count):
        with database.unit_of_work() as session:
            record(session, event=AuditEvent.SEARCH_QUERY, actor="user:bench",
                   details={"n": n, "query": {"plate": "7ABC123"}})
    elapsed = time.perf_counter() - start
    engine.dispose()
    if backend == "postgresql":
        admin = create_db_engine(PG)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return elapsed / count * 1000


def main() -> None:
    os.environ.setdefault("ALPR_DATA_DIR", tempfile.mkdtemp())
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    print(f"| backend    | ms per audit entry (own transaction, N={count}) |")
    print("|------------|------|")
    for backend in ("sqlite", "postgresql"):
        print(f"| {backend:<10} | {per_entry_ms(backend, count):.2f} |")


if __name__ == "__main__":
    main()
