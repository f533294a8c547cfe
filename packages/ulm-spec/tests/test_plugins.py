"""The T-state budget every command that runs Z80 code puts on its runs."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

import pytest

from ulm_spec.plugins import TSTATE_LIMIT, BoundedRunner, ComResult, Probe, TStateLimitExceeded, parse_tstates


class FakeRunner:
    """Pretends the program needs ``needed`` T-states; records the limit it was given."""

    def __init__(self, needed: int) -> None:
        self.needed = needed
        self.limits: list[int | None] = []

    def run(
        self,
        program: bytes,
        *,
        args: Sequence[str] = (),
        console_input: bytes = b"",
        max_tstates: int | None = None,
        probes: Mapping[int, Probe] | None = None,
    ) -> ComResult:
        self.limits.append(max_tstates)
        if max_tstates is not None and self.needed > max_tstates:
            return ComResult(b"", TSTATE_LIMIT, max_tstates, 0)
        return ComResult(b"OK\r\n", "warm-boot", self.needed, 0)


def test_a_run_gets_at_most_the_budget_and_an_error_when_it_needs_more() -> None:
    fake = FakeRunner(needed=5_000)
    bounded = BoundedRunner(fake, 10_000)
    assert bounded.run(b"", max_tstates=None).output == b"OK\r\n"
    assert bounded.run(b"", max_tstates=10**12).ok
    assert fake.limits == [10_000, 10_000]
    with pytest.raises(TStateLimitExceeded, match=r"^the Z80 program did not finish within 4,000 T-states \(0\.001 s at 4 MHz\); --max-tstates N allows more$"):
        bounded.run(b"", max_tstates=4_000)  # a caller's smaller limit is kept
    with pytest.raises(TStateLimitExceeded, match=r"within 1,000 T-states .*; --budget N"):
        BoundedRunner(fake, 1_000, option="--budget").run(b"")


@pytest.mark.parametrize(("text", "value"), [("5000", 5000), ("5_000_000", 5_000_000), ("5e9", 5_000_000_000), ("0x100", 256)])
def test_max_tstates_spellings(text: str, value: int) -> None:
    assert parse_tstates(text) == value


@pytest.mark.parametrize("text", ["0", "-5", "1.5", "lots", "", "nan", "inf"])
def test_max_tstates_must_be_a_positive_whole_number(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_tstates(text)
