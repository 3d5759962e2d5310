"""The CLI end to end: cameras, a JSONL import, audit verify, and the demo job."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pyotp
from sqlalchemy import func, select
from typer.testing import CliRunner

from alpr.cli import app
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.demo.accounts import demo_device_file
from alpr.hotlists.models import Alert
from alpr.policy import default_policy
from alpr.reads.models import Read
from tests.helpers import cli_login, jpeg

runner = CliRunner()


def test_cameras_add_list_disable(database: Database) -> None:
    # REQ C7 — only administrators change configuration, as named users
    refused = runner.invoke(app, ["cameras", "list"])
    assert refused.exit_code == 1 and "log in first" in refused.output
    cli_login(database)
    added = runner.invoke(app, ["cameras", "add", "car-3", "--name", "Car 3",
                                "--agency", "Test PD", "--kind", "mobile"])
    assert added.exit_code == 0, added.output
    assert "alpr_cam_" in added.output
    listed = runner.invoke(app, ["cameras", "list"])
    assert "car-3" in listed.output and "GPS per read" in listed.output
    refused = runner.invoke(app, ["cameras", "add", "cam-x", "--name", "X", "--agency", "PD"])
    assert refused.exit_code == 1
    assert "needs its location" in refused.output
    assert runner.invoke(app, ["cameras", "disable", "car-3", "--reason", "sold"]).exit_code == 0
    again = runner.invoke(app, ["cameras", "disable", "car-3", "--reason", "sold"])
    assert again.exit_code == 1 and "already disabled" in again.output


def test_import_reports_each_line_and_keeps_the_good_ones(
    database: Database, tmp_path: Path
) -> None:
    cli_login(database)
    runner.invoke(app, ["cameras", "add", "cam-1", "--name", "C", "--agency", "PD",
                        "--lat", "37.8", "--lon", "-122.2"])
    (tmp_path / "p.jpg").write_bytes(jpeg())
    at = (utcnow() - timedelta(minutes=3)).isoformat()
    good = {"id": str(uuid.uuid4()), "plate": "5ABC123", "confidence": 0.9,
            "captured_at": at, "camera_id": "cam-1", "plate_image": "p.jpg"}
    lines = [json.dumps(good), "{broken", json.dumps({**good, "id": str(uuid.uuid4()),
             "plate_image": "gone.jpg"}), json.dumps(good)]
    file = tmp_path / "reads.jsonl"
    file.write_text("\n".join(lines) + "\n")

    result = runner.invoke(app, ["reads", "import", str(file)])

    assert result.exit_code == 0, result.output
    assert "4 lines: 1 accepted, 1 duplicates, 2 rejected" in result.output
    assert "not JSON" in result.output and "cannot read gone.jpg" in result.output
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Read)) == 1


def test_audit_verify_reports_an_intact_chain(database: Database) -> None:
    cli_login(database)
    runner.invoke(app, ["cameras", "add", "cam-1", "--name", "C", "--agency", "PD",
                        "--lat", "37.8", "--lon", "-122.2"])
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output and "entries verified" in result.output


def test_demo_runs_the_main_job(database: Database) -> None:
    from alpr.demo.accounts import PASSWORD
    from alpr.users.auth import login
    from alpr.users.models import User

    # The video part runs the real recognizer; tests/capture covers it on both databases.
    result = runner.invoke(app, ["demo", "--no-serve", "--count", "6", "--no-video"])
    assert result.exit_code == 0, result.output
    assert "9 lines: 6 accepted, 1 duplicates, 2 rejected" in result.output
    # Fits an 80-column terminal, nothing cut short with "…" (a hash prefix is shown as one).
    assert [line for line in result.output.splitlines() if len(line) > 80] == []
    assert [line for line in result.output.splitlines()
            if "…" in line and "hash" not in line and not line.strip().endswith("…)")] == []
    assert "audit chain: intact" in result.output
    assert "Hot-list hits (alerts raised)" in result.output  # REQ A1
    assert "refused" in result.output and "1 read(s), audited" in result.output  # REQ Q2 REQ L1
    # REQ C6: the patrol car's hit waited for its shift inspection; REQ C2: a read without a
    # position was placed on the car's GPS track.
    assert "1 hot-list hit(s) held" in result.output and "1 held hit(s) raised" in result.output
    assert "(gps, between the fixes" in result.output
    # One read by each foreign route (docs/integrations.md), at the demo's gate camera.
    assert "Reads from foreign cameras" in result.output
    for route in ("OpenALPR agent webhook", "/v1/plate-reader/", "Stream webhook",
                  "Frigate over MQTT"):
        line = next(ln for ln in result.output.splitlines() if route in ln)
        assert "accepted" in line, line
    # + the read sent through the broker when NATS answers (docs/scale-out.md)
    through_broker = "broker: a worker stored 1 read(s)" in result.output
    assert through_broker or "broker step skipped" in result.output
    with database.unit_of_work() as session:
        foreign = session.scalar(select(func.count()).select_from(Read)
                                 .where(Read.camera_id == "demo-gate"))
        assert session.scalar(select(func.count()).select_from(Read)
                              .where(Read.camera_id != "demo-gate")) == 7 + through_broker
    assert foreign == 4
    assert f"would delete {7 + foreign} reads" in result.output  # REQ R1: the purge, previewed
    assert f"annual-{utcnow().year}.pdf" in result.output  # REQ P1
    assert "audit-chain head published" in result.output  # REQ P2
    # The console accounts it prints can sign in with the password and a one-time code.
    assert "Web console: http://127.0.0.1:8000/" in result.output
    with database.unit_of_work() as session:
        patrol = session.query(User).filter_by(username="demo-patrol").one()
        assert patrol.totp_secret is not None
        signed_in = login(session, username="demo-patrol", password=PASSWORD,
                          code=pyotp.TOTP(patrol.totp_secret).now(), policy=default_policy(),
                          now=utcnow(),
                          device_token=demo_device_file().read_text().strip())
    assert signed_in.token is not None, signed_in.refused


def test_hotlist_import_and_alerts_list(database: Database, tmp_path: Path) -> None:
    # REQ H2 — import from a CA DOJ extract; bad lines reported by number, the rest loaded
    refused = runner.invoke(app, ["hotlists", "create", "svs", "--source", "SVS"])
    assert refused.exit_code == 1 and "log in first" in refused.output  # REQ U11: named users
    cli_login(database)
    file = tmp_path / "svs.tbl"
    file.write_text("DATE11/23/2026 09:00\nABC123  CA0120260101\n??      CA01\n"
                    "TOTAL RECORD 0000002\n")
    assert runner.invoke(app, ["hotlists", "create", "svs", "--source", "SVS"]).exit_code == 0
    result = runner.invoke(app, ["hotlists", "import", "svs", str(file)])
    assert result.exit_code == 0, result.output
    assert "1 entries loaded" in result.output and "line 3:" in result.output
    truncated = tmp_path / "cut.tbl"
    truncated.write_text("DATE11/23/2026 09:00\nXYZ999  CA0120260101\n")
    refused = runner.invoke(app, ["hotlists", "import", "svs", str(truncated)])
    assert refused.exit_code == 1 and "the active list is unchanged" in refused.output
    listed = runner.invoke(app, ["hotlists", "list"])
    assert "ABC123" in listed.output and "XYZ999" not in listed.output
    assert runner.invoke(app, ["alerts", "list"]).exit_code == 0


def test_alert_verify_respond_export_from_the_cli(database: Database, tmp_path: Path) -> None:
    # REQ A2 REQ A3 — verification then documented response, exported as a spreadsheet
    cli_login(database)
    runner.invoke(app, ["cameras", "add", "cam-1", "--name", "C", "--agency", "PD",
                        "--lat", "37.8", "--lon", "-122.2"])
    file = tmp_path / "svs.tbl"
    file.write_text("DATE11/23/2026 09:00\nABC123  CA0120260101\nTOTAL RECORD 0000001\n")
    runner.invoke(app, ["hotlists", "create", "svs", "--source", "SVS"])
    runner.invoke(app, ["hotlists", "import", "svs", str(file)])
    reads = tmp_path / "reads.jsonl"
    reads.write_text(json.dumps({"id": str(uuid.uuid4()), "plate": "ABC123", "confidence": 0.9,
                                 "captured_at": (utcnow() - timedelta(minutes=1)).isoformat(),
                                 "camera_id": "cam-1"}) + "\n")
    runner.invoke(app, ["reads", "import", str(reads)])
    with database.unit_of_work() as session:
        alert_id = str(session.scalars(select(Alert.id)).one())
    early = runner.invoke(app, ["alerts", "respond", alert_id, "--member", "Ofc. Lee",
                                "--justification", "stop", "--disposition", "arrest"])
    assert early.exit_code == 1 and "verify the alert first" in early.output
    verified = runner.invoke(app, ["alerts", "verify", alert_id, "--plate-matches",
                                   "--state-matches", "--vehicle-matches", "--clets-confirmed"])
    assert verified.exit_code == 0 and "confirmed" in verified.output
    responded = runner.invoke(app, ["alerts", "respond", alert_id, "--member", "Ofc. Lee",
                                    "--justification", "stop", "--disposition", "arrest"])
    assert responded.exit_code == 0, responded.output
    out = tmp_path / "responses.csv"
    assert runner.invoke(app, ["alerts", "export", str(out)]).exit_code == 0
    assert "Ofc. Lee" in out.read_text()
    jobs = runner.invoke(app, ["jobs", "list"])
    assert "hotlist-import" in jobs.output and "webhook-delivery" in jobs.output


def test_search_from_the_cli_needs_a_login_and_a_purpose(database: Database, tmp_path: Path
                                                         ) -> None:
    # REQ Q1 REQ Q2 REQ L1 — a refused and an accepted search
    cli_login(database)
    runner.invoke(app, ["cameras", "add", "cam-1", "--name", "C", "--agency", "PD",
                        "--lat", "37.8", "--lon", "-122.2"])
    reads = tmp_path / "reads.jsonl"
    reads.write_text(json.dumps({"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                                 "captured_at": (utcnow() - timedelta(minutes=1)).isoformat(),
                                 "camera_id": "cam-1"}) + "\n")
    runner.invoke(app, ["reads", "import", str(reads)])
    args = ["search", "--plate", "7ABC*", "--purpose", default_policy().search
            .permitted_purposes[0].code, "--on-behalf-of", "Det. Ortiz", "--attest"]
    runner.invoke(app, ["logout"])
    assert "log in first" in runner.invoke(app, args).output
    cli_login(database, username="analyst")
    vague = runner.invoke(app, [*args, "--case", "investigation"])
    assert vague.exit_code == 1 and "rule: specific" in vague.output
    found = runner.invoke(app, [*args, "--case", "26-004512"])
    assert found.exit_code == 0, found.output
    assert "7ABC123" in found.output and "1 reads" in found.output
