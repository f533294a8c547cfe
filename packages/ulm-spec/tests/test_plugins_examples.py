"""``ulm.examples``: how a command finds a shipped example model, and what it says when none is
installed or the name is unknown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from ulm_spec import plugins
from ulm_spec.errors import UlmError


def fake_entry_points(names: list[str], folder: Path) -> Callable[..., list[SimpleNamespace]]:
    def locate(name: str) -> Path:
        return folder / f"{name}.ulm"

    def entry_points(group: str, name: str | None = None) -> list[SimpleNamespace]:
        assert group == plugins.EXAMPLE_GROUP
        return [SimpleNamespace(name=n, load=lambda: locate) for n in names if name in (None, n)]

    return entry_points


def test_an_example_is_found_by_name_or_named_in_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", fake_entry_points(["guess", "chat"], tmp_path))
    assert plugins.example_names() == ["chat", "guess"]
    assert plugins.example_path("chat") == tmp_path / "chat.ulm"
    with pytest.raises(UlmError, match=r"^--example pets: no such example; there are chat, guess$"):
        plugins.example_path("pets")


def test_without_ulm_cli_there_are_no_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", fake_entry_points([], tmp_path))
    with pytest.raises(UlmError, match=r"^--example guess: the example models ship with ulm-cli: pip install ulm-cli$"):
        plugins.example_path("guess")
