"""Fixtures for policy tests: policy files written from a preset with some lines changed."""

import re
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from pathlib import Path

import pytest

from alpr.config import get_settings

WritePolicy = Callable[..., Path]


def preset_text(name: str) -> str:
    return resources.files("alpr.policy").joinpath("presets", f"{name}.toml").read_text("utf-8")


def edit_toml(text: str, changes: Mapping[str, str | None]) -> str:
    """Replace the one `key = ...` line for each key (None removes it)."""
    for key, value in changes.items():
        line = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
        assert len(line.findall(text)) == 1, f"{key} must be on exactly one line"
        text = line.sub("" if value is None else f"{key} = {value}", text)
    return text


@pytest.fixture
def read_preset() -> Callable[[str], str]:
    """The text of a bundled preset file, comments and all."""
    return preset_text


@pytest.fixture
def write_policy(tmp_path: Path) -> WritePolicy:
    """write_policy(preset, name=, append=, **changes): path of an edited copy of `preset`.

    A change value is TOML text that replaces the value on the key's line; it may carry
    further lines (`'"3 years"\nother_key = 1'`) to add keys inside that key's section.
    """

    def write(
        preset: str = "ca-doj-model",
        name: str = "policy.toml",
        append: str = "",
        **changes: str | None,
    ) -> Path:
        path = tmp_path / name
        text = edit_toml(preset_text(preset), changes) + append
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    # Settings are cached per process; tests that set ALPR_POLICY must not leak it.
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
