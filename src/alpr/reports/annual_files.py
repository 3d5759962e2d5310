"""The annual report as files (REQ P1, H6): one CSV table per section, PNG charts
(matplotlib), an HTML page (the Jinja2 template shipped in alpr/reports/templates) and a
PDF (fpdf2) embedding the same charts. Everything is built from the stored report data,
so every format shows the same numbers; aggregates only, never a plate or a person.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

# The object API on the Agg canvas: files only, no display, no pyplot global state (safe
# to call from several threads of the API server).
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alpr.pdf import new_pdf


@dataclass(frozen=True)
class Table:
    name: str  # file and HTML id: annual-YEAR-<name>.csv
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _pairs(counts: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(key, value) for key, value in counts.items()]


def tables(data: dict[str, Any]) -> list[Table]:
    """The report's sections as tables, in reading order."""
    alerts, sharing, audits = data["alerts"], data["sharing"], data["audits"]
    summary = [("Cameras", data["cameras"]), ("Reads still stored from the year",
                                               data["reads_stored"]),
               ("Searches", data["searches"]["total"]), ("Shares", sharing["shares"]),
               ("Hot-list entries", data["hotlist_entries"]["total"]),
               ("Hits (alerts)", alerts["total"]), ("Hits verified", alerts["verified"]),
               ("Audits", sum(audits["performed"].values())),
               ("Audit findings", sum(audits["findings_by_check"].values())),
               ("Trainings", sum(data["trainings"].values())), ("Breaches", data["breaches"])]
    decisions = [(agency, decision, n) for agency, by in
                 sharing.get("requests_by_agency_and_decision", {}).items()
                 for decision, n in by.items()]
    entries = [(source, origin, n) for source, by in data["hotlist_entries"]["by_source"].items()
               for origin, n in by.items()]
    return [
        Table("summary", "Summary", ("Measure", "Count"), summary),
        Table("searches", "Searches by purpose category", ("Purpose category", "Searches"),
              _pairs(data["searches"]["by_purpose_category"])),
        Table("shares", "Shares by agency", ("Agency", "Shares"),
              _pairs(sharing["shares_by_agency"])),
        Table("share-requests", "Share requests by agency and decision",
              ("Agency", "Decision", "Requests"), decisions),
        Table("hotlist-entries", "Hot-list entries by source", ("Source", "Origin", "Entries"),
              entries),
        Table("hits-by-match", "Hits by match", ("Match", "Hits"), _pairs(alerts["by_match"])),
        Table("hits-by-status", "Hits by verification", ("Status", "Hits"),
              _pairs(alerts["by_status"])),
        Table("hit-dispositions", "Hit dispositions (responses recorded)",
              ("Disposition", "Responses"), _pairs(alerts.get("dispositions", {}))),
        Table("audits", "Audits performed", ("Kind", "Audits"), _pairs(audits["performed"])),
        Table("audit-findings", "Audit findings by check", ("Check", "Findings"),
              _pairs(audits["findings_by_check"])),
        Table("trainings", "Trainings by kind", ("Kind", "Trainings"), _pairs(data["trainings"])),
    ]


def write_csv(table: Table, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.headers)
        writer.writerows(table.rows)
    return path


# Which tables get a chart: the last column is the count, the others label the bar; a
# three-column table is stacked by its second column (e.g. agency × decision).
CHARTS = ("searches", "share-requests", "hotlist-entries", "hit-dispositions")


def write_chart(table: Table, path: Path) -> Path | None:
    if not table.rows:
        return None
    labels = sorted({str(row[0]) for row in table.rows})
    stacks = sorted({str(row[1]) for row in table.rows}) if len(table.headers) == 3 else [""]
    figure = Figure(figsize=(7, 0.45 * len(labels) + 1.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    left = [0.0] * len(labels)
    for stack in stacks:
        widths = [float(sum(row[-1] for row in table.rows if str(row[0]) == label
                            and (len(table.headers) < 3 or str(row[1]) == stack)))
                  for label in labels]
        axes.barh(labels, widths, left=left, label=stack or None)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    axes.invert_yaxis()
    axes.set_title(table.title)
    axes.set_xlabel(table.headers[-1])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    if len(stacks) > 1:
        axes.legend(title=table.headers[1], fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def _environment() -> Environment:
    return Environment(loader=PackageLoader("alpr.reports", "templates"),
                       autoescape=select_autoescape(["html"]))


def render_html(data: dict[str, Any], sections: list[Table], charts: dict[str, str], *,
                agency: str, generated_at: datetime) -> str:
    return _environment().get_template("annual.html").render(
        year=data["year"], agency=agency, generated_at=generated_at, tables=sections,
        charts=charts)


def render_pdf(data: dict[str, Any], sections: list[Table], charts: dict[str, Path], *,
               agency: str, generated_at: datetime) -> bytes:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("dejavu", "B", 16)
    # Each block starts again at the left margin: a cell after a multi-cell would otherwise
    # begin at the right edge and run off the page.
    pdf.multi_cell(0, 9, f"ALPR annual report {data['year']} — {agency}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 6, f"Calendar year {data['year']} (UTC). Generated"
                   f" {generated_at:%Y-%m-%d %H:%M} UTC. Aggregates only.",
                   new_x="LMARGIN", new_y="NEXT")
    for table in sections:
        pdf.ln(3)
        pdf.set_font("dejavu", "B", 12)
        pdf.cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("dejavu", "", 9)
        if not table.rows:
            pdf.cell(0, 6, "None.", new_x="LMARGIN", new_y="NEXT")
        else:
            with pdf.table(text_align="LEFT", first_row_as_headings=True) as grid:
                for row in [table.headers, *table.rows]:
                    cells = grid.row()
                    for value in row:
                        cells.cell(str(value))
        if table.name in charts:
            pdf.ln(2)
            pdf.image(str(charts[table.name]), w=150)
    return bytes(pdf.output())


def write_all(data: dict[str, Any], out: Path, *, agency: str, generated_at: datetime
              ) -> list[Path]:
    """Write the CSV tables, the charts, annual-YEAR.html and annual-YEAR.pdf into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"annual-{data['year']}"
    sections = tables(data)
    written = [write_csv(t, out / f"{stem}-{t.name}.csv") for t in sections]
    charts = {t.name: chart for t in sections if t.name in CHARTS
              and (chart := write_chart(t, out / f"{stem}-{t.name}.png")) is not None}
    written += charts.values()
    html = out / f"{stem}.html"
    html.write_text(render_html(data, sections, {k: p.name for k, p in charts.items()},
                                agency=agency, generated_at=generated_at), encoding="utf-8")
    pdf = out / f"{stem}.pdf"
    pdf.write_bytes(render_pdf(data, sections, charts, agency=agency,
                               generated_at=generated_at))
    return [*written, html, pdf]
