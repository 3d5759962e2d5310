"""Truncating the audit log is detected, even by someone who drops the database's guards.

The attacker here has superuser rights on the database (drops the append-only triggers,
deletes entries, their Merkle leaves and the stored tree heads) but not the server's files
(the published heads file, the tail witness, the audit keys): see docs/audit.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from alpr.audit import heads
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cli import app
from alpr.db.base import utcnow
from alpr.db.session import Database

runner = CliRunner()
DOCS_VERIFIER = Path(__file__).parents[2] / "docs" / "verify_audit_proof.py"


def _write(database: Database, count: int) -> list[int]:
    with database.unit_of_work() as session:
        return [record(session, event=AuditEvent.CAMERA_REGISTER, actor="user:x",
                       details={"camera_id": f"cam-{n}"}).id for n in range(count)]


def _publish(database: Database) -> dict[str, Any]:
    with database.unit_of_work() as session:
        return heads.head_document(heads.publish(session, now=utcnow()))


def _drop_guards(database: Database) -> None:
    """What a database superuser can do: remove every trigger that protects the log."""
    with database.unit_of_work() as session:
        if database.dialect == "postgresql":
            triggers = session.execute(text(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c"
                " ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace ="
                " current_schema()::regnamespace AND c.relname IN"
                " ('audit_log', 'audit_leaves', 'audit_tree_heads')")).all()
            assert len(triggers) >= 6
            for name, table in triggers:
                session.execute(text(f"DROP TRIGGER {name} ON {table}"))
        else:
            names = session.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN"
                " ('audit_log', 'audit_leaves', 'audit_tree_heads')")).all()
            for name in names:
                session.execute(text(f"DROP TRIGGER {name}"))


def _cut_tail(database: Database, after_id: int, *, heads_too: bool = False) -> None:
    with database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_leaves WHERE entry_id > :id"), {"id": after_id})
        session.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": after_id})
        if heads_too:
            session.execute(text("DELETE FROM audit_tree_heads"))


def _verify_cli() -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_an_intact_log_verifies(database: Database) -> None:
    # REQ L1
    _write(database, 4)
    _publish(database)
    _write(database, 2)
    code, output = _verify_cli()
    assert code == 0, output
    assert "intact" in output


def test_deleting_the_entries_after_the_last_published_head_is_detected(
        database: Database) -> None:
    # REQ L1 — rollback of the unpublished tail: the tail witness outside the database
    ids = _write(database, 4)
    _publish(database)
    _write(database, 3)
    _drop_guards(database)
    _cut_tail(database, ids[-1])
    code, output = _verify_cli()
    assert code == 1
    assert "tail was removed" in output


def test_deleting_entries_a_published_head_covers_is_detected(database: Database) -> None:
    # REQ L1 — rollback below a published head, heads deleted from the database too: the
    # heads file (and every copy outsiders fetched) still names the larger tree
    ids = _write(database, 6)
    _publish(database)
    _drop_guards(database)
    _cut_tail(database, ids[2], heads_too=True)
    for part in heads.witness_files():  # even without the tail witness
        part.unlink()
    code, output = _verify_cli()
    assert code == 1
    assert "entries were removed" in output
    assert "missing from the database" in output


def test_deleting_entries_but_not_their_leaves_is_detected(database: Database) -> None:
    # REQ L1
    ids = _write(database, 5)
    _drop_guards(database)
    with database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": ids[3]})
    code, output = _verify_cli()
    assert code == 1
    assert f"entry {ids[3]} was deleted" in output


def test_a_rewritten_chain_without_the_key_is_detected(database: Database) -> None:
    # REQ L1 — the chain is keyed: recomputing hashes without the key does not help
    ids = _write(database, 3)
    _drop_guards(database)
    with database.unit_of_work() as session:
        session.execute(text("UPDATE audit_log SET actor = 'user:nobody', chain_version = 1"
                             " WHERE id = :id"), {"id": ids[1]})
    code, output = _verify_cli()
    assert code == 1
    assert f"broken at entry {ids[1]}" in output


def test_a_new_head_is_not_published_over_a_rolled_back_log(database: Database) -> None:
    # REQ L1 — the hourly job refuses to sign a log that lost published entries
    ids = _write(database, 5)
    _publish(database)
    _drop_guards(database)
    _cut_tail(database, ids[1], heads_too=True)
    with pytest.raises(heads.RollbackError), database.unit_of_work() as session:
        heads.publish(session, now=utcnow())


def test_an_inclusion_proof_verifies_with_nothing_but_the_published_head(
        database: Database, tmp_path: Path) -> None:
    # REQ L1 — an outsider checks an entry against the head and key they saved
    ids = _write(database, 7)
    published = _publish(database)
    proof_run = runner.invoke(app, ["audit", "prove", str(ids[4])])
    assert proof_run.exit_code == 0, proof_run.output
    proof = json.loads(proof_run.stdout)
    assert proof["head"] == published
    key_file = tmp_path / "audit-key.pem"
    key_file.write_text(runner.invoke(app, ["audit", "public-key"]).stdout)
    # 1. pure function, no database
    heads.check_inclusion(proof, key_file.read_text())
    # 2. the standalone script in docs/, in a fresh interpreter without alpr on its path
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(proof))
    checked = subprocess.run([sys.executable, "-I", str(DOCS_VERIFIER), str(proof_file),
                              "--public-key", str(key_file)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert f"entry {ids[4]}" in checked.stdout
    # 3. a tampered entry, or a head signed by another key, fails both ways
    tampered = {**proof, "entry": proof["entry"].replace("cam-4", "cam-9")}
    proof_file.write_text(json.dumps(tampered))
    assert runner.invoke(app, ["audit", "check-proof", str(proof_file), "--public-key",
                               str(key_file)]).exit_code == 1
    assert subprocess.run([sys.executable, "-I", str(DOCS_VERIFIER), str(proof_file),
                           "--public-key", str(key_file)], capture_output=True,
                          check=False).returncode == 1
    forged_head = {**proof["head"], "tree_size": 8}
    proof_file.write_text(json.dumps({**proof, "head": forged_head}))
    assert runner.invoke(app, ["audit", "check-proof", str(proof_file), "--public-key",
                               str(key_file)]).exit_code == 1


def test_consistency_proofs_between_published_heads(database: Database, tmp_path: Path
                                                    ) -> None:
    # REQ L1 — any two published heads: the later contains the earlier
    _write(database, 3)
    first = _publish(database)
    _write(database, 5)
    second = _publish(database)
    result = runner.invoke(app, ["audit", "consistency", str(first["tree_size"]),
                                 str(second["tree_size"])])
    assert result.exit_code == 0, result.output
    proof_file = tmp_path / "consistency.json"
    proof_file.write_text(result.stdout)
    key_file = tmp_path / "key.pem"
    key_file.write_text(runner.invoke(app, ["audit", "public-key"]).stdout)
    checked = subprocess.run([sys.executable, "-I", str(DOCS_VERIFIER), str(proof_file),
                              "--public-key", str(key_file)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_witness_is_rotated_once_a_head_covers_it(database: Database) -> None:
    # REQ L1 — the witness holds only what no published head covers yet, and still catches
    # a cut tail after rotation
    _write(database, 5)
    first = _publish(database)
    ids = _write(database, 2)
    second = _publish(database)
    assert [int(p.stem.rpartition(".")[2]) for p in heads.witness_files()] == [
        second["tree_size"]]
    assert first["tree_size"] < second["tree_size"]
    _write(database, 3)
    _drop_guards(database)
    _cut_tail(database, ids[-1])
    code, output = _verify_cli()
    assert code == 1 and "tail was removed" in output
