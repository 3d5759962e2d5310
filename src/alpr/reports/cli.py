"""`alpr audits run|list|show|review|approve|publish` and `alpr reports annual|operator`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alpr.console import acting_as, configured_policy, console, fail, parse_when
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.reports import annual, annual_files, audits, operator
from alpr.reports.audits import AuditError
from alpr.reports.models import Audit
from alpr.users.permissions import Permission

audits_app = typer.Typer(help="Periodic and operator audits (REQ L3–L6).", no_args_is_help=True)
reports_app = typer.Typer(help="The annual report and the operator audit (REQ P1, L6).",
                          no_args_is_help=True)


def _line(audit: Audit) -> str:
    return (f"audit {audit.id} ({audit.kind}, {audit.status}): {audit.sample_size} of"
            f" {audit.population} sampled, seed {audit.seed}")


Since = Annotated[str, typer.Option(help="Start of the audited period (ISO date)")]
Until = Annotated[str | None, typer.Option(help="End of the period (default: now)")]


@audits_app.command("run")
def run(since: Since, until: Until = None,
        confidence: Annotated[float | None, typer.Option(help="e.g. 0.95")] = None,
        margin: Annotated[float | None, typer.Option(help="e.g. 0.05")] = None,
        seed: Annotated[int | None, typer.Option(help="Repeat an earlier sample")] = None
        ) -> None:
    """Sample the period's searches for review and run the automatic checks."""
    actor = acting_as(Permission.AUDIT_VIEW)
    try:
        with unit_of_work() as session:
            audit = audits.run_periodic(
                session, since=parse_when(since), until=parse_when(until) if until else utcnow(),
                policy=configured_policy(), actor=actor, now=utcnow(), confidence=confidence,
                margin=margin, seed=seed)
            line, found = _line(audit), audit.summary["findings"]
    except (AuditError, ValueError) as error:
        raise fail(str(error)) from error
    console.print(line)
    console.print("findings: " + (", ".join(f"{k} {v}" for k, v in found.items()) or "none"))


@audits_app.command("list")
def list_audits() -> None:
    acting_as(Permission.AUDIT_VIEW)
    table = Table("id", "kind", "status", "period", "sample", "approved by", "published")
    with unit_of_work() as session:
        for a in audits.all_audits(session):
            table.add_row(str(a.id), a.kind, a.status,
                          f"{a.period_start:%Y-%m-%d} – {a.period_end:%Y-%m-%d}",
                          f"{a.sample_size}/{a.population}", a.approved_by or "",
                          "yes" if a.published else "")
    console.print(table)


@audits_app.command("show")
def show(audit_id: int) -> None:
    """The samples to review and the findings of one audit."""
    actor = acting_as(Permission.AUDIT_VIEW)
    try:
        with unit_of_work() as session:
            audit = audits.view(session, audit_id, actor=actor, now=utcnow())
            console.print(_line(audit))
            for s in audits.samples(session, audit_id):
                state = "pending" if s.passed is None else ("ok" if s.passed else "FAILED")
                console.print(f"  sample {s.id} [{state}] {s.subject}: {s.details}")
            for f in audits.findings(session, audit_id):
                console.print(f"  finding {f.id} {f.check} ({f.severity}) {f.subject}:"
                              f" {f.message}")
    except AuditError as error:
        raise fail(str(error)) from error


