"""Liveness and database check, open to everyone (load balancers call it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text

from alpr.api.deps import public
from alpr.db.session import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
def health(_: Annotated[None, Depends(public)]) -> dict[str, str]:
    with unit_of_work() as session:
        session.execute(text("SELECT 1"))
        dialect = session.get_bind().dialect.name
    return {"status": "ok", "database": dialect}
