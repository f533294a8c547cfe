"""The ``ulm`` command line: built-in spec-level subcommands plus those of installed packages.

Packages add subcommands through the ``ulm.commands`` entry-point group
(:class:`ulm_spec.plugins.Command`). A subcommand that belongs to a package that is not installed
still appears, and says which package to install.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence

from ulm_cli import __version__
from ulm_cli.commands import BUILTIN_COMMANDS
from ulm_cli.terminal import (
    Terminated,
    closed_at_start,
    printable,
    repair_standard_streams,
    say,
    signals_as_exceptions,
    silence_stdout,
)
from ulm_spec.errors import UlmError
from ulm_spec.plugins import COMMAND_PROVIDERS, Command, load_commands

PROG = "ulm"


class _MissingCommand:
    """Stands in for a subcommand whose package is not installed."""

    def __init__(self, name: str, package: str) -> None:
        self.name = name
        self.package = package
        self.help = f"(not installed: pip install {package})"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(self, args: argparse.Namespace) -> int:
        raise UlmError(f"'ulm {self.name}' is provided by the {self.package} package: pip install {self.package}")


def available_commands() -> dict[str, Command]:
    """Built-in commands, then installed plugins, then placeholders for known missing ones."""
    commands: dict[str, Command] = dict(BUILTIN_COMMANDS)
    commands.update(load_commands())
    for name, package in COMMAND_PROVIDERS.items():
        commands.setdefault(name, _MissingCommand(name, package))
    return commands


def build_parser(commands: dict[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="ulm: tiny 2-bit language models for the Z80 and CP/M (Z80-μLM as software).",
        epilog="Run 'ulm COMMAND --help' for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(commands):
        command = commands[name]
        child = sub.add_parser(
            name,
            help=command.help,
            description=command.help,
            epilog=getattr(command, "example", None) or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(child)
        child.set_defaults(_command=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ulm`` script; returns the exit status.

    Exit statuses: 0 done, 1 an error (one line ``ulm: error: ...`` on stderr), 2 a usage error,
    130 Ctrl-C, 141 the reader of the output went away, 143 SIGTERM (129 SIGHUP). Never a
    traceback for anything a user or the environment can cause.
    """
    try:
        repair_standard_streams()
        with signals_as_exceptions():
            return _run(argv)
    except KeyboardInterrupt:
        _flush_or_drop_stdout()
        say(f"{PROG}: interrupted")
        return 130
    except Terminated as exc:
        _flush_or_drop_stdout()
        return exc.status


def _flush_or_drop_stdout() -> None:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        silence_stdout()


def _run(argv: Sequence[str] | None) -> int:
    try:
        commands = available_commands()
        parser = build_parser(commands)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version or a usage error: argparse has printed it
            sys.stdout.flush()
            return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        command: Command | None = getattr(args, "_command", None)
        if command is None:
            parser.print_help()
            status = 2
        else:
            status = command.run(args)
        sys.stdout.flush()  # here, so that a failing stdout is reported like any other error
        return status
    except UlmError as exc:
        say(f"{PROG}: error: {printable(str(exc))}")
        return 1
    except BrokenPipeError:
        # The reader of our output went away (``ulm inspect X | head``): stop quietly, as a
        # program killed by SIGPIPE would, without a second error when Python flushes stdout.
        silence_stdout()
        return 128 + 13
    except OSError as exc:
        silence_stdout()  # if it was stdout that failed, the exit flush must not fail again
        say(f"{PROG}: error: {printable(_os_error_text(exc))}")
        return 1


def _os_error_text(exc: OSError) -> str:
    if getattr(exc, "filename", None):
        return f"{exc.filename}: {exc.strerror or exc}"
    if exc.errno == errno.EBADF and "stdout" in closed_at_start:
        return "cannot write the output: standard output is closed"
    if exc.errno in (errno.EBADF, errno.EIO):
        return f"a standard stream (input, output or error) failed: {exc.strerror}"
    return str(exc.strerror or exc)


if __name__ == "__main__":
    sys.exit(main())
