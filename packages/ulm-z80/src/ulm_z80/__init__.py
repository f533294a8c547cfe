"""ulm-z80: turn a ulm model into one CP/M .COM program for the Z80.

* :mod:`ulm_z80.asm` — the Z80 assembler; :mod:`ulm_z80.linker` — sections, TPA budget, map
* :mod:`ulm_z80.generator` — the program's assembly source; :mod:`ulm_z80.kernels` — the MAC loops
* :mod:`ulm_z80.build` — :func:`build_program` (layouts ``auto``, ``packed``, ``fast``)
* :mod:`ulm_z80.verify` — bit-exact comparison with ``ulm_spec.reference`` on an emulated machine
* :mod:`ulm_z80.bench` — sizes and T-states per character
* :mod:`ulm_z80.commands` — ``ulm build`` and ``ulm bench``; :mod:`ulm_z80.engine` — ``ulm ask --engine z80``
"""

from ulm_z80.build import DEFAULT_TPA_BYTES, LAYOUTS, Build, build_program

__version__ = "0.1.0"

__all__ = ["DEFAULT_TPA_BYTES", "LAYOUTS", "Build", "__version__", "build_program"]
