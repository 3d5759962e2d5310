"""Bad input gets a clear 4xx naming the field; never a 500; the good reads are kept (18.6).

Each table below is the attack, written first: sizes, nesting, control characters,
numbers and dates out of range, image bombs and truncations, paths out of the folder.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from alpr.api.app import api_routes, create_app
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.profiles import ProfileError, read_list_file
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.importer import import_jsonl
from alpr.reads.models import Read
from alpr.users.cli_session import session_file
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, cli_login, jpeg


@pytest.fixture
def client(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ALPR_MAX_BODY_BYTES", str(64 * 1024))
    get_settings.cache_clear()
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin(database: Database) -> dict[str, str]:
    cli_login(database, "admin", (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR,
                                  Role.DATA_USER, Role.AUDITOR))
    return {"Authorization": f"Bearer {session_file().read_text()}"}


def read(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()), "plate": "8XYZ789", "confidence": 0.91,
        "captured_at": (utcnow() - timedelta(seconds=30)).isoformat(),
    }
    data.update(overrides)
    return data


def stored(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Read)) or 0


def png_bomb() -> bytes:
    # 20,000 x 20,000 black pixels: 400 megapixels in about 400 KB.
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


WHOLE_JPEG = jpeg(size=(320, 240))
# One bad read per row, sent in a batch between two good ones: (read, what the reason names).
BAD_READS: list[tuple[dict[str, Any], str]] = [
    (read(plate="8XY\x00Z789"), "plate"),
    (read(plate="8XYZ789", vehicle_make="Ford\x00"), "vehicle_make"),
    (read(camera_id="cam-1\x1b[2J"), "camera_id"),
    (read(region="C\u202eA"), "region"),
    (read(candidates=["8XYZ78\x009"]), "candidates.0"),
    (read(captured_at="0001-01-01T00:00:00+14:00"), "captured_at"),
    (read(captured_at="10000-01-01T00:00:00+00:00"), "captured_at"),
    (read(captured_at="9999-12-31T23:59:59-14:00"), "captured_at"),
    # 1e309 is valid JSON that Python reads as infinity (sent as written, see _send)
    (read(confidence="<1e309>"), "confidence"),
    (read(plate_box=[0, 0, "<-1e400>", 5]), "plate_box"),
    (read(id=str(uuid.uuid4()) + "\x00"), "id"),
    (read(plate_image=b64(png_bomb())), "plate_image"),
    (read(plate_image=b64(WHOLE_JPEG[: len(WHOLE_JPEG) // 2])), "plate_image"),
    (read(plate_image=b64(WHOLE_JPEG[:-4])), "plate_image"),
    (read(plate_image=b64(b"GIF89a" + b"\x00" * 64)), "plate_image"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_READS)
def test_a_bad_read_is_rejected_naming_the_field_and_the_good_ones_kept(
    database: Database, make_camera: CameraFactory,
    monkeypatch: pytest.MonkeyPatch, bad: dict[str, Any], field: str,
) -> None:
    # REQ C2 — reads arrive whole or are refused with the reason; the rest of the batch stays
    monkeypatch.setenv("ALPR_MAX_BODY_BYTES", str(16 * 1024 * 1024))
    get_settings.cache_clear()
    with TestClient(create_app(), raise_server_exceptions=False) as roomy:
        _, key = make_camera()
        good = [read(plate_image=b64(WHOLE_JPEG)), read()]
        body = json.dumps({"reads": [good[0], bad, good[1]]})
        response = roomy.post("/api/v1/reads", content=re.sub(r'"<([-+.e0-9]+)>"', r"\1", body),
                              headers={"Authorization": f"Bearer {key}",
                                       "content-type": "application/json"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"].startswith(field), results[1]["reason"]
    assert "\x00" not in json.dumps(results)
    assert stored(database) == 2


def test_nan_and_infinity_are_not_json(client: TestClient, make_camera: CameraFactory) -> None:
    _, key = make_camera()
    response = client.post("/api/v1/reads", content=b'{"reads": [{"confidence": NaN}]}',
                           headers={"Authorization": f"Bearer {key}",
                                    "content-type": "application/json"})
    assert response.status_code == 400
    assert "NaN" in response.json()["detail"]


def chunks(size: int, piece: int = 8192) -> Iterator[bytes]:
    for _ in range(size // piece):
        yield b" " * piece


@pytest.mark.parametrize("how", ["declared", "streamed", "lying"])
def test_a_body_over_the_limit_is_413_naming_the_limit(
    client: TestClient, make_camera: CameraFactory, how: str
) -> None:
    # The limit is counted on the bytes that arrive, not on what Content-Length claims.
    _, key = make_camera()
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
    size = 256 * 1024
    if how == "declared":
        response = client.post("/api/v1/reads", content=b" " * size, headers=headers)
    elif how == "streamed":  # chunked: no Content-Length at all
        response = client.post("/api/v1/reads", content=chunks(size), headers=headers)
    else:
        response = client.post("/api/v1/reads", content=chunks(size),
                               headers={**headers, "content-length": "10"})
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert str(64 * 1024) in detail and "ALPR_MAX_BODY_BYTES" in detail


def test_multipart_over_the_limit_is_413(client: TestClient, make_camera: CameraFactory) -> None:
    _, key = make_camera()
    response = client.post(
        "/api/v1/reads", headers={"Authorization": f"Bearer {key}"},
        data={"reads": json.dumps({"reads": [read(plate_image="p")]})},
        files=[("p", ("p.jpg", b"\xff" * (200 * 1024), "image/jpeg"))])
    assert response.status_code == 413
    assert "ALPR_MAX_BODY_BYTES" in response.json()["detail"]


@pytest.mark.parametrize("depth", [33, 1000, 30_000])
def test_deep_json_is_400_naming_the_limit(
    client: TestClient, admin: dict[str, str], make_camera: CameraFactory, depth: int
) -> None:
    _, key = make_camera()
    nested = b'{"reads": ' + b"[" * depth + b"]" * depth + b"}"
    for path, headers in (("/api/v1/reads", {"Authorization": f"Bearer {key}"}),
                          ("/api/v1/hotlists", admin)):
        response = client.post(path, content=nested,
                               headers={**headers, "content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert "nested deeper than 32" in response.json()["detail"]


# Control characters in other routes' fields: the whole request is refused, naming the field.
TEXT_ATTACKS: list[tuple[str, str, dict[str, Any], list[Any]]] = [
    ("POST", "/api/v1/hotlists", {"name": "svs\x00", "source": "SVS"}, ["body", "name"]),
    ("POST", "/api/v1/hotlists", {"name": "svs", "source": "S\x07VS"}, ["body", "source"]),
    ("POST", "/api/v1/hotlists", {"name": "svs", "source": "SVS", "x\x00": 1}, ["body", "x\x00"]),
    ("POST", "/api/v1/retention/holds", {"read_ids": [], "case_number": "26-1\x00"},
     ["body", "case_number"]),
    ("POST", "/api/v1/sharing/incidents", {"persons_affected": 10**30, "description": "x"},
     ["body", "persons_affected"]),
    ("POST", "/api/v1/audits", {"since": "2026-01-01T00:00:00+00:00",
                                "until": "0001-01-01T00:00:00+14:00"}, ["body", "until"]),
]


@pytest.mark.parametrize(("method", "path", "body", "location"), TEXT_ATTACKS)
def test_control_characters_in_a_field_are_422_naming_it(
    client: TestClient, admin: dict[str, str], method: str, path: str, body: dict[str, Any],
    location: list[Any],
) -> None:
    response = client.request(method, path, json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == location


BIG = "1" + "0" * 30
QUERY_ATTACKS = [
    "/api/v1/hotlists/entries?plate=AB%00C",
    "/api/v1/audit?actor=%01x",
    "/api/v1/audit?since=0001-01-01T00:00:00%2B14:00",
    "/api/v1/audit?since=10000-01-01T00:00:00Z",
    "/api/v1/audit?until=9999-12-31T23:59:59-14:00",
    f"/api/v1/audit?limit={BIG}",
    f"/api/v1/hotlists/entries?offset={BIG}",
    f"/api/v1/hotlists/entries?limit={BIG}",
    "/api/v1/hotlists/entries?limit=0",
    f"/api/v1/alerts/stream?limit={BIG}",
    "/api/v1/audit?x=%ff",
]


@pytest.mark.parametrize("url", QUERY_ATTACKS)
def test_bad_query_values_are_4xx(client: TestClient, admin: dict[str, str], url: str) -> None:
    response = client.get(url, headers=admin)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"][0] == "query"


HUGE = ["2147483648", "9223372036854775808", "1" + "0" * 30, "-2147483649", "0"]


@pytest.mark.parametrize("value", HUGE)
def test_every_integer_path_id_out_of_range_is_4xx(
    client: TestClient, admin: dict[str, str], value: str
) -> None:
    # The route walk: every route with an integer in its path, new ones included.
    app = client.app
    assert hasattr(app, "routes")
    checked = 0
    for route in api_routes(app.routes):
        ints = [p.name for p in route.dependant.path_params
                if p.field_info.annotation is int or "int" in str(p.field_info.annotation)]
        if not ints:
            continue
        path = route.path_format
        for name in ints:
            path = path.replace("{" + name + "}", value)
        path = re.sub(r"\{[^}]+\}", "x", path)
        for method in route.methods or []:
            response = client.request(method, path, headers=admin, json={})
            assert response.status_code < 500, (method, path, response.text)
            checked += 1
    assert checked >= 10


def test_the_jsonl_import_stays_in_its_folder(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory,
    tmp_path: Path,
) -> None:
    # `alpr reads import`: image paths only inside the file's folder, regular files, bounded
    make_camera()
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "ok.jpg").write_bytes(jpeg())
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    (folder / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    (folder / "zero.jpg").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.jpg")
    attacks = {
        "../secret.jpg": "outside the folder", "../../../../etc/passwd": "outside the folder",
        "/etc/passwd": "outside the folder", "link.jpg": "outside the folder",
        "zero.jpg": "outside the folder", "/dev/zero": "outside the folder",
        "pipe.jpg": "not a regular file", "missing.jpg": "no such file",
        ".": "not a regular file",
    }
    lines = [read(camera_id="cam-1", plate_image="ok.jpg")]
    lines += [read(camera_id="cam-1", plate_image=name) for name in attacks]
    lines.append(read(camera_id="cam-1"))
    file = folder / "reads.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n" + "[" * 99 + "]" * 99
                    + "\n"
                    + "x" * 70_000 + "\n")
    summary = import_jsonl(file, actor="t", policy=policy, images=images)
    assert (summary.accepted, summary.rejected) == (2, len(attacks) + 2)
    reasons = dict(summary.rejections)
    for line, expected in enumerate(attacks.values(), start=2):
        assert expected in reasons[line], (line, reasons[line])
    assert "nested deeper" in reasons[len(lines) + 1]
    assert "line longer than" in reasons[len(lines) + 2]


def test_a_csv_field_over_the_limit_is_422_naming_the_line(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post("/api/v1/hotlists", json={"name": "bolo", "source": "SVS"},
                          headers=admin)
    assert created.status_code == 201, created.text
    text = "plate,reason\nABC123,stolen\nDEF456,\"" + "a" * 140_000 + "\"\n"
    response = client.post("/api/v1/hotlists/bolo/import", headers=admin,
                           files={"file": ("list.csv", text.encode(), "text/csv")},
                           data={"profile": "csv", "mapping": ["plate=plate", "reason=reason"]})
    assert response.status_code == 422, response.text
    assert "line 3" in response.json()["detail"]


@pytest.mark.parametrize(("form", "field"), [
    ({"username": "admin\x00", "password": "x"}, "username"),
    ({"username": "admin", "password": "pass\x1bword"}, "password"),
    ({"username": "admin", "since": "0001-01-01T00:00:00+14:00"}, "since"),
])
def test_console_forms_obey_the_same_text_rule(
    client: TestClient, form: dict[str, str], field: str
) -> None:
    response = client.post("/login", data=form)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("kind", ["device", "fifo", "folder", "too big", "missing"])
def test_files_named_by_users_are_regular_and_bounded(tmp_path: Path, kind: str) -> None:
    # `alpr hotlists import`, the hot-list drop folder and `alpr cameras gps import` read
    # files too: /dev/zero would never end, a FIFO would block the job for ever.
    target = {"device": Path("/dev/zero"), "fifo": tmp_path / "svs.tbl",
              "folder": tmp_path, "too big": tmp_path / "big.tbl",
              "missing": tmp_path / "gone.tbl"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    if kind == "too big":
        target.write_bytes(b"x" * 2048)
    with pytest.raises(ProfileError):
        read_list_file(target, max_bytes=1024)
    (tmp_path / "ok.tbl").write_bytes(b"DATE\n")
    assert read_list_file(tmp_path / "ok.tbl", max_bytes=1024) == "DATE\n"
