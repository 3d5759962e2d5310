"""`alpr jobs list/run/run-due/loop`: the periodic jobs (a worker runs `loop`)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from alpr.config import get_settings
from alpr.console import console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.jobs.models import JobState
from alpr.jobs.registry import JobContext, JobResult, load_all, run_due, run_job
from alpr.policy import PolicyError, load_checked_policy

app = typer.Typer(help="Periodic jobs: imports, expiry, webhook delivery.", no_args_is_help=True)


def _context() -> JobContext:
    settings = get_settings()
    try:
        policy = load_checked_policy(settings.policy)
    except PolicyError as error:
        raise fail(str(error)) from error
    return JobContext(settings=settings, policy=policy, now=utcnow())


def _show(results: list[JobResult]) -> None:
    for result in results:
        style = {"success": "green", "failure": "red"}.get(result.outcome, "yellow")
        console.print(f"[bold]{result.name}[/]: [{style}]{result.outcome}[/] {result.detail}")


@app.command("list")
def list_jobs() -> None:
    """The registered jobs, their intervals and last runs."""
    context = _context()
    with unit_of_work() as session:
        states = {s.name: s for s in session.scalars(select(JobState))}
    table = Table("job", "every", "last run (UTC)", "outcome", "detail")
    for job in load_all().values():
        state = states.get(job.name)
        last = state.last_started_at.strftime("%Y-%m-%d %H:%M:%S") if state and \
            state.last_started_at else "never"
        table.add_row(job.name, str(job.every(context.policy)), last,
                      state.last_outcome or "" if state else "",
                      (state.last_detail or "")[:60] if state else "")
    console.print(table)


@app.command("run")
def run(name: str) -> None:
    """Run one job now, due or not."""
    jobs = load_all()
    if name not in jobs:
        raise fail(f"no job {name!r}; known: {', '.join(sorted(jobs))}")
    result = run_job(jobs[name], _context())
    _show([result])
    if result.outcome == "failure":
        raise typer.Exit(1)


@app.command("run-due")
def run_due_command() -> None:
    """Run every job whose interval has passed (for cron)."""
    _show(run_due(_context()))


@app.command("loop")
def loop(interval: Annotated[float, typer.Option(help="Seconds between checks")] = 5.0) -> None:
    """Run due jobs forever (the worker process); Ctrl-C stops it."""
    console.print(f"running due jobs every {interval:g} s (Ctrl-C to stop)")
    while True:
        _show(run_due(_context()))
        time.sleep(interval)
