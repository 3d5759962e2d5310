"""Hot lists: atomic replacement, manual entries and approval, flags, expiry, alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.matching import CONFUSION_GROUPS, match_index
from alpr.hotlists.models import Alert, EntryStatus, HotListEntry
from alpr.hotlists.profiles import parse_clew, parse_ncic
from alpr.hotlists.service import (
    HotlistError,
    add_manual_entry,
    create_list,
    decide_entry,
    flag_in_error,
    purge_expired,
)
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.schemas import IngestReport
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def oakland() -> Policy:
    return load_preset("oakland")


def clew(*plates: str) -> str:
    rows = "".join(f"{p:<8}CA0120260101\n" for p in plates)
    return f"DATE11/23/2026 09:00\n{rows}TOTAL RECORD {len(plates):07d}\n"


def send(database: Database, policy: Policy, images: ImageStore, *plates: str,
         now: datetime = NOW, **extra: Any) -> IngestReport:
    items = [IngestItem({"id": str(uuid.uuid4()), "plate": p, "confidence": 0.9,
                         "captured_at": (now - timedelta(seconds=10)).isoformat(),
                         "camera_id": "cam-1", **extra}) for p in plates]
    with database.unit_of_work() as session:
        return ingest(session, items, actor="test", policy=policy, images=images, now=now)


def load(database: Database, policy: Policy, name: str, text: str, now: datetime = NOW) -> None:
    with database.unit_of_work() as session:
        import_entries(session, list_name=name, parsed=parse_clew(text, table="svs"),
                       actor="job", policy=policy, file_name="svs.tbl", now=now)


@pytest.fixture
def svs(database: Database, oakland: Policy, make_camera: CameraFactory) -> str:
    make_camera()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=oakland, now=NOW)
    load(database, oakland, "svs", clew("ABC123", "7XYZ900"))
    return "svs"


def test_a_read_on_the_list_raises_an_alert_at_once(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    # REQ A1 — every read is compared as it arrives; a hit raises an alert
    report = send(database, oakland, images, "ABC123", "NOPE123")
    assert report.accepted == 2
    [alert] = report.alerts
    assert (alert.plate_read, alert.list_name, alert.reason, alert.match) == (
        "ABC123", "svs", "stolen vehicle", "exact")
    assert alert.status == "unverified"
    again = send(database, oakland, images, "7XYZ9OO")  # letter O read: US lists write 0
    assert [a.match for a in again.alerts] == ["exact"]


@pytest.mark.parametrize("group", CONFUSION_GROUPS)
def test_each_confusion_class_gives_a_fuzzy_hit(
    database: Database, oakland: Policy, images: ImageStore, svs: str, group: str
) -> None:
    # REQ A1 — confusion-aware matching (O/0/D/Q, I/1/L/T, B/8, S/5, Z/2, G/6)
    listed, misread = f"7{group[0]}K123", f"7{group[-1]}K123"
    load(database, oakland, svs, clew(listed))
    report = send(database, oakland, images, misread)
    assert [(a.plate_listed, a.match) for a in report.alerts] == [(listed, "fuzzy")]


def test_recognizer_alternatives_are_matched_too(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    report = send(database, oakland, images, "ABC128", candidates=["ABC123"])
    assert [(a.plate_listed, a.match) for a in report.alerts] == [("ABC123", "fuzzy")]


def test_an_import_replaces_the_list_and_old_entries_stop_alerting(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    # REQ H2 — the newest import replaces the old one
    load(database, oakland, svs, clew("NEW111"))
    assert send(database, oakland, images, "ABC123").alerts == []
    assert len(send(database, oakland, images, "NEW111").alerts) == 1
    with database.unit_of_work() as session:
        assert session.scalars(select(HotListEntry.plate)).all() == ["NEW111"]


def test_a_failed_import_leaves_the_active_list_untouched(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    # REQ H2 — alerts never see a half-loaded list: the import is one transaction
    def import_that_fails_halfway() -> None:
        with database.unit_of_work() as session:
            import_entries(session, list_name=svs, parsed=parse_clew(clew("NEW111"), table="svs"),
                           actor="job", policy=oakland, file_name="svs.tbl", now=NOW)
            assert [e.plate for e in session.scalars(select(HotListEntry))] == ["NEW111"]
            raise RuntimeError("disk full halfway through")

    with pytest.raises(RuntimeError):
        import_that_fails_halfway()
    assert len(send(database, oakland, images, "ABC123").alerts) == 1
    assert send(database, oakland, images, "NEW111").alerts == []


def test_policy_decides_which_ncic_record_types_load(
    database: Database, oakland: Policy, make_camera: CameraFactory
) -> None:
    # REQ H1 — e.g. an agency that does not load sex-offender records
    text = "".join(f"{kind}{'0' * 18}20200101{plate:<10}CA\n"
                   for kind, plate in (("V", "STOLEN1"), ("X", "OFFEND1")))
    with database.unit_of_work() as session:
        create_list(session, name="ncic", source="NCIC", actor="a", policy=oakland, now=NOW)
        result = import_entries(session, list_name="ncic", parsed=parse_ncic(text),
                                actor="job", policy=oakland, file_name="ncic.txt", now=NOW)
    assert result.loaded == 1
    assert result.problems == [(2, "record type X (sex offender) is not loaded under the"
                                   " agency policy")]


def manual(database: Database, policy: Policy, **kw: Any) -> HotListEntry:
    fields: dict[str, Any] = {"list_name": "bolo", "plate": "8BOL000", "reason": "burglary",
                              "case_number": "26-004512", "justification": "seen leaving scene",
                              "actor": "officer1", "policy": policy, "now": NOW}
    fields.update(kw)
    with database.unit_of_work() as session:
        return add_manual_entry(session, **fields)


@pytest.fixture
def bolo(database: Database, oakland: Policy, make_camera: CameraFactory) -> str:
    make_camera()
    with database.unit_of_work() as session:
        create_list(session, name="bolo", source="BOLO", actor="admin", policy=oakland, now=NOW)
        create_list(session, name="amber", source="AMBER", actor="admin", policy=oakland,
                    now=NOW)
    return "bolo"


def test_manual_entries_alert_only_after_approval(
    database: Database, oakland: Policy, images: ImageStore, bolo: str
) -> None:
    # REQ H3 — member, case number, justification, time; approved by an ALPR Administrator
    entry = manual(database, oakland)
    assert entry.status == EntryStatus.PENDING
    assert (entry.entered_by, entry.case_number, entry.entered_at) == (
        "officer1", "26-004512", NOW)
    assert send(database, oakland, images, "8BOL000").alerts == []
    with database.unit_of_work() as session, pytest.raises(HotlistError, match="someone other"):
        decide_entry(session, entry_id=entry.id, approve=True, actor="officer1")
    with database.unit_of_work() as session:
        decide_entry(session, entry_id=entry.id, approve=True, actor="alpr-admin")
    assert len(send(database, oakland, images, "8BOL000").alerts) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": "loitering"}, "not permitted; the policy allows"),
        ({"case_number": " "}, "needs a case number"),
        ({"justification": ""}, "needs a justification"),
        ({"urgent": True}, "only Amber and Silver"),
    ],
)
def test_manual_entries_need_a_permitted_reason_and_a_record(
    database: Database, oakland: Policy, bolo: str, overrides: dict[str, Any], message: str
) -> None:
    # REQ H1 REQ H3 — BOLO reasons limited by policy
    with pytest.raises(HotlistError, match=message):
        manual(database, oakland, **overrides)


def test_urgent_amber_entry_is_live_at_once_and_recorded(
    database: Database, oakland: Policy, images: ImageStore, bolo: str
) -> None:
    # REQ H4 — urgent Amber alert entries are quick; still recorded
    entry = manual(database, oakland, list_name="amber", plate="4KID123",
                   reason="child abduction", urgent=True)
    assert (entry.status, entry.urgent) == (EntryStatus.ACTIVE, True)
    assert [a.source for a in send(database, oakland, images, "4KID123").alerts] == ["AMBER"]


def test_a_record_in_error_stops_alerting(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    # REQ A4 — flagged so the want can be cancelled; no further alerts
    with database.unit_of_work() as session:
        entry = session.scalars(select(HotListEntry).where(HotListEntry.plate == "ABC123")).one()
        flag_in_error(session, entry_id=entry.id, actor="operator", reason="vehicle recovered")
    assert send(database, oakland, images, "ABC123").alerts == []


def test_expired_entries_stop_alerting_and_are_deleted(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    # REQ H5 — entries expire after the policy's lifetime and are deleted
    later = oakland.hotlists.entry_lifetime.after(NOW) + timedelta(seconds=1)
    assert send(database, oakland, images, "ABC123", now=later).alerts == []
    with database.unit_of_work() as session:
        assert purge_expired(session, actor="job", now=later) == 2
        assert session.scalars(select(HotListEntry)).all() == []
        assert match_index(session).exact == {}


def test_sources_outside_the_policy_are_refused(database: Database) -> None:
    strict = load_preset("ca-doj-model")  # official lists only, no custom BOLOs
    with database.unit_of_work() as session, pytest.raises(HotlistError, match="not allowed"):
        create_list(session, name="my-bolos", source="BOLO", actor="a", policy=strict)


def test_alerts_are_stored_with_the_read(
    database: Database, oakland: Policy, images: ImageStore, svs: str
) -> None:
    report = send(database, oakland, images, "ABC123")
    with database.unit_of_work() as session:
        alert = session.get(Alert, report.alerts[0].id)
    assert alert is not None
    assert str(alert.read_id) == report.results[0].id
