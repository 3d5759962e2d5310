"""`alpr integrations link/links/unlink`: foreign cameras mapped to alpr cameras, audited."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cli import app
from alpr.db.session import Database
from tests.helpers import CameraFactory, cli_login

runner = CliRunner()


def test_link_list_unlink_are_audited_and_checked(
    database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C7 — configuration changes by administrators only, each audited
    make_camera("gate-2")
    refused = runner.invoke(app, ["integrations", "link", "openalpr", "AGENT01/4711", "gate-2"])
    assert refused.exit_code != 0  # nobody logged in
    cli_login(database)
    linked = runner.invoke(app, ["integrations", "link", "openalpr", "AGENT01/4711", "gate-2"])
    assert linked.exit_code == 0, linked.output
    assert "AGENT01/4711" in runner.invoke(app, ["integrations", "links"]).output
    for args, text in [(["integrations", "link", "nvr", "x", "gate-2"], "source must be"),
                       (["integrations", "link", "frigate", "drive", "nope"], "no camera")]:
        bad = runner.invoke(app, args)
        assert bad.exit_code == 1 and text in bad.output
    assert runner.invoke(app, ["integrations", "unlink", "openalpr", "AGENT01/4711"]
                         ).exit_code == 0
    assert "AGENT01/4711" not in runner.invoke(app, ["integrations", "links"]).output
    with database.unit_of_work() as session:
        changes = [e.details for e in session.scalars(
            select(AuditEntry).where(AuditEntry.event == AuditEvent.CAMERA_LINK))]
    assert [(c["camera_id"], c["before"]) for c in changes] == [("gate-2", None),
                                                                (None, "gate-2")]
