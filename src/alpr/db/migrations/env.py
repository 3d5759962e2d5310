"""Alembic environment: migrations run on the connection or engine handed in by alpr.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

import alpr.models  # noqa: F401  (registers every table on Base.metadata)
from alpr.db.base import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The version table lives beside the tables, in the connection's own schema; an
        # unqualified lookup could otherwise find another schema's on the search path.
        version_table_schema=(
            connection.dialect.default_schema_name
            if connection.dialect.name == "postgresql"
            else None
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


bind = context.config.attributes["bind"]
if isinstance(bind, Engine):
    with bind.connect() as connection:
        _run(connection)
        connection.commit()
else:
    assert isinstance(bind, Connection)
    _run(bind)