@audits_app.command("review")
def review(audit_id: int, sample_id: int,
           specific: Annotated[bool | None, typer.Option(help="Purpose specific?")] = None,
           case_real: Annotated[bool | None, typer.Option(help="Case number real?")] = None,
           plausible: Annotated[bool | None, typer.Option(
               help="On-behalf-of plausible?")] = None,
           confirmed: Annotated[bool | None, typer.Option(help="Read matches image")] = None,
           corrected: Annotated[str | None, typer.Option(help="Plate the image shows")] = None,
           note: Annotated[str | None, typer.Option()] = None) -> None:
    """Record the review of one sampled search (or read)."""
    actor = acting_as(Permission.AUDIT_VIEW)
    answers = {"purpose_specific": specific, "case_number_real": case_real,
               "on_behalf_of_plausible": plausible, "confirmed": confirmed,
               "corrected_plate": corrected}
    try:
        with unit_of_work() as session:
            sample = audits.review_sample(session, audit_id=audit_id, sample_id=sample_id,
                                          answers=answers, note=note, actor=actor,
                                          now=utcnow())
            passed = sample.passed
    except AuditError as error:
        raise fail(str(error)) from error
    console.print(f"sample {sample_id}: {'passed' if passed else 'failed (finding recorded)'}")


@audits_app.command("approve")
def approve(audit_id: int, note: Annotated[str | None, typer.Option()] = None) -> None:
    """ALPR Administrator: approve the audit's results (REQ L4)."""
    actor = acting_as(Permission.AUDITS_APPROVE)
    try:
        with unit_of_work() as session:
            line = _line(audits.approve(session, audit_id=audit_id, note=note, actor=actor,
                                        now=utcnow()))
    except AuditError as error:
        raise fail(str(error)) from error
    console.print(line)


@audits_app.command("publish")
def publish(audit_id: int) -> None:
    """ALPR Administrator: show the approved audit on the transparency page (REQ L5)."""
    actor = acting_as(Permission.AUDITS_APPROVE)
    try:
        with unit_of_work() as session:
            line = _line(audits.publish(session, audit_id=audit_id, actor=actor, now=utcnow()))
    except AuditError as error:
        raise fail(str(error)) from error
    console.print(line + ", published")


@reports_app.command("annual")
def annual_report(year: Annotated[int, typer.Option(help="Calendar year, e.g. 2026")],
                  out: Annotated[Path | None, typer.Option(
                      help="Directory for annual-YEAR.{json,md,html,pdf}, one CSV per"
                      " section and the PNG charts")] = None
                  ) -> None:
    """Counts for the year as JSON, Markdown, HTML, PDF and CSV tables (REQ P1, H6)."""
    if not 1970 <= year <= 9998:
        raise fail(f"--year {year}: give a calendar year such as 2026")
    actor = acting_as(Permission.AUDIT_VIEW)
    policy = configured_policy()
    with unit_of_work() as session:
        report = annual.generate(session, year=year, actor=actor, now=utcnow())
        data, generated_at = report.data, report.generated_at
    text = annual.markdown(data, agency=policy.agency.name)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"annual-{year}.json").write_text(json.dumps(data, indent=2) + "\n")
        (out / f"annual-{year}.md").write_text(text)
        written = annual_files.write_all(data, out, agency=policy.agency.name,
                                         generated_at=generated_at)
    console.print(text, markup=False)
    if out is not None:
        console.print(f"wrote {len(written) + 2} files to {out}", markup=False)


@reports_app.command("operator")
def operator_audit(since: Since, until: Until = None,
                   size: Annotated[int | None, typer.Option(help="Reads to sample")] = None,
                   seed: Annotated[int | None, typer.Option()] = None) -> None:
    """Start an operator audit: read-accuracy sample, retention, access by agency (L6)."""
    actor = acting_as(Permission.AUDIT_VIEW)
    try:
        with unit_of_work() as session:
            audit = operator.run_operator(
                session, since=parse_when(since), until=parse_when(until) if until else utcnow(),
                policy=configured_policy(), actor=actor, now=utcnow(), size=size, seed=seed)
            line, summary = _line(audit), audit.summary
    except (AuditError, ValueError) as error:
        raise fail(str(error)) from error
    console.print(line)
    console.print(f"reads past retention still stored: {summary['retention_overdue']}")
    for org, counts in summary["access_by_organization"].items():
        console.print(f"  {org}: {counts['events']} actions by {counts['actors']} accounts")
    console.print(f"review the reads with `alpr audits review {audit.id} SAMPLE --confirmed`")
