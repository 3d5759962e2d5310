"""The OpenAPI document is correct (issue 18.9): every $ref defined, every error documented
with the shape the API really answers, CSV documented as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from alpr.api.app import create_app
from alpr.api.openapi import unresolved_refs
from alpr.db.session import Database
from alpr.users.cli_session import session_file
from alpr.users.permissions import Role
from tests.helpers import cli_login

ERRORS = ("400", "401", "403", "404", "409", "413", "422", "503")


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    value: dict[str, Any] = answer.json()
    return value


def test_every_ref_resolves_and_the_document_validates(document: dict[str, Any]) -> None:
    assert unresolved_refs(document) == []
    assert "ReadIn" in document["components"]["schemas"]
    validate(document)  # OpenAPI 3.1 rules, with the JSON Schema dialect


def test_unresolved_refs_are_found() -> None:
    # The checker itself: a dangling reference and a broken JSON pointer are reported.
    broken = {"components": {"schemas": {"A": {"type": "string"}}},
              "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
                  "schema": {"items": {"$ref": "#/components/schemas/ReadIn"},
                             "x": {"$ref": "#/components/schemas/A"}}}}}}}}}}
    assert unresolved_refs(broken) == ["#/components/schemas/ReadIn"]


def test_every_operation_documents_its_errors(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ERRORS:
                assert status in responses, (method, path, status)
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
            assert "Retry-After" in responses["503"]["headers"]


def test_csv_exports_are_documented_as_csv(document: dict[str, Any]) -> None:
    export = document["paths"]["/api/v1/audit/export.csv"]["get"]["responses"]["200"]
    assert list(export["content"]) == ["text/csv"]


def error_schema(document: dict[str, Any]) -> dict[str, Any]:
    return {"$ref": "#/components/schemas/ErrorOut", "components": document["components"]}


def test_real_error_bodies_match_the_documented_shape(
    client: TestClient, database: Database, document: dict[str, Any]
) -> None:
    cli_login(database, "admin", (Role.ALPR_ADMINISTRATOR,))
    admin = {"Authorization": f"Bearer {session_file().read_text()}"}
    answers = [
        client.get("/api/v1/hotlists"),  # 401
        client.post("/api/v1/hotlists", json={"name": "svs"}, headers=admin),  # 422 fields
        client.post("/api/v1/hotlists", json={"name": "x", "source": "nope"}, headers=admin),
        client.post("/api/v1/hotlists/entries/1/decision", json={"approve": True},
                    headers=admin),  # a domain 422 or 404
        client.post("/api/v1/hotlists", content=b"{", headers={
            **admin, "content-type": "application/json"}),  # 400
        client.get("/api/v1/hotlists?x=%00", headers=admin),  # 422 from the request gate
    ]
    resolver_document = {**error_schema(document)}
    for answer in answers:
        assert answer.status_code >= 400
        jsonschema.validate(answer.json(), resolver_document)
    statuses = sorted({answer.status_code for answer in answers})
    assert 422 in statuses and 401 in statuses and 400 in statuses


def test_every_listing_has_a_bounded_page(document: dict[str, Any]) -> None:
    # The route walk: a GET answering a JSON array takes `limit` (default, maximum) and a
    # bounded `offset` — new listings included.
    listings = 0
    for path, operations in document["paths"].items():
        get = operations.get("get")
        answer = (get or {}).get("responses", {}).get("200", {}).get("content", {})
        if answer.get("application/json", {}).get("schema", {}).get("type") != "array":
            continue
        listings += 1
        parameters = {p["name"]: p["schema"] for p in get.get("parameters", [])}
        assert "limit" in parameters and "offset" in parameters, path
        limit = parameters["limit"]
        assert limit.get("maximum", 10**9) <= 1000 and 1 <= limit.get("default", 0) <= 1000, path
        assert parameters["offset"].get("maximum", 10**30) <= 2**31 - 1, path
    assert listings >= 15


def test_a_listing_answers_a_page(client: TestClient, database: Database) -> None:
    cli_login(database, "admin", (Role.ALPR_ADMINISTRATOR,))
    admin = {"Authorization": f"Bearer {session_file().read_text()}"}
    for number in range(3):
        created = client.post("/api/v1/hotlists", json={"name": f"l{number}", "source": "SVS"},
                              headers=admin)
        assert created.status_code == 201, created.text
    assert len(client.get("/api/v1/hotlists", headers=admin).json()) == 3
    page = client.get("/api/v1/hotlists?limit=2&offset=1", headers=admin).json()
    assert [h["name"] for h in page] == ["l1", "l2"]
    assert client.get("/api/v1/hotlists?limit=1001", headers=admin).status_code == 422
    assert client.get("/api/v1/hotlists?offset=-1", headers=admin).status_code == 422
