"""``ulm train --fit [BYTES]``: the widest hidden layers whose program fits a memory budget.

The trainer cannot know how large a program is: that depends on the code, the kernel layout, the
charset and the answer table that the builder (ulm-z80) makes, and ulm-train may not import it. So
it asks, through the ``ulm.builders`` entry point (:meth:`ulm_spec.plugins.Builder.estimate`), about
*stand-in* models: random weights of a candidate shape and of the layers' widths, with the real charset and answer list.

The candidates are the ``--hidden`` shape scaled up or down (each layer at most 256 wide; once a
layer reaches 256 the others keep growing). The default build falls back to the packed layout when
nothing faster fits, and the packed layout's size does not depend on the weights, so "the default
build fits" is "the packed build fits": a binary search over the candidates with packed builds
(fast) finds the widest, and one default build of the winner predicts the size, layout and
T-states per character that the trained model will have. The size is exact whenever the winner's
default build is packed (the usual case at the edge of the budget); a faster layout's size depends
a little on the trained weights.

At the edge of the budget only the packed layout fits, and it is the slowest (about 4 s per
character for 40 KB on a 4 MHz Z80). ``layout="fast"`` searches instead for the widest layers
whose *fast* build (``ulm build --layout fast``) fits: a little narrower, several times faster.
Its size depends on the weights, so the trained model may end up on another layout (the report
after training says which).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ulm_spec.errors import UlmError
from ulm_spec.model import MAX_LAYER_WIDTH, EncoderParams, Model, random_model
from ulm_spec.plugins import Builder, BuildEstimate, load_builder

#: The budget of ``--fit`` without a number: the TPA of a 48K CP/M 2.2 machine (0100h-A0FFh).
DEFAULT_BUDGET = 40_960
#: Largest budget: all memory from 0100h to the top of the 64K address space.
MAX_BUDGET = 0x10000 - 0x100
#: The stand-in's share of zero weights (trained models have 40-60 %); it moves the predicted speed
#: of every layout and the size of the fast ones, not the packed size.
STANDIN_ZERO_FRACTION = 0.5
CPM_ORIGIN = 0x0100
#: What ``--fit-layout`` may ask for: the default build (``auto``) or the fast one.
FIT_LAYOUTS = ("auto", "fast")


@dataclass(frozen=True)
class Fit:
    """The chosen hidden layers and the builder's numbers for a stand-in model of that shape."""

    hidden: tuple[int, ...]
    estimate: BuildEstimate
    budget: int
    trials: int
    """How many builds the search asked for."""


def parse_budget(text: str) -> int:
    """``40960``, ``40K``, ``0A000h`` or ``0xA000`` -> bytes (1 to :data:`MAX_BUDGET`)."""
    value = text.strip().lower()
    try:
        if value.endswith("k"):
            number = int(value[:-1]) * 1024
        elif value.endswith("h"):
            number = int(value[:-1], 16)
        else:
            number = int(value, 0)
    except ValueError:
        raise UlmError(f"--fit: not a size in bytes: {text!r} (e.g. 40960, 40K, 0A000h)") from None
    if not 1 <= number <= MAX_BUDGET:
        raise UlmError(f"--fit: {number} bytes is out of range; the TPA holds 1 to {MAX_BUDGET} bytes")
    return number


def candidate_shapes(shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Every distinct scaling of ``shape``, narrowest first, each layer 1 to 256 wide."""
    scales = sorted({k / width for width in shape for k in range(1, MAX_LAYER_WIDTH + 1)})
    shapes: list[tuple[int, ...]] = []
    for scale in scales:
        scaled = tuple(min(MAX_LAYER_WIDTH, max(1, round(width * scale))) for width in shape)
        if not shapes or scaled != shapes[-1]:
            shapes.append(scaled)
    return shapes


def stand_in(hidden: Sequence[int], charset: bytes, answers: Sequence[bytes], encoder: EncoderParams,
             bits: Sequence[int] = ()) -> Model:
    """A model of the given shape with random weights of each layer's width (``bits``; empty: all
    2-bit), the real charset and answer list."""
    rng = np.random.default_rng(0)
    model = random_model(rng, tuple(hidden), charset, encoder, zero_fraction=STANDIN_ZERO_FRACTION, bits=bits)
    return dataclasses.replace(model, answers=tuple(answers))


def fit_hidden(
    shape: Sequence[int],
    charset: bytes,
    answers: Sequence[bytes],
    encoder: EncoderParams,
    budget: int = DEFAULT_BUDGET,
    queries: Sequence[bytes] = (),
    builder: Builder | None = None,
    layout: str = "auto",
    bits: Sequence[int] = (),
) -> Fit:
    """The widest scaling of ``shape`` whose default build (``layout="fast"``: fast build) fits
    ``budget`` bytes of TPA (see the module docstring), its layers ``bits`` wide (empty: all
    2-bit); T-states are measured on ``queries`` when a CP/M machine is installed."""
    if layout not in FIT_LAYOUTS:
        raise UlmError(f"--fit-layout {layout!r}: expected one of {', '.join(FIT_LAYOUTS)}")
    if builder is None:
        try:
            builder = load_builder()
        except UlmError as exc:
            raise UlmError(f"--fit: {exc}") from None
    tpa_top = CPM_ORIGIN + budget - 1
    trial_layout = "packed" if layout == "auto" else layout  # auto fits exactly when packed does
    shapes = candidate_shapes(shape)
    trials = 0

    def fits(hidden: tuple[int, ...]) -> bool:
        nonlocal trials
        trials += 1
        try:
            builder.estimate(stand_in(hidden, charset, answers, encoder, bits), layout=trial_layout, tpa_top=tpa_top)
        except UlmError:
            return False
        return True

    low, high = -1, len(shapes)  # shapes[low] fits (or low = -1), shapes[high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if fits(shapes[middle]):
            low = middle
        else:
            high = middle
    if low < 0:
        raise UlmError(f"--fit {budget}: not even hidden layers {','.join('1' * len(shape))} fit in {budget} bytes")
    model = stand_in(shapes[low], charset, answers, encoder, bits)
    estimate = builder.estimate(model, tpa_top=tpa_top, queries=queries)
    return Fit(shapes[low], estimate, budget, trials + 1)


def describe(estimate: BuildEstimate, budget: int, stand_in: bool = False) -> str:
    """``12,345-byte .COM, 13,000 of 40,960 TPA bytes, layout packed, 1,234,567 T-states per
    character (0.31 s at 4 MHz, measured on the emulated Z80)``."""
    how = "measured on the emulated Z80" if estimate.measured else "the builder's cost model of the layers"
    if stand_in:
        how += " with random weights"
    seconds = estimate.tstates_per_char / 4_000_000
    return (
        f"{estimate.com_bytes:,}-byte .COM, {estimate.tpa_bytes:,} of {budget:,} TPA bytes, layout {estimate.layout}, "
        f"{estimate.tstates_per_char:,.0f} T-states per character ({seconds:.2f} s at 4 MHz, {how})"
    )
