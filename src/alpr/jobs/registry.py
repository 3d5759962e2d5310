"""The job registry and runner.

A job is a function of (session, context) returning a one-line summary; its interval may
come from the policy (e.g. hot-list imports "at least daily"). The runner holds a lock on
the job's row while it runs (skipped by other workers), so two workers never run one job
at once and a job that just ran is not run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.jobs.models import JobState
from alpr.policy import Duration, Policy

JOB_ACTOR = "system:jobs"


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    policy: Policy
    now: datetime
    # What a job's run hands to its after_commit step (e.g. files to delete once committed).
    carry: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    every: Callable[[Policy], Duration | timedelta]
    run: Callable[[Session, JobContext], str]
    # Work that must wait until the run has committed (deleting files, sending messages).
    after_commit: Callable[[JobContext], str] | None = None


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def load_all() -> dict[str, Job]:
    """Import the domains' job modules so they register themselves."""
    import alpr.audit.jobs
    import alpr.cameras.jobs
    import alpr.hotlists.jobs
    import alpr.reports.jobs
    import alpr.retention.jobs
    import alpr.users.jobs  # noqa: F401

    return JOBS


@dataclass(frozen=True)
class JobResult:
    name: str
    outcome: str
    detail: str


def run_job(job: Job, context: JobContext, *, only_if_due: bool = False) -> JobResult:
    """Run one job in its own transaction; a failure is recorded, never raised further."""
    _ensure_state(job.name)
    try:
        with unit_of_work() as session:
            state = session.scalar(select(JobState).where(JobState.name == job.name)
                                   .with_for_update(skip_locked=True))
            if state is None:
                return JobResult(job.name, "skipped", "running in another worker")
            if only_if_due and not _is_due(job, state, context):
                return JobResult(job.name, "skipped", "another worker ran it just now")
            detail = job.run(session, context)
            _finish(session, job, context.now, Outcome.SUCCESS, detail)
        if job.after_commit is not None:
            detail += "; " + job.after_commit(context)
        return JobResult(job.name, Outcome.SUCCESS, detail)
    except Exception as error:  # a job's failure must not stop the others
        detail = f"{type(error).__name__}: {error}"
        with unit_of_work() as session:
            _finish(session, job, context.now, Outcome.FAILURE, detail)
        return JobResult(job.name, Outcome.FAILURE, detail)


def _finish(session: Session, job: Job, now: datetime, outcome: Outcome, detail: str) -> None:
    state = session.get(JobState, job.name) or JobState(name=job.name)
    state.last_started_at = now
    state.last_finished_at = utcnow()
    state.last_outcome = outcome.value
    state.last_detail = detail[:2000]
    session.add(state)
    record(session, event=AuditEvent.JOB_RUN, actor=JOB_ACTOR, outcome=outcome, now=now,
           details={"job": job.name, "detail": detail[:500]})


def _ensure_state(name: str) -> None:
    with unit_of_work() as session:
        if session.get(JobState, name) is None:
            session.add(JobState(name=name))


def _is_due(job: Job, state: JobState | None, context: JobContext) -> bool:
    last = state.last_started_at if state else None
    if last is None:
        return True
    interval = job.every(context.policy)
    next_run = interval.after(last) if isinstance(interval, Duration) else last + interval
    return next_run <= context.now


def due_jobs(context: JobContext) -> list[Job]:
    jobs = load_all()
    with unit_of_work() as session:
        states = {s.name: s for s in session.scalars(select(JobState))}
    return [job for job in jobs.values() if _is_due(job, states.get(job.name), context)]


def run_due(context: JobContext) -> list[JobResult]:
    return [run_job(job, context, only_if_due=True) for job in due_jobs(context)]
