"""CJIS IR-6: a security incident is reported within the policy's `incident_report_within`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpr.db.session import Database
from alpr.policy import Policy, load_preset
from alpr.sharing import incidents


def test_a_breach_gets_a_security_report_task_due_per_policy(database: Database) -> None:
    # REQ X2 — the incident report task is due `security.incident_report_within` after discovery
    discovered = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    base = load_preset("oakland")
    for within in (timedelta(hours=1), timedelta(minutes=20)):
        policy: Policy = base.model_copy(update={"security": base.security.model_copy(
            update={"incident_report_within": type(base.security.incident_report_within)(
                minutes=int(within.total_seconds() // 60))})})
        with database.unit_of_work() as session:
            incident = incidents.record_incident(
                session, discovered_at=discovered, description="lost laptop",
                data_involved="reads", persons_affected=3, actor="user:admin",
                now=discovered, policy=policy)
            due = {t.kind: t.due_at for t in incidents.tasks(session, incident.id)}
        assert due["report_security_incident"] == discovered + within
