"""The size and speed of a model's program, for packages that may not import ulm-z80.

The trainer's ``ulm train --fit`` asks, through the ``ulm.builders`` entry point
(:meth:`ulm_z80.plugin.Z80Builder.estimate`), how large and how fast the program of a model of a
given shape would be. The answer comes from a real build, so everything the program holds (code,
charset, answer table, weights in the chosen layout, buffers) is counted by the linker itself;
nothing is guessed. The speed is measured on an emulated Z80 when a CP/M machine is installed
(``ulm-emu``), for a bounded number of T-states, and otherwise predicted by the planner's cost
model (:func:`ulm_z80.plan.predicted_layer_tstates`), which counts only the layers' routines (it
is usually 10-45 % low: it leaves out the context encoder, argmax and printing, and undercounts
the routines themselves; ``benchmarks/bench_cost_model.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_spec.plugins import BuildEstimate, ComResult, ComRunner, Probe, com_runner
from ulm_z80.bench import measure_build
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program
from ulm_z80.plan import predicted_layer_tstates

#: A measurement stops after this many T-states: enough for a few characters of the slowest
#: program that fits 40 KB (about 10 million T-states each), a few seconds of emulation.
MEASURE_TSTATES = 40_000_000


def cost_model_tstates(build: Build) -> float:
    """T-states per character of the layers of ``build``, by the planner's cost model."""
    return sum(predicted_layer_tstates(build.model, build.plan))


class _CappedRunner:
    """A CP/M machine that stops every run after ``limit`` T-states."""

    def __init__(self, runner: ComRunner, limit: int) -> None:
        self.runner = runner
        self.limit = limit

    def run(
        self,
        program: bytes,
        *,
        args: Sequence[str] = (),
        console_input: bytes = b"",
        max_tstates: int | None = None,
        probes: Mapping[int, Probe] | None = None,
    ) -> ComResult:
        limit = self.limit if max_tstates is None else min(max_tstates, self.limit)
        return self.runner.run(program, args=args, console_input=console_input, max_tstates=limit, probes=probes)


def measured_tstates(build: Build, queries: Sequence[bytes], limit: int = MEASURE_TSTATES) -> float | None:
    """Mean T-states per character over the characters generated for ``queries`` within ``limit``
    T-states on the installed CP/M machine; None without a machine or without a whole character."""
    try:
        runner = com_runner()
    except UlmError:
        return None
    texts = [q.decode("ascii", "replace") for q in queries]
    report = measure_build(build, texts, _CappedRunner(runner, limit), partial=True)
    return report.tstates_per_char_mean if report.characters else None


def estimate(
    model: Model, layout: str = "auto", tpa_bytes: int = DEFAULT_TPA_BYTES, queries: Sequence[bytes] = ()
) -> BuildEstimate:
    """Build ``model`` and report its size and speed (raises UlmError when it does not fit).

    With ``queries`` and an installed CP/M machine the T-states are measured on it; otherwise they
    come from :func:`cost_model_tstates`.
    """
    build = build_program(model, layout, tpa_bytes)
    tstates = measured_tstates(build, queries) if queries else None
    return BuildEstimate(
        com_bytes=build.file_bytes,
        tpa_bytes=build.tpa_bytes_used,
        layout=build.layout_name,
        tstates_per_char=tstates if tstates is not None else cost_model_tstates(build),
        measured=tstates is not None,
    )
