"""Shared fixtures: the emulated CP/M machine and ZX Spectrum, and the anchor models (when ../shared is present)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ulm_spec.model import Model
from ulm_spec.npz import import_npz
from ulm_spec.plugins import ComRunner

# Hypothesis profiles: "ci" (default) and "fuzz" (nox -s fuzz sets HYPOTHESIS_PROFILE=fuzz).
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: <repo>/../shared/anchors, next to the monorepo checkout, or $ULM_SHARED/anchors.
REPO_ROOT = Path(__file__).resolve().parents[3]
ANCHORS = Path(os.environ.get("ULM_SHARED") or REPO_ROOT.parent / "shared") / "anchors"


@pytest.fixture(scope="session")
def runner() -> ComRunner:
    from ulm_emu.runner import CPMComRunner

    return CPMComRunner(memory_k=48)  # the target: a 48K CP/M 2.2 machine


@pytest.fixture(scope="module")
def zx_runner() -> ComRunner:
    """The emulated ZX Spectrum 48K (skips when no 48K ROM is installed, e.g. without SkoolKit)."""
    from ulm_emu.zx48 import ZX48TapeRunner, find_rom
    from ulm_spec.errors import UlmError

    try:
        find_rom()
    except UlmError as exc:
        pytest.skip(f"no ZX Spectrum 48K ROM: {exc}")
    return ZX48TapeRunner()


def anchor(name: str) -> Model:
    path = ANCHORS / f"{name}.npz"
    if not path.is_file():
        pytest.skip(f"anchor model {path} is not available (needs ../shared/anchors next to the repo, or ULM_SHARED)")
    return import_npz(path)


@pytest.fixture(scope="session")
def guess_model() -> Model:
    return anchor("guess")


@pytest.fixture(scope="session")
def tinychat_model() -> Model:
    return anchor("tinychat")
