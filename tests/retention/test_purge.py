"""Retention enforces itself: the purge, holds, hits kept longer, logical deletion (REQ R1–R5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Duration, Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.partitions import existing_partitions, partition_name
from alpr.reads.service import IngestItem, ingest
from alpr.retention import holds
from alpr.retention.models import HoldReason
from alpr.retention.purge import drop_detached, purge, remove_unreferenced_images
from tests.helpers import CameraFactory, jpeg

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def policy() -> Policy:
    base = load_preset("oakland")
    retention = base.retention.model_copy(update={
        "delete_after": Duration(days=30), "minimum_keep": None,
        "logical_delete_after": Duration(days=10), "hit_reads_delete_after": Duration(days=90),
        "hold_reverify_every": Duration(days=60)})
    return base.model_copy(update={"retention": retention})


def send(database: Database, policy: Policy, images: ImageStore, plate: str, color: int
         ) -> uuid.UUID:
    read_id = uuid.uuid4()
    with database.unit_of_work() as session:
        ingest(session, [IngestItem({"id": str(read_id), "plate": plate, "confidence": 0.9,
                                     "camera_id": "cam-1", "plate_image": "p",
                                     "captured_at": (T0 - timedelta(hours=1)).isoformat()},
                                    images={"plate_image": jpeg((color, 10, 10))})],
               actor="t", policy=policy, images=images, now=T0)
    return read_id


def remaining(database: Database) -> set[str]:
    with database.unit_of_work() as session:
        return set(session.scalars(select(Read.plate_normalized)))


def test_past_period_reads_are_gone_except_held_and_hits(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ R1 REQ R3 REQ R4
    make_camera()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="a", policy=policy, now=T0)
        import_entries(session, list_name="svs", actor="a", policy=policy, file_name="f",
                       now=T0, parsed=parse_clew("DATE\nHIT0001 CA0120260101\n"
                                                 "TOTAL RECORD 0000001\n",
                                                 table="svs"))
    plain = send(database, policy, images, "PLAIN01", 1)
    held = send(database, policy, images, "HELD001", 2)
    send(database, policy, images, "HIT0001", 3)
    with database.unit_of_work() as session:
        hold = holds.request_hold(session, read_ids=[held], case_number="26-77",
                                  reason=HoldReason.EVIDENCE, details="burglary evidence",
                                  investigator_contact="Det. Ortiz x4411", actor="user:ortiz",
                                  now=T0)
        with pytest.raises(holds.HoldError, match="other than the requester"):
            holds.approve_hold(session, hold_id=hold.id, actor="user:ortiz", now=T0)
        holds.approve_hold(session, hold_id=hold.id, actor="user:sgt", now=T0)
    with database.unit_of_work() as session:
        plain_image = session.scalars(select(Read.plate_image).where(Read.id == plain)).one()
    later = T0 + timedelta(days=31)
    with database.unit_of_work() as session:
        result = purge(session, policy=policy, now=later)
        if database.dialect == "postgresql":
            day_table = partition_name((T0 - timedelta(hours=1)).date())
            assert day_table in result.partitions_dropped
            assert day_table not in existing_partitions(session)
            # The detached day is counted when dropped, after the purge committed.
            assert result.removed == 0
            assert drop_detached(session, later) == {f"purged_{day_table}": 1}
            dropped = session.scalars(select(AuditEntry).where(
                AuditEntry.event == "retention:purge").order_by(AuditEntry.id.desc())).first()
            assert dropped is not None and dropped.details["removed"] == 1
        else:
            assert result.removed == 1
    assert result.kept_held_or_hit == 2
    assert remaining(database) == {"HELD001", "HIT0001"}
    assert plain_image
    with database.unit_of_work() as session:
        assert remove_unreferenced_images(session, images, result.images) == 1
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "retention:purge")).all()
    assert not images.exists(plain_image, (T0 - timedelta(hours=1)).date())
    assert sum(entry.details["removed"] for entry in entries) == 1
    # the hit's own, longer period ends; the hold still protects its read
    with database.unit_of_work() as session:
        holds.review_hold(session, hold_id=hold.id, actor="user:ortiz", now=later)
        final = purge(session, policy=policy, now=T0 + timedelta(days=91))
        alerts_left = session.scalars(select(Alert)).all()
    assert remaining(database) == {"HELD001"}
    assert (final.alerts_removed, alerts_left) == (1, [])  # the alert went with its read


def test_a_hold_not_reverified_is_released_and_its_reads_then_purged(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ R5 — re-verified every period, or released
    make_camera()
    held = send(database, policy, images, "HELD002", 4)
    with database.unit_of_work() as session:
        hold = holds.request_hold(session, read_ids=[held], case_number="26-78",
                                  reason=HoldReason.MISSING_PERSON, details="missing minor",
                                  investigator_contact="Det. Lee", actor="user:lee", now=T0)
        holds.approve_hold(session, hold_id=hold.id, actor="user:sgt", now=T0)
    overdue = T0 + timedelta(days=61)
    with database.unit_of_work() as session:
        assert holds.release_unverified(session, policy=policy, now=overdue) == [hold.id]
        purge(session, policy=policy, now=overdue)
    assert remaining(database) == set()


def test_logical_deletion_flags_reads_past_that_age(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ R2 — flagged, hidden from Data Users (search excludes them; see tests/search)
    make_camera()
    send(database, policy, images, "OLD0001", 5)
    with database.unit_of_work() as session:
        result = purge(session, policy=policy, now=T0 + timedelta(days=11))
        flagged = session.scalars(select(Read.logically_deleted_at)).one()
    assert result.logically_deleted == 1
    assert flagged == T0 + timedelta(days=11)


def test_holds_and_retention_from_the_cli(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ R3 REQ R4 — hold request recorded (case, reason, contact) and approved; purge on demand
    from typer.testing import CliRunner

    from alpr.cli import app
    from tests.helpers import cli_login

    make_camera()
    read_id = send(database, policy, images, "HELD003", 6)
    runner = CliRunner()
    cli_login(database)
    assert read_id
    window = ["--since", (T0 - timedelta(days=1)).isoformat(), "--until", T0.isoformat()]
    requested = runner.invoke(app, ["holds", "request", "--plate", "held003", *window,
                                    "--case", "26-9", "--reason", "evidence", "--details",
                                    "robbery", "--contact", "Det. Ortiz x4411"])
    assert requested.exit_code == 0, requested.output
    hold_id = requested.output.split("hold ")[1].split()[0]
    mine = runner.invoke(app, ["holds", "approve", hold_id])
    assert mine.exit_code == 1 and "other than the requester" in mine.output
    listed = runner.invoke(app, ["holds", "list"])
    assert "26-9" in listed.output and "pending" in listed.output
    ran = runner.invoke(app, ["retention", "run"])
    assert ran.exit_code == 0 and "reads purged" in ran.output
