"""ulm-z80: turn a ulm model into one CP/M .COM program for the Z80.

* :mod:`ulm_z80.build` — :func:`build_program`: plan -> encode -> emit -> link
* :mod:`ulm_z80.plan` — the kernel of each layer within the budget (layouts ``auto``, ``packed``, ``fast``)
* :mod:`ulm_z80.encode` — the weights in each kernel's format; :mod:`ulm_z80.emit` — the program's sections
* :mod:`ulm_z80.kernels` — the multiply-accumulate kernels, one module each (with their ``.asm``)
* :mod:`ulm_z80.targets` — the machines (CP/M 2.2); :mod:`ulm_z80.asmfiles` — the fixed ``.asm`` routines
* :mod:`ulm_z80.asm` — the Z80 assembler; :mod:`ulm_z80.linker` — sections, TPA budget, map
* :mod:`ulm_z80.verify` — bit-exact comparison with ``ulm_spec.reference`` on an emulated machine
* :mod:`ulm_z80.bench` — sizes and T-states per character, and the planner's estimates beside them
* :mod:`ulm_z80.commands` — ``ulm build`` and ``ulm bench``; :mod:`ulm_z80.engine` — ``ulm ask --engine z80``"""

from ulm_z80.build import DEFAULT_TPA_BYTES, LAYOUTS, Build, build_program

__version__ = "0.1.0"

__all__ = ["DEFAULT_TPA_BYTES", "LAYOUTS", "Build", "__version__", "build_program"]
