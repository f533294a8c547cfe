"""Our Z80 assembler (Zilog syntax) -- placeholder docstring, see below."""

from .assembler import Assembly, assemble, assemble_file
from .errors import AsmError

__all__ = ["AsmError", "Assembly", "assemble", "assemble_file"]
