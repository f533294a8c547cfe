"""Why a run ends, the exit status of each reason, and the errors of ulm-emu."""

from __future__ import annotations

from ulm_spec.errors import UlmError

# The ways a run ends (``RunResult.exit_reason`` / ``ComResult.exit_reason``).
WARM_BOOT = "warm-boot"
"""The program ended normally: JP 0000h, RET to the CCP, BDOS function 0 or BIOS BOOT/WBOOT."""
END_OF_INPUT = "end-of-input"
"""The program asked for console input after the scripted/piped input was used up."""
TSTATE_LIMIT = "tstate-limit"
HALT = "halt"
UNIMPLEMENTED = "unimplemented"
BDOS_ERROR = "bdos-error"
"""A disk error CP/M reports as ``Bdos Err On A: ...`` and answers with a warm boot."""
HOST_ERROR = "host-error"
INTERRUPTED = "interrupted"

#: The exit status of ``ulm-emu`` / ``ulm run`` for each way a run ends.  1 is any error before
#: the program starts (bad option, missing file, bad symbol file); 2 is argparse's usage error.
EXIT_STATUS: dict[str, int] = {
    WARM_BOOT: 0,
    END_OF_INPUT: 0,
    TSTATE_LIMIT: 3,
    HALT: 4,
    UNIMPLEMENTED: 5,
    BDOS_ERROR: 7,
    HOST_ERROR: 8,
    INTERRUPTED: 130,
}
#: The status when the ``.COM`` file does not fit in the TPA.
EXIT_TOO_LARGE = 6
#: The status when the reader of the program's output went away (128 + SIGPIPE, as a shell
#: reports a program killed by it).
EXIT_BROKEN_PIPE = 141
EXIT_ERROR = 1


class EmuError(UlmError):
    """A user-caused problem with a program, option or file given to ulm-emu."""


class ProgramTooLarge(EmuError):
    """The ``.COM`` file is larger than the TPA of the configured memory size."""


class SymbolFileError(EmuError):
    """A line of a symbol file could not be read."""


class StopRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside the machine (BDOS, BIOS, console) to end the current run."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.message = message
