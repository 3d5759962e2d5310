"""`alpr policy ...`: show the effective policy, check it against the legal floor, list presets."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from alpr.config import get_settings
from alpr.policy.floor import check_policy, errors
from alpr.policy.loading import (
    DEFAULT_PRESET,
    PolicyError,
    default_policy,
    load_policy,
    load_preset,
    preset_names,
)
from alpr.policy.model import PermittedPurpose, Policy

app = typer.Typer(
    help="The agency policy file: show it, check it against the SB 34 floor, list presets.",
    no_args_is_help=True,
)

PresetOption = Annotated[
    str | None, typer.Option("--preset", help="A bundled preset instead of a file.")
]


@app.command()
def show(
    policy_path: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file (TOML). Default: $ALPR_POLICY, else preset."),
    ] = None,
    preset: PresetOption = None,
) -> None:
    """Print the effective policy, section by section."""
    policy, source = _load_or_exit(policy_path, preset)
    console = Console()
    console.print(Text(f"{policy.agency.name}: {policy.agency.source}", style="bold"))
    console.print(Text(f"from {source}", style="dim"))
    for section, values in policy:
        table = Table(title=section, title_justify="left", show_header=False, expand=False)
        table.add_column("key", style="cyan", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key, value in values:
            table.add_row(key, Text(_format(value)))
        console.print(table)


@app.command()
def check(
    policy_path: Annotated[
        Path | None,
        typer.Argument(help="Policy file (TOML). Default: $ALPR_POLICY, else the default preset."),
    ] = None,
    preset: PresetOption = None,
) -> None:
    """Validate a policy and check it against the legal floor; exit 1 if it is below it."""
    policy, source = _load_or_exit(policy_path, preset)
    findings = check_policy(policy)
    console = Console()
    if findings:
        table = Table("severity", "key", "finding", title=f"findings for {source}")
        for finding in findings:
            style = "red" if finding.severity == "error" else "yellow"
            table.add_row(Text(finding.severity, style=style), finding.key, Text(finding.message))
        console.print(table)
    below = errors(findings)
    if below:
        Console(stderr=True).print(
            Text(f"{source}: below the legal floor ({len(below)} error(s))", style="red")
        )
        raise typer.Exit(1)
    console.print(Text(f"{source}: policy ok", style="green"))


@app.command()
def presets() -> None:
    """List the bundled presets and the documents they implement."""
    table = Table("preset", "implements")
    for name in preset_names():
        label = f"{name} (default)" if name == DEFAULT_PRESET else name
        table.add_row(label, Text(load_preset(name).agency.source))
    Console().print(table)


def _load_or_exit(path: Path | None, preset: str | None) -> tuple[Policy, str]:
    if path is not None and preset is not None:
        raise typer.BadParameter("give a policy file or --preset, not both")
    try:
        if preset is not None:
            return load_preset(preset), f"preset {preset}"
        path = path or get_settings().policy
        if path is not None:
            return load_policy(path), str(path)
        return default_policy(), f"preset {DEFAULT_PRESET} (default)"
    except PolicyError as exc:
        Console(stderr=True).print(Text(str(exc), style="red"))
        raise typer.Exit(1) from exc


def _format(value: object) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, PermittedPurpose):
        refs = [f"requires {', '.join(value.requires)}"] if value.requires else []
        refs += [f"one of {', '.join(value.requires_one_of)}"] if value.requires_one_of else []
        return f"{value.code}: {value.label}" + (f" ({'; '.join(refs)})" if refs else "")
    if isinstance(value, tuple):
        return "\n".join(_format(item) for item in value) if value else "(none)"
    return str(value)
