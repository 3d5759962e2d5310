"""The annual report PDF shows its whole title and subtitle when rendered (issue 21: the
subtitle was cut to "Calen" at the page edge). # REQ P1"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alpr.db.session import Database
from alpr.reports.cli import reports_app
from tests.helpers import cli_login
from tests.pdfcheck import assert_rendered

runner = CliRunner(env={"COLUMNS": "200"})


def test_annual_pdf_title_and_subtitle_are_drawn_whole(database: Database, tmp_path: Path
                                                       ) -> None:
    # REQ P1
    cli_login(database)
    result = runner.invoke(reports_app, ["annual", "--year", "2026", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_rendered(tmp_path / "annual-2026.pdf",
                    ["ALPR annual report 2026", "Calendar year 2026 (UTC).",
                     "Aggregates only."], png=tmp_path / "page1.png")
