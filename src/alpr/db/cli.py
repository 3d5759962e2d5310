"""`alpr db ...`: create or upgrade the database schema."""

from __future__ import annotations

from datetime import timedelta

import typer

from alpr.console import console
from alpr.db.base import utcnow
from alpr.db.migrate import current_revision, upgrade
from alpr.db.session import get_database, unit_of_work
from alpr.reads.partitions import ensure_partitions

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def upgrade_database() -> str | None:
    """Bring the schema to the newest revision and pre-create the next days' partitions."""
    database = get_database()
    engine = database.bind
    upgrade(engine)
    today = utcnow().date()
    with unit_of_work() as session:
        # Creating a partition briefly locks the table; doing it ahead keeps ingest smooth.
        ensure_partitions(session, [today + timedelta(days=n) for n in range(3)])
    return current_revision(engine)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create the tables, or migrate them to the newest schema."""
    revision = upgrade_database()
    console.print(f"database at revision [bold]{revision}[/] ({get_database().dialect})")
