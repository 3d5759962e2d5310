"""The heartbeat check job (REQ C6): silent cameras get a trouble ticket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.cameras.health import check_silent
from alpr.jobs.registry import Job, JobContext, register


def heartbeat_check(session: Session, context: JobContext) -> str:
    opened = check_silent(session, now=context.now)
    cameras = ", ".join(ticket.camera_id for ticket in opened)
    return f"{len(opened)} silent camera(s) ticketed" + (f": {cameras}" if cameras else "")


register(Job("cameras-heartbeat-check", "Open a trouble ticket for each camera gone silent",
             lambda _policy: timedelta(minutes=5), heartbeat_check))
