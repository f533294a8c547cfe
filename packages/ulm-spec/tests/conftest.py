from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The anchor models: $ULM_ANCHORS, else ../shared/anchors beside the repository (monorepo).
ANCHORS = Path(os.environ.get("ULM_ANCHORS") or Path(__file__).resolve().parents[3].parent / "shared" / "anchors")


@pytest.fixture
def anchors() -> Path:
    if not (ANCHORS / "guess.npz").exists():
        pytest.skip(f"anchor models not present at {ANCHORS}")
    return ANCHORS
