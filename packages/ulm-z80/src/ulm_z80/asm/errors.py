"""The assembler's exception types."""

from __future__ import annotations

from ulm_spec.errors import UlmError


class AsmError(UlmError):
    """A problem in assembly source: ``str(err)`` is ``file:line: message``."""

    def __init__(self, message: str, file: str = "<asm>", line: int = 0) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")


class AddressSpaceError(AsmError):
    """The program runs past address 0FFFFh: it does not fit the Z80's 64 KB (a linker turns this
    into its budget error)."""
