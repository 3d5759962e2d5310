"""The root command loads each domain only when it runs (issue 21: `alpr --help` fast)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from alpr.cli import LAZY_COMMANDS, _load, app

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_every_lazy_command_loads_with_the_help_the_table_lists(name: str) -> None:
    command = _load(name)
    assert command.name == name
    if ":app" in LAZY_COMMANDS[name][0] or LAZY_COMMANDS[name][0].endswith("_app"):
        # A group's own help starts with the line the root listing shows.
        assert (command.help or "").strip().startswith(LAZY_COMMANDS[name][1].rstrip("."))


def test_root_help_lists_every_domain_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from alpr.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('fastapi', 'matplotlib', 'fpdf', 'onnxruntime', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "print(result.output)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out
    for name in LAZY_COMMANDS:
        assert name in out


def test_a_lazy_group_runs_its_subcommand() -> None:
    result = runner.invoke(app, ["policy", "presets"])
    assert result.exit_code == 0, result.output
    assert "oakland" in result.output


def test_an_unknown_command_is_refused() -> None:
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code != 0
    assert isinstance(app, typer.Typer)
