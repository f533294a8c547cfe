"""Build a model into a program: plan -> encode -> emit -> link.

:func:`build_plan` is the pipeline for one plan; :func:`build_program` lets the planner try plans
(fastest first) until one fits the memory budget:

==========  =============================  ==================================================
stage       module                         in -> out
==========  =============================  ==================================================
plan        :mod:`ulm_z80.plan`            model, layout, budget -> :class:`~ulm_z80.plan.Plan`
encode      :mod:`ulm_z80.encode`          model, plan -> :class:`~ulm_z80.encode.EncodedModel`
emit        :mod:`ulm_z80.emit`            encoded model, target -> :class:`~ulm_z80.emit.Program`
link        :mod:`ulm_z80.linker`          sections, memory -> :class:`~ulm_z80.linker.LinkedProgram`
==========  =============================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import MAX_INPUTS
from ulm_spec.model import Model
from ulm_z80.emit import emit
from ulm_z80.encode import EncodedModel, encode
from ulm_z80.kernels import widths
from ulm_z80.kernels.base import ListColumns
from ulm_z80.linker import LinkedProgram, TPABudgetError, link
from ulm_z80.plan import LAYOUTS, Plan, choose
from ulm_z80.targets import Target
from ulm_z80.targets.cpm import CPM

#: A 48K CP/M 2.2 machine leaves 0100h-A0FFh to programs (see :mod:`ulm_spec.cpm`).
DEFAULT_TPA_BYTES = CPM.default_memory_bytes

__all__ = ["DEFAULT_TPA_BYTES", "LAYOUTS", "Build", "build_plan", "build_program", "check_model_fits_z80"]


@dataclass
class Build:
    """A built program and how it was built."""

    model: Model
    layout: str
    """The layout asked for (``auto``, ``packed``, ``fast`` or kernels)."""
    plan: Plan
    """What the layout resolved to."""
    linked: LinkedProgram
    target: Target = CPM

    @property
    def kernels(self) -> tuple[str, ...]:
        """The kernel of each layer."""
        return self.plan.kernels

    @property
    def hoisted(self) -> bool:
        """Whether layer 1's query half was asked to be computed once per query (``flat:`` = no)."""
        return self.plan.hoist

    @property
    def masks(self) -> tuple[ListColumns, ...]:
        """The hybrid kernel: per layer, which columns are neuron lists."""
        return tuple(layer.list_columns for layer in self.plan.layers)

    @property
    def binary(self) -> bytes:
        """The file for the machine (for CP/M, the ``.COM``; for the Spectrum, the ``.tap``)."""
        return self.target.package_program(self.linked)

    def package(self, name: str) -> bytes:
        """:attr:`binary`, named ``name`` where the target's format names the program (a tape)."""
        return self.target.package_program(self.linked, name)

    @property
    def source(self) -> str:
        return self.linked.source

    @property
    def symbols(self) -> dict[str, int]:
        return self.linked.symbols

    @property
    def file_bytes(self) -> int:
        return self.linked.file_bytes

    @property
    def tpa_bytes_used(self) -> int:
        return self.linked.tpa_bytes_used

    @property
    def answer_table_bytes(self) -> int:
        """Bytes of the answer trie (:mod:`ulm_z80.trie`); 0 for a model without an answer list."""
        return sum(s.size for s in self.linked.sections if s.name == "answer_trie")

    @property
    def layout_name(self) -> str:
        """What was built: ``packed``, or the per-layer mix, e.g. ``flat:cols,cols,rows``."""
        return self.plan.name


def check_model_fits_z80(model: Model) -> None:
    """UlmError unless the model is within what the generated program supports."""
    model.validate()
    if model.input_size > MAX_INPUTS:  # the spec's limit: a 16-bit query hash, layer 1 in chunks of 256
        raise UlmError(f"model input has {model.input_size} values; the Z80 program supports at most {MAX_INPUTS}")
    for index, layer in enumerate(model.layers, start=1):
        if layer.n_out > 256:
            raise UlmError(f"layer {index} has {layer.n_out} outputs; the Z80 program supports at most 256")
        if layer.bits not in widths():
            runs = ", ".join(str(b) for b in widths())
            raise UlmError(f"layer {index} has {layer.bits}-bit weights; the Z80 program runs layers of {runs} bits")


def check_data_fits(encoded: EncodedModel, memory_bytes: int, memory_name: str = CPM.memory_name) -> None:
    """TPABudgetError, before anything is assembled, when the data alone need more memory than
    ``memory_bytes`` (which the error calls ``memory_name``)."""
    data, table = encoded.weight_bytes, encoded.trie_bytes
    kernels = ",".join(encoded.plan.kernels)
    if data > memory_bytes:
        raise TPABudgetError(f"the weights alone need {data} bytes with kernels {kernels}; {memory_name} holds {memory_bytes}")
    if data + table > memory_bytes:
        raise TPABudgetError(
            f"the weights ({data} bytes with kernels {kernels}) and the answer table of "
            f"{len(encoded.model.answers)} answers ({table} bytes) alone need {data + table} bytes; "
            f"{memory_name} holds {memory_bytes}"
        )


def build_plan(model: Model, plan: Plan, memory_bytes: int | None = None, target: Target = CPM,
               layout: str = "") -> Build:
    """Encode, emit and link ``model`` as ``plan`` says, within ``memory_bytes`` (None: all the
    memory the target has). Raises TPABudgetError when it does not fit."""
    memory = memory_bytes if memory_bytes is not None else 0x10000 - target.origin
    top = target.memory_top(memory)
    encoded = encode(model, plan)
    check_data_fits(encoded, memory, target.memory_name)
    program = emit(encoded, target)
    linked = link(program.sections, target.origin, top, fill_alignment_gaps=True, memory_name=target.memory_name)
    return Build(model, layout or plan.name, plan, linked, target)


def build_program(model: Model, layout: str = "auto", tpa_bytes: int = DEFAULT_TPA_BYTES,
                  target: Target = CPM) -> Build:
    """Build ``model`` with ``layout`` (``auto``, ``packed``, ``fast`` or a kernel per layer)
    within ``tpa_bytes`` bytes of memory from the target's origin."""
    check_model_fits_z80(model)
    target.memory_top(tpa_bytes)

    def attempt(plan: Plan, memory_bytes: int | None) -> Build:
        return build_plan(model, plan, memory_bytes, target, layout)

    return choose(model, layout, tpa_bytes, attempt)
