"""The ``ulm`` command line: built-in spec-level subcommands plus those of installed packages.

Packages add subcommands through the ``ulm.commands`` entry-point group
(:class:`ulm_spec.plugins.Command`). A subcommand that belongs to a package that is not installed
still appears, and says which package to install.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ulm_cli import __version__
from ulm_cli.commands import BUILTIN_COMMANDS
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
    """Entry point of the ``ulm`` script; returns the exit status."""
    try:
        commands = available_commands()
        parser = build_parser(commands)
        args = parser.parse_args(argv)
        command: Command | None = getattr(args, "_command", None)
        if command is None:
            parser.print_help()
            return 2
        return command.run(args)
    except UlmError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of our output went away (``ulm inspect X | head``): stop quietly, as a
        # program killed by SIGPIPE would, without a second error when Python flushes stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + 13
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
