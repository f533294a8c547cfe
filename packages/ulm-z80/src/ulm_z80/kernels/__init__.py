"""The kernels: every multiply-accumulate loop of the program, one module per kernel.

==========  ==========================================================================================
``rows``    the spec's packed 2-bit rows, neuron by neuron: every weight, every character (smallest)
``cols``    per nonzero input, its column of 2-bit codes: every weight of the nonzero inputs
``lists``   per nonzero input, the neurons its +1 and -1 weights reach: only nonzero weights count
``hybrid``  per input column, a neuron list or a 2-bit column, chosen by the planner
``sparse``  per nonzero input, unrolled runs of its neurons or 4-bit gaps, chosen by the planner
``cols4``   4-bit layers: per nonzero input, its column of 4-bit codes times a table of its multiples
``cols8``   8-bit layers: per nonzero input, its column of bytes, each nibble times a table
==========  ==========================================================================================

``rows`` to ``sparse`` take 2-bit layers, ``cols4`` and ``cols8`` the layers of their width
(:meth:`~ulm_z80.kernels.base.Kernel.refuses`).

All of them wrap their 16-bit sums exactly like the spec (two's complement adds modulo 2^16, in
any order), then shift right arithmetically (``SRA H`` / ``RR L``: floor) and apply ReLU.
:class:`~ulm_z80.kernels.base.Kernel` says what a kernel module provides; HACKING.md has the
recipe for adding one.
"""

from __future__ import annotations

from ulm_spec.errors import UlmError
from ulm_z80.kernels.base import EncodedLayer, Kernel
from ulm_z80.kernels.cols import COLS
from ulm_z80.kernels.cols4 import COLS4
from ulm_z80.kernels.cols8 import COLS8
from ulm_z80.kernels.hybrid import HYBRID
from ulm_z80.kernels.lists import LISTS
from ulm_z80.kernels.rows import ROWS
from ulm_z80.kernels.sparse import SPARSE

#: Every kernel by name, in the order the program's code holds their shared routines.
KERNELS: dict[str, Kernel] = {kernel.name: kernel for kernel in (ROWS, COLS, LISTS, HYBRID, SPARSE, COLS4, COLS8)}


def kernel(name: str) -> Kernel:
    """The kernel called ``name`` (a one-line UlmError for an unknown one)."""
    if name not in KERNELS:
        raise UlmError(f"unknown kernel {name!r}; expected one of {', '.join(KERNELS)}")
    return KERNELS[name]


def widths() -> tuple[int, ...]:
    """The weight widths some kernel computes, ascending."""
    return tuple(sorted({k.bits for k in KERNELS.values()}))


__all__ = ["COLS", "COLS4", "COLS8", "HYBRID", "KERNELS", "LISTS", "ROWS", "SPARSE", "EncodedLayer", "Kernel", "kernel", "widths"]
