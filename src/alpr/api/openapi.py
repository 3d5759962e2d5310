"""A correct OpenAPI document (issue 18.9): every $ref defined, every status documented.

FastAPI documents what it sees in signatures; routes that read their own body (a batch of
reads, JSON or multipart) and the error answers every route can give need help:

- schemas named only in hand-written `openapi_extra` (ReadIn) are added to components;
- every operation documents the error statuses (400, 401, 403, 404, 413, 422, 503) with
  the one error shape the API answers ({"detail": ...}, `ErrorOut`);
- a route whose path ends in `.csv` answers text/csv, not JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from alpr.api.errors import ERROR_RESPONSES, ErrorOut

REF = "#/components/schemas/{model}"


def install(app: FastAPI, *, extra_models: tuple[type[BaseModel], ...] = ()) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            app.openapi_schema = complete(document, (ErrorOut, *extra_models))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        for name, nested in schema.pop("$defs", {}).items():
            schemas.setdefault(name, nested)
        schemas.setdefault(model.__name__, schema)
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, spec in ERROR_RESPONSES.items():
                documented: dict[str, Any] = {
                    "description": spec["description"],
                    "content": {"application/json": {"schema": {"$ref": REF.format(
                        model=ErrorOut.__name__)}}}}
                if "headers" in spec:
                    documented["headers"] = spec["headers"]
                # FastAPI's own 422 (HTTPValidationError) is one of the two shapes ErrorOut
                # allows; the domain's 422s are the other. Document both as one.
                if str(status) == "422" or str(status) not in responses:
                    responses[str(status)] = documented
            if path.endswith(".csv"):
                for status, answer in responses.items():
                    if status.startswith("2"):
                        answer["content"] = {"text/csv": {"schema": {"type": "string"}}}
    # HTTPValidationError may now be unused; keep it defined (harmless) for older clients.
    return document


def unresolved_refs(document: dict[str, Any]) -> list[str]:
    """Every `$ref` in the document that names nothing (a test helper, and a check)."""
    missing: list[str] = []
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and not _resolves(document, ref):
                missing.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(set(missing))


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
