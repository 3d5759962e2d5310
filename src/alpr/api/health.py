"""Liveness and database check, open to everyone (load balancers call it).

With a broker (ALPR_BROKER_URL) it also reports the queue: reads pending, the oldest
unacknowledged read's age and the dead letters (docs/scale-out.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from alpr.api.deps import public
from alpr.db.session import unit_of_work

router = APIRouter(prefix="/api/v1", tags=["health"])


def _database() -> str:
    with unit_of_work() as session:
        session.execute(text("SELECT 1"))
        return session.get_bind().dialect.name


@router.get("/health")
async def health(request: Request, _: Annotated[None, Depends(public)]) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": "ok", "database": await run_in_threadpool(_database)}
    settings = request.app.state.settings
    if settings.broker_url:
        from alpr.broker.connection import shared_connection
        from alpr.broker.health import broker_state

        try:
            answer["broker"] = await broker_state(await shared_connection(settings).get(),
                                                  settings)
        except Exception as error:  # the API still answers; the queue's state is unknown
            answer["status"] = "degraded"
            answer["broker"] = {"status": "unavailable",
                                "error": f"{type(error).__name__}: {error}"}
    return answer
