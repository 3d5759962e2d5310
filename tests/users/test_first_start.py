"""First start (issue 16.5): docs/users.md's walk from an EMPTY store to a trained analyst
running a search, done exactly as written, through the CLI, with no demo shortcut."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
from sqlalchemy import func, select
from typer.testing import CliRunner

from alpr.audit.models import AuditEntry
from alpr.cli import app as cli
from alpr.db.session import Database
from alpr.policy import default_policy
from alpr.users.cli_session import installed_device_token
from alpr.users.models import TrainingRecord, User


def _secret(output: str) -> str:
    found = re.search(r"secret=([A-Z2-7]+)", output)
    assert found, output
    return found.group(1)


def test_a_new_agency_goes_from_an_empty_store_to_a_search(
    database: Database, tmp_path: Path
) -> None:
    # REQ U1 REQ U4 REQ U11 REQ Q1 — bootstrap, two-factor login, approval, training,
    # credentials, and a search with a valid purpose
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0  # empty
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, (args, result.output)
        return result.output

    admin_pw, first_pw, analyst_pw = (tmp_path / name for name in ("admin", "first", "ana"))
    admin_pw.write_text("chief's long pass phrase\n")
    first_pw.write_text("a first pass phrase\n")
    analyst_pw.write_text("the analyst's own pass phrase\n")
    classification = default_policy().users.authorized_classifications[0]

    # 1. The bootstrap: first administrator, training recorded, TOTP shown once.
    chief = _secret(run("users", "create-admin", "chief", "--full-name", "Chris Chief",
                        "--password-file", str(admin_pw)))
    # 2. The administrator logs in (two factors) and acts at once.
    run("login", "--username", "chief", "--password-file", str(admin_pw), "--code",
        pyotp.TOTP(chief).now())
    # 3. The analyst's account: created pending, with first credentials ...
    run("users", "add", "ana", "--full-name", "Ana Diaz", "--agency",
        default_policy().agency.name, "--classification", classification, "--role",
        "data-user", "--password-file", str(first_pw))
    # 4. ... approved (the chief holds every permission a Data User gets), trained, and given
    # credentials the administrator hands over in person.
    run("users", "approve", "ana")
    run("users", "train", "ana", "--kind", "initial")
    ana = _secret(run("users", "credentials", "ana", "--password-file", str(analyst_pw)))
    run("logout")
    # 5. The analyst logs in and searches for a stated, permitted purpose.
    run("login", "--username", "ana", "--password-file", str(analyst_pw), "--code",
        pyotp.TOTP(ana).now())
    found = run("search", "--purpose", "criminal_investigation", "--case", "26-004512",
                "--on-behalf-of", "Ana Diaz", "--attest", "--plate", "7ABC123")
    assert "0 reads" in found
    with database.unit_of_work() as session:
        bootstrap = session.scalars(select(TrainingRecord).join(
            User, User.id == TrainingRecord.user_id).where(User.username == "chief")).one()
        events = [e.event for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert bootstrap.details.get("bootstrap") is True and bootstrap.recorded_by == "console"
    assert events.count("account:training") == 2 and "search:query" in events
    # The default preset signs in only from agency devices (429.9): the bootstrap made this
    # computer the first one, and both people signed in from it.
    assert events.count("device:register") == 1 and installed_device_token()


def test_create_admin_works_only_on_an_empty_store(database: Database, tmp_path: Path) -> None:
    # REQ U1 — the bootstrap is the only account made without a second person
    password = tmp_path / "pw"
    password.write_text("chief's long pass phrase\n")
    runner = CliRunner()
    first = runner.invoke(cli, ["users", "create-admin", "chief", "--full-name", "C",
                                "--password-file", str(password)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["users", "create-admin", "mallory", "--full-name", "M",
                                "--password-file", str(password)])
    assert again.exit_code == 1 and "accounts exist" in again.output


def test_create_admin_refuses_an_agency_that_is_not_california_public(
    database: Database, tmp_path: Path
) -> None:
    # REQ S1 — Civ. Code §1798.90.5(f): accounts only for California public agencies
    password = tmp_path / "pw"
    password.write_text("chief's long pass phrase\n")
    runner = CliRunner()
    for agency, kind in (("U.S. Immigration and Customs Enforcement", "ca_law_enforcement"),
                         ("Acme Plate Data LLC", "private"), ("Reno Police", "out_of_state")):
        result = runner.invoke(cli, ["users", "create-admin", "chief", "--full-name", "C",
                                     "--agency", agency, "--agency-kind", kind,
                                     "--password-file", str(password)])
        assert result.exit_code == 1, (agency, result.output)
        assert "California public agency" in " ".join(result.output.split()), agency
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
