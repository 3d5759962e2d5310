"""`alpr policy show|check|presets` driven through Typer's CliRunner."""

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alpr.config import get_settings
from alpr.policy.cli import app

WritePolicy = Callable[..., Path]
runner = CliRunner(env={"COLUMNS": "200"})


def test_check_passes_a_policy_above_the_floor(write_policy: WritePolicy) -> None:
    # REQ S1 REQ L2: a valid agency file checks clean
    path = write_policy("oakland")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "policy ok" in result.output


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"audit_records_keep": '"90 days"'}, "retention.audit_records_keep"),
        ({"allowed_recipient_kinds": '["private_entity"]'}, "sharing.allowed_recipient_kinds"),
        ({"allow_immigration_enforcement": "true"}, "sharing.allow_immigration_enforcement"),
        ({"password_min_length": "4"}, "security.password_min_length"),
    ],
)
def test_check_exits_1_below_the_floor(
    write_policy: WritePolicy, changes: dict[str, str], key: str
) -> None:
    # REQ L2 REQ S1 REQ S2 REQ U11
    path = write_policy(**changes)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert key in result.output
    assert "below the legal floor" in result.output
    assert "policy ok" not in result.output


def test_check_exits_1_on_an_invalid_file(write_policy: WritePolicy) -> None:
    path = write_policy(delete_after=None, audit_records_keep='"3 years"\ndelet_after = "60 days"')
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: retention.delet_after: unknown key" in result.output


def test_check_reports_warnings_but_passes(write_policy: WritePolicy) -> None:
    path = write_policy(account_inactivity_disable='"12 months"')
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert "warning" in result.output
    assert "security.account_inactivity_disable" in result.output


def test_check_a_preset_and_the_env_default(write_policy: WritePolicy) -> None:
    assert runner.invoke(app, ["check", "--preset", "lapd"]).exit_code == 0
    bad = write_policy(allow_immigration_enforcement="true")
    result = runner.invoke(app, ["check"], env={"ALPR_POLICY": str(bad)})
    assert result.exit_code == 1
    assert str(bad) in result.output


def test_check_refuses_file_and_preset_together(write_policy: WritePolicy) -> None:
    result = runner.invoke(app, ["check", str(write_policy()), "--preset", "lapd"])
    assert result.exit_code == 2


def test_show_lapd_prints_its_retention() -> None:
    # REQ R1 REQ R2: the effective policy is readable by an auditor
    result = runner.invoke(app, ["show", "--preset", "lapd"])
    assert result.exit_code == 0, result.output
    assert "Los Angeles Police Department" in result.output
    assert "5 years 24 hours 1 minute" in result.output
    lines = result.output.splitlines()
    assert any("logical_delete_after" in line and "2 years" in line for line in lines)
    assert any("audit_records_keep" in line and "5 years" in line for line in lines)


def test_show_defaults_to_alpr_policy_then_the_default_preset(write_policy: WritePolicy) -> None:
    path = write_policy("oakland", delete_after='"45 days"')
    from_env = runner.invoke(app, ["show"], env={"ALPR_POLICY": str(path)})
    assert from_env.exit_code == 0
    assert "45 days" in from_env.output
    get_settings.cache_clear()  # settings are read once per process
    default = runner.invoke(app, ["show"], env={"ALPR_POLICY": None})
    assert default.exit_code == 0
    assert "preset ca-doj-model (default)" in default.output


def test_show_an_unknown_preset_exits_1() -> None:
    result = runner.invoke(app, ["show", "--preset", "nyc"])
    assert result.exit_code == 1
    assert "no such preset" in result.output


def test_presets_lists_each_with_its_source() -> None:
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0
    for name in ("ca-doj-general-order", "city-pd-2455", "lapd", "ca-doj-model", "oakland"):
        assert name in result.output
    assert "Special Order No. 31" in result.output
    assert "General Order I-12" in result.output
