"""The periodic jobs in a thread beside the server, so `alpr serve` alone is a complete
single-node system. Several servers (or a separate `alpr jobs loop`) may run it at once:
the runner's row lock lets only one of them run each job."""

from __future__ import annotations

import logging
import threading

from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.jobs.registry import JobContext, run_due
from alpr.policy import load_checked_policy

log = logging.getLogger("alpr.jobs")


class JobThread(threading.Thread):
    """Runs due jobs every `interval` seconds until stopped; a failing check is logged and
    retried at the next tick, never fatal to the server."""

    def __init__(self, interval: float = 5.0) -> None:
        super().__init__(name="alpr-jobs", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        settings = get_settings()
        policy = load_checked_policy(settings.policy)
        while not self.stopping.is_set():
            try:
                for result in run_due(JobContext(settings=settings, policy=policy,
                                                 now=utcnow())):
                    log.info("job %s: %s %s", result.name, result.outcome, result.detail)
            except Exception:  # the next tick tries again; the server keeps serving
                log.exception("periodic jobs failed")
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
