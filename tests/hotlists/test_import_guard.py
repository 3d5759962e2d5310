"""Hot-list imports that cannot lose a list (REQ H1, H2, H3, A4).

Every record is checked against the layout and the code tables before anything changes; a
file with no loadable record, or one that would gut a list, never replaces it (API, CLI
and the daily job alike); a record in error stays in error across imports and expiry.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import alpr.policy
from alpr.api.app import create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cli import app as cli
from alpr.config import get_settings
from alpr.db.session import Database
from alpr.hotlists.importing import ImportRefused, import_entries
from alpr.hotlists.models import CancellationNotice, EntryStatus, ErrorFlag, HotListEntry
from alpr.hotlists.profiles import ProfileError, parse_clew, parse_csv, parse_ncic
from alpr.hotlists.service import HotlistError, add_manual_entry, create_list, flag_in_error
from alpr.hotlists.webhooks import add_webhook
from alpr.jobs.registry import JobContext, load_all, run_job
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.users.cli_session import save_token
from alpr.users.permissions import Role
from tests.cameras.test_field_units import FakeSmtp
from tests.helpers import (
    CameraFactory,
    cli_login,
    session_token,
)
from tests.hotlists.test_jobs_webhooks import Receiver

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = "DATE11/23/2026 09:00\n"
runner = CliRunner(env={"COLUMNS": "200"})


OAKLAND_FILE = Path(alpr.policy.__file__).parent / "presets" / "oakland.toml"


@pytest.fixture
def oakland() -> Policy:
    return load_preset("oakland")


def use_oakland_in_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPR_POLICY", str(OAKLAND_FILE))
    get_settings.cache_clear()


def row(plate: str, state: str = "CA", county: str = "01", day: str = "20260101") -> str:
    return f"{plate:<8}{state:<2}{county}{day}"


def clew(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows) + f"TOTAL RECORD {len(rows):07d}\n"


def plates(n: int, prefix: str = "7AAA") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def load(database: Database, policy: Policy, text: str, **kw: Any) -> Any:
    with database.unit_of_work() as session:
        return import_entries(session, list_name="svs", parsed=parse_clew(text, table="svs"),
                              actor=kw.pop("actor", "job"), policy=policy,
                              file_name="svs.tbl", now=kw.pop("now", NOW), **kw)


def listed(database: Database) -> list[tuple[str, str]]:
    with database.unit_of_work() as session:
        return sorted((e.plate, e.status) for e in session.scalars(select(HotListEntry)))


def alerts_for(database: Database, policy: Policy, images: ImageStore, plate: str,
               now: datetime = NOW) -> int:
    with database.unit_of_work() as session:
        report = ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (now - timedelta(seconds=5)).isoformat()})],
            actor="camera:cam-1", policy=policy, images=images, now=now)
    return len(report.alerts)


@pytest.fixture
def svs(database: Database, oakland: Policy, make_camera: CameraFactory) -> list[str]:
    """An active list of ten entries."""
    make_camera()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=oakland, now=NOW)
    ten = plates(10)
    load(database, oakland, clew(*(row(p) for p in ten)))
    return ten


# --- every field checked against its table --------------------------------------------

BAD_CLEW_ROWS = [
    ("8NEW333 C", "record is 9 characters"),  # one-letter state, no county, no date
    (row("8NEW333", "C "), "state: 'C '"),
    (row("8NEW333", "ZZ"), "state: 'ZZ'"),
    (row("8NEW333", "12"), "state:"),
    (row("8NEW333", "  "), "state: missing"),
    (row("8NEW333", county="00"), "county: '00'"),
    (row("8NEW333", county="59"), "county: '59'"),
    (row("8NEW333", county="AB"), "county: 'AB'"),
    (row("8NEW333", day="20250230"), "not a real date"),
    (row("8NEW333", day="20251301"), "not a real date"),
    (row("8NEW333", day="2025-1-1"), "not a date YYYYMMDD"),
    (row("8NEW333", day="20261231"), "out of range"),  # after the extract's own date
    (row("8NEW333", day="18991231"), "out of range"),
    (row("8NEW333") + "EXTRA", "exactly 20"),
    ("        CA0120260101", "plate"),
    ("!!!!    CA0120260101", "plate"),
]


@pytest.mark.parametrize(("line", "message"), BAD_CLEW_ROWS)
def test_every_clew_field_is_checked_against_its_table(line: str, message: str) -> None:
    # REQ H2 — a malformed record is reported by line and never loaded
    parsed = parse_clew(clew(row("7GOOD01"), line), table="svs")
    assert [e.plate for e in parsed.entries] == ["7GOOD01"]
    [(number, problem)] = parsed.problems
    assert number == 3 and message in problem


@pytest.mark.parametrize("state", ["CA", "NV", "DC", "PR", "GM", "AB", "PQ", "QC", "BA", "NL",
                                   "ca"])
def test_states_territories_provinces_and_mexican_states_load(state: str) -> None:
    parsed = parse_clew(clew(row("7GOOD01", state)), table="svs")
    assert parsed.problems == [] and parsed.entries[0].state == state.upper()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DATE13/45/2026 09:00\n" + row("7GOOD01") + "\nTOTAL RECORD 0000001\n",
         "header date is not a real date"),
        ("HEADER\n" + row("7GOOD01") + "\nTOTAL RECORD 0000001\n", "DATE header"),
        (HEADER + row("7GOOD01") + "\nTOTAL RECORD 1\n", "seven-digit count"),
        (HEADER + row("7GOOD01") + "\nTOTAL RECORD 0000001\n" + row("7GOOD02") + "\n",
         "after the TOTAL RECORD footer"),
        (HEADER + row("7GOOD01") + "\n", "no TOTAL RECORD footer"),
        (HEADER + row("7GOOD01") + "\nTOTAL RECORD 0000002\n", "footer declares 2"),
    ],
)
def test_the_file_structure_is_checked_before_any_record(text: str, message: str) -> None:
    # REQ H2 — header, footer count, nothing after the footer
    with pytest.raises(ProfileError, match=message):
        parse_clew(text, table="svs")


def ncic(kind: str = "V", record: str = "CA0019900000000001", day: str = "20240509",
         plate: str = "AB123456", state: str = "CA", tail: str = "2009MC2009YAMACYLMCBLK") -> str:
    return f"{kind}{record:<18}{day}{plate:<10}{state}{tail}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (ncic(kind="Z"), "record type: 'Z'"),
        (ncic(kind=" "), "record type"),
        (ncic(record=""), "record id: missing"),
        (ncic(day="20240230"), "not a real date"),
        (ncic(day="        "), "incident date: missing"),
        (ncic(plate=""), "plate"),
        (ncic(state="XX"), "state: 'XX'"),
        (ncic(tail="2009MC20X9YAMACYLMCBLK"), "vehicle year"),
        (ncic()[:30], "needs at least 39"),
    ],
)
def test_every_ncic_field_is_checked_against_its_table(line: str, message: str) -> None:
    parsed = parse_ncic(ncic() + "\n" + line + "\n")
    assert len(parsed.entries) == 1
    [(number, problem)] = parsed.problems
    assert number == 2 and message in problem


def test_ncic_writes_the_letter_o_of_state_codes_as_zero() -> None:
    assert parse_ncic(ncic(state="0H")).entries[0].state == "OH"


def test_csv_states_and_years_are_checked_too() -> None:
    text = "plate,state,year\n7GOOD01,CA,2019\n7BAD001,QQ,2019\n7BAD002,CA,19\n"
    parsed = parse_csv(text, mapping={"plate": "plate", "state": "state",
                                      "vehicle_year": "year"}, default_reason="stolen")
    assert [e.plate for e in parsed.entries] == ["7GOOD01"]
    assert [n for n, _ in parsed.problems] == [3, 4]


# --- a file that cannot be loaded never replaces the list -----------------------------

def test_a_file_of_malformed_records_never_replaces_the_active_list(
    database: Database, oakland: Policy, images: ImageStore, svs: list[str]
) -> None:
    # REQ H2 — header and footer intact, every record malformed: refused, list kept
    bad = clew("8NEW333 C", row("8NEW334", "ZZ"), row("8NEW335", day="20250230"))
    with pytest.raises(ImportRefused, match="no record in the file can be loaded") as refused:
        load(database, oakland, bad, force_reason="the source really is empty today")
    assert refused.value.forceable is False  # not even an administrator can force it
    assert len(listed(database)) == 10
    assert alerts_for(database, oakland, images, svs[0]) == 1


@pytest.mark.parametrize(("kept", "refused"), [(4, True), (5, False), (10, False)])
def test_an_import_that_drops_more_than_half_is_refused(
    database: Database, oakland: Policy, images: ImageStore, svs: list[str], kept: int,
    refused: bool,
) -> None:
    # REQ H2 — default policy: more than half of the entries gone is a suspect file
    text = clew(*(row(p) for p in svs[:kept]))
    if refused:
        with pytest.raises(ImportRefused, match="more than 50% fewer"):
            load(database, oakland, text)
        assert len(listed(database)) == 10
        assert alerts_for(database, oakland, images, svs[-1]) == 1
    else:
        assert load(database, oakland, text).loaded == kept


def test_the_drop_ratio_is_policy(database: Database, oakland: Policy, svs: list[str]) -> None:
    strict = oakland.model_copy(update={"hotlists": oakland.hotlists.model_copy(
        update={"import_max_drop": 0.2})})
    with pytest.raises(ImportRefused, match="more than 20% fewer"):
        load(database, strict, clew(*(row(p) for p in svs[:7])))
    assert load(database, strict, clew(*(row(p) for p in svs[:8]))).loaded == 8


def test_only_an_alpr_administrator_with_a_reason_forces_a_shrinking_import(
    database: Database, oakland: Policy, svs: list[str]
) -> None:
    # REQ H2 — forced by an ALPR Administrator, with a reason, audited
    cli_login(database, "sysadmin", (Role.SYSTEM_ADMINISTRATOR, Role.DATA_USER))
    cli_login(database, "listadmin", (Role.ALPR_ADMINISTRATOR,))
    text = clew(row(svs[0]))
    for actor, reason, message in (
            ("job", "DOJ cancelled most wants today", "only an ALPR Administrator"),
            ("user:sysadmin", "DOJ cancelled most wants today", "only an ALPR Administrator"),
            ("user:listadmin", "  ok  ", "force reason"),
            ("user:listadmin", None, "may force it with a reason")):
        with pytest.raises(HotlistError, match=message):
            load(database, oakland, text, actor=actor, force_reason=reason)
        assert len(listed(database)) == 10
    result = load(database, oakland, text, actor="user:listadmin",
                  force_reason="DOJ cancelled most wants today")
    assert result.loaded == 1
    with database.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.HOTLIST_IMPORT.value)
            .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.actor == "user:listadmin"
    assert entry.details["forced"] == "DOJ cancelled most wants today"
    assert entry.details["previous"] == 10


def drop_file(text: str, name: str = "svs.tbl") -> Path:
    inbox = get_settings().hotlist_inbox
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text(text)
    return path


def test_the_daily_job_refuses_a_gutted_or_malformed_file(
    database: Database, oakland: Policy, images: ImageStore, svs: list[str]
) -> None:
    # REQ H2 — the scheduled import applies the same guards; refusals are audited
    job = load_all()["hotlist-import"]
    for text in (clew(row(svs[0])), clew("8NEW333 C", row("8NEW334", "ZZ"))):
        drop_file(text)
        result = run_job(job, JobContext(settings=get_settings(), policy=oakland, now=NOW))
        assert "svs.tbl: refused" in result.detail
        assert len(listed(database)) == 10
    assert alerts_for(database, oakland, images, svs[3]) == 1
    with database.unit_of_work() as session:
        refusals = session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.HOTLIST_IMPORT_REFUSED.value)).all()
    assert [r.details["forceable"] for r in refusals] == [True, False]
    assert len(list((get_settings().hotlist_inbox / "refused").iterdir())) == 2


def user_token(database: Database, username: str, roles: tuple[Role, ...], policy: Policy) -> str:
    """An active, trained account under `policy`, signed in; its bearer token."""
    return session_token(database, username, roles, policy=policy)


@pytest.fixture
def admin_api(database: Database, oakland: Policy) -> Iterator[TestClient]:
    token = user_token(database, "listadmin", (Role.ALPR_ADMINISTRATOR,), oakland)
    with TestClient(create_app(policy=oakland)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def test_api_refuses_a_gutted_list_and_an_administrator_forces_it(
    admin_api: TestClient, database: Database, svs: list[str]
) -> None:
    # REQ H2 — HTTP API: 422 naming the rule, the list kept; forced with a reason
    upload = {"file": ("svs.tbl", clew(row(svs[0])).encode())}
    refused = admin_api.post("/api/v1/hotlists/svs/import", files=upload,
                             data={"profile": "clew-svs"})
    assert refused.status_code == 422, refused.text
    assert "import_max_drop" in refused.json()["detail"]
    malformed = admin_api.post("/api/v1/hotlists/svs/import", data={"profile": "clew-svs"},
                               files={"file": ("svs.tbl", clew("8NEW333 C").encode())})
    assert malformed.status_code == 422 and "no record" in malformed.json()["detail"]
    assert len(listed(database)) == 10
    forced = admin_api.post("/api/v1/hotlists/svs/import", files=upload, data={
        "profile": "clew-svs", "force_reason": "DOJ cancelled most wants today"})
    assert forced.status_code == 200, forced.text
    assert listed(database) == [(svs[0], "active")]
    with database.unit_of_work() as session:
        events = session.scalars(select(AuditEntry.event).where(
            AuditEntry.actor == "user:listadmin", AuditEntry.event.like("hotlist:import%"))
            .order_by(AuditEntry.id)).all()
    assert events == ["hotlist:import:refused", "hotlist:import:refused", "hotlist:import"]


def test_cli_refuses_a_gutted_list_and_an_administrator_forces_it(
    database: Database, svs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ H2 — CLI: same guard, same force
    use_oakland_in_the_cli(monkeypatch)
    save_token(user_token(database, "listadmin", (Role.ALPR_ADMINISTRATOR,), load_preset(
        "oakland")))
    file = tmp_path / "svs.tbl"
    file.write_text(clew(row(svs[0])))
    refused = runner.invoke(cli, ["hotlists", "import", "svs", str(file)])
    assert refused.exit_code == 1 and "the active list is unchanged" in refused.output
    assert len(listed(database)) == 10
    forced = runner.invoke(cli, ["hotlists", "import", "svs", str(file), "--force-reason",
                                 "DOJ cancelled most wants today"])
    assert forced.exit_code == 0, forced.output
    assert listed(database) == [(svs[0], "active")]


# --- BOLO lists and manual entries ----------------------------------------------------

def test_imported_bolo_entries_obey_the_policy_reasons(
    database: Database, oakland: Policy
) -> None:
    # REQ H1 — imported BOLOs, like manual ones, only for the policy's categories
    text = ("plate,reason\n7BOL001,burglary\n7BOL002,  Grand   THEFT \n7BOL003,loitering\n"
            "7BOL004,immigration status\n")
    with database.unit_of_work() as session:
        create_list(session, name="bolo-feed", source="BOLO", actor="a", policy=oakland)
        result = import_entries(
            session, list_name="bolo-feed", actor="job", policy=oakland, file_name="b.csv",
            parsed=parse_csv(text, mapping={"plate": "plate", "reason": "reason"}), now=NOW)
        reasons = sorted(session.scalars(select(HotListEntry.reason)))
    assert reasons == ["burglary", "grand theft"]  # the policy's own wording is stored
    assert [n for n, _ in result.problems] == [4, 5]
    assert "not permitted" in result.problems[0][1]


PLACEHOLDER_CASE_NUMBERS = ["n/a", "N/A", "-", "???", "1", "0", " none ", "unknown", "TBD",
                            "0000", "x", "--", "A1", "n.a.", "11"]


@pytest.mark.parametrize("case_number", PLACEHOLDER_CASE_NUMBERS)
def test_manual_entries_refuse_placeholder_case_numbers(
    database: Database, oakland: Policy, case_number: str
) -> None:
    # REQ H3 — a manual entry names a real case
    with database.unit_of_work() as session:
        create_list(session, name="bolo", source="BOLO", actor="a", policy=oakland)
    with database.unit_of_work() as session, pytest.raises(HotlistError, match="case number"):
        add_manual_entry(session, list_name="bolo", plate="8BOL000", reason="burglary",
                         case_number=case_number, justification="seen leaving the scene",
                         actor="officer1", policy=oakland, now=NOW)


@pytest.mark.parametrize("case_number", ["26-004512", "26-1", "DR 24-000123", "RD26001"])
def test_manual_entries_take_real_case_numbers(
    database: Database, oakland: Policy, case_number: str
) -> None:
    with database.unit_of_work() as session:
        create_list(session, name="bolo", source="BOLO", actor="a", policy=oakland)
        entry = add_manual_entry(session, list_name="bolo", plate="8BOL000", reason="burglary",
                                 case_number=case_number, justification="seen at the scene",
                                 actor="officer1", policy=oakland, now=NOW)
    assert entry.case_number == case_number


def test_api_and_cli_refuse_a_placeholder_case_number(
    admin_api: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ H3 — the same check through HTTP and the command line
    assert admin_api.post("/api/v1/hotlists", json={"name": "bolo", "source": "BOLO"}
                          ).status_code == 201
    body = {"plate": "8BOL000", "reason": "burglary", "justification": "seen at scene"}
    for case in ("n/a", "-", "???", "1"):
        refused = admin_api.post("/api/v1/hotlists/bolo/entries", json=body | {"case_number": case})
        assert refused.status_code == 422 and "case number" in refused.json()["detail"]
    use_oakland_in_the_cli(monkeypatch)
    save_token(admin_api.headers["Authorization"].removeprefix("Bearer "))
    result = runner.invoke(cli, ["hotlists", "add", "bolo", "8BOL000", "--reason", "burglary",
                                 "--case-number", "n/a", "--justification", "seen at scene"])
    assert result.exit_code == 1 and "case number" in result.output


# --- record in error: kept across imports and expiry, cancellation notice sent --------

@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.fail_first = 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alpr"
    server.shutdown()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtp]:
    server = FakeSmtp()
    monkeypatch.setenv("ALPR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALPR_SMTP_PORT", str(server.port))
    monkeypatch.setenv("ALPR_HOTLIST_CANCEL_EMAIL_TO", json.dumps(["clew-desk@doj.example"]))
    get_settings.cache_clear()
    yield server
    server.close()


def test_a_record_in_error_stays_in_error_across_imports_and_expiry(
    database: Database, oakland: Policy, images: ImageStore, svs: list[str], receiver: str,
    smtp: FakeSmtp,
) -> None:
    # REQ A4 — flagged once: the daily import and the expiry job never bring it back
    with database.unit_of_work() as session:
        add_webhook(session, url=receiver, actor="admin", now=NOW)
        entry = session.scalars(select(HotListEntry).where(HotListEntry.plate == svs[2])).one()
        flag_in_error(session, entry_id=entry.id, actor="user:operator",
                      reason="owner recovered the car in March", now=NOW)
    jobs = load_all()
    full_list = clew(*(row(p) for p in svs))
    day = NOW
    for step in ("import", "expire", "import", "import"):
        day += timedelta(days=1)
        if step == "expire":  # every entry lapses and is deleted; the flag must survive
            day = oakland.hotlists.entry_lifetime.after(day) + timedelta(minutes=1)
            run_job(jobs["hotlist-purge"], JobContext(settings=get_settings(), policy=oakland,
                                                      now=day))
            assert listed(database) == []
            continue
        drop_file(full_list.replace("DATE11/23/2026", f"DATE{day:%m/%d/%Y}"))
        result = run_job(jobs["hotlist-import"],
                         JobContext(settings=get_settings(), policy=oakland, now=day))
        assert "10 loaded" in result.detail, result.detail
        assert (svs[2], "in_error") in listed(database)
        assert alerts_for(database, oakland, images, svs[2], now=day) == 0
        assert alerts_for(database, oakland, images, svs[3], now=day) == 1
    # The cancellation notice went out, signed, to the webhook and by e-mail.
    run_job(jobs["hotlist-cancellation-notify"],
            JobContext(settings=get_settings(), policy=oakland, now=day))
    [(headers, body)] = Receiver.received
    assert headers["X-ALPR-Event"] == "hotlist-cancellation"
    assert (json.loads(body)["plate"], json.loads(body)["list"]) == (svs[2], "svs")
    assert len(smtp.messages) == 1 and svs[2] in smtp.messages[0]
    assert "clew-desk@doj.example" in smtp.messages[0]
    with database.unit_of_work() as session:
        assert all(n.delivered_at for n in session.scalars(select(CancellationNotice)))
    # The source drops the record: the flag is cleared; listed again later, it is a new want.
    day += timedelta(days=1)
    load(database, oakland, clew(*(row(p) for p in svs if p != svs[2])), now=day)
    with database.unit_of_work() as session:
        assert session.scalars(select(ErrorFlag.cleared_at)).one() == day
    day += timedelta(days=1)
    load(database, oakland, full_list, now=day)
    assert (svs[2], EntryStatus.ACTIVE.value) in listed(database)


def test_flagging_twice_is_refused_and_the_notice_waits_for_a_recipient(
    database: Database, oakland: Policy, svs: list[str]
) -> None:
    with database.unit_of_work() as session:
        entry = session.scalars(select(HotListEntry).where(HotListEntry.plate == svs[0])).one()
        flag_in_error(session, entry_id=entry.id, actor="user:op", reason="wrong plate", now=NOW)
        with pytest.raises(HotlistError, match="already flagged"):
            flag_in_error(session, entry_id=entry.id, actor="user:op", reason="again", now=NOW)
        assert session.scalars(select(CancellationNotice)).all() == []  # nobody configured
