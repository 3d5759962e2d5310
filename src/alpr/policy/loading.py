"""Reading policy files and the bundled presets, with errors that name the file and the key."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from alpr.policy.floor import check_policy, errors
from alpr.policy.model import Policy

DEFAULT_PRESET = "ca-doj-model"
_PRESETS = "presets"


class PolicyError(ValueError):
    """A policy file that cannot be used; one line per problem, `file: key: problem`."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))

    def __reduce__(self) -> tuple[type[PolicyError], tuple[str, list[str]]]:
        # Keeps the error intact when a worker process sends it back.
        return type(self), (self.source, self.problems)


def load_policy(path: Path | str) -> Policy:
    """Parse and validate a policy file (TOML). The legal floor is not checked here."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), [f"cannot read: {exc.strerror or exc}"]) from exc
    return _parse(text, str(path))


def preset_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _preset_dir().iterdir()
        if entry.name.endswith(".toml")
    )


@cache
def load_preset(name: str) -> Policy:
    """A bundled preset by name (see `preset_names()`); policies are frozen, so cached."""
    if name not in preset_names():
        known = ", ".join(preset_names())
        raise PolicyError(f"preset {name!r}", [f"no such preset; choose one of: {known}"])
    text = _preset_dir().joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return _parse(text, f"{name}.toml")


def default_policy() -> Policy:
    return load_preset(DEFAULT_PRESET)


def load_checked_policy(path: Path | None) -> Policy:
    """The policy to run under: `path`, or the default preset; refused if below the floor."""
    if path is None:
        policy, source = default_policy(), f"{DEFAULT_PRESET}.toml"
    else:
        policy, source = load_policy(path), str(path)
    below = errors(check_policy(policy))
    if below:
        raise PolicyError(source, [f"{finding} (below the legal floor)" for finding in below])
    return policy


def _preset_dir() -> Traversable:
    # Presets ship as package data beside this module, so they work from a wheel too.
    return resources.files("alpr.policy").joinpath(_PRESETS)


def _parse(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, _problems(exc)) from exc


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        key = _dotted(error["loc"])
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            # Our own value errors already quote the input; pydantic's type errors do not.
            if error["type"] != "value_error" and isinstance(error["input"], str | int | float):
                message += f" (got {error['input']!r})"
        problems.append(f"{key}: {message}" if key else message)
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else f".{part}" if key else str(part)
    return key


def policy_text(path: Path | None) -> tuple[str, str]:
    """The written policy as the agency runs it: (file name, TOML text) — `path`, or the
    default preset's file (the public page offers it for download, REQ P2)."""
    if path is None:
        name = f"{DEFAULT_PRESET}.toml"
        return name, _preset_dir().joinpath(name).read_text(encoding="utf-8")
    return path.name, path.read_text(encoding="utf-8")
