"""Sphinx extension: render the ``ulm`` and ``ulm-emu`` command help from the parsers themselves.

``.. ulm-commands::`` writes one section per ``ulm`` subcommand (what ``ulm COMMAND --help``
prints, plus the package that provides it). ``.. ulm-emu-help::`` writes the help of the
``ulm-emu`` script. Because the text comes from the installed code, it cannot go stale; a
subcommand whose package is not installed is still listed, with the package to install.
"""

from __future__ import annotations

import argparse
import os
from importlib.metadata import entry_points

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

# argparse wraps at the terminal width; fix it so the pages do not depend on who builds them.
HELP_COLUMNS = "92"


def _providers() -> dict[str, str]:
    """Subcommand name -> the distribution whose ``ulm.commands`` entry point provides it."""
    found: dict[str, str] = {}
    for ep in entry_points(group="ulm.commands"):
        found[ep.name] = ep.dist.name if ep.dist is not None else "?"
    return found


def _literal(text: str) -> list[str]:
    lines = ["::", ""]
    lines += ["   " + line if line.strip() else "" for line in text.rstrip().splitlines()]
    lines.append("")
    return lines


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class UlmCommandsDirective(SphinxDirective):
    """One section per ``ulm`` subcommand, with its ``--help`` as a literal block."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        os.environ["COLUMNS"] = HELP_COLUMNS
        from ulm_cli.main import available_commands, build_parser
        from ulm_spec.plugins import COMMAND_PROVIDERS

        commands = available_commands()
        parser = build_parser(commands)
        providers = _providers()
        lines: list[str] = []
        for name, child in sorted(_subparsers(parser).items()):
            title = f"ulm {name}"
            lines += [title, "-" * len(title), ""]
            if name in providers:
                lines += [f"Provided by the ``{providers[name]}`` package.", ""]
            elif name in COMMAND_PROVIDERS:
                package = COMMAND_PROVIDERS[name]
                lines += [
                    f"Provided by the ``{package}`` package, which was not installed when this "
                    f"page was built (``pip install {package}``).",
                    "",
                ]
            else:
                lines += ["Built into ``ulm-cli``.", ""]
            lines += _literal(child.format_help())
            for action_name, grandchild in sorted(_subparsers(child).items()):
                subtitle = f"ulm {name} {action_name}"
                lines += [subtitle, "~" * len(subtitle), ""]
                lines += _literal(grandchild.format_help())
        return self._parse(lines)

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="ulm --help"), container)
        return list(container.children)


class UlmEmuHelpDirective(UlmCommandsDirective):
    """The ``ulm-emu --help`` text as a literal block."""

    def run(self) -> list[nodes.Node]:
        os.environ["COLUMNS"] = HELP_COLUMNS
        try:
            from ulm_emu.cli import DESCRIPTION, EPILOG, add_arguments
        except ImportError:
            return self._parse(
                ["``ulm-emu`` is provided by the ``ulm-emu`` package, which was not installed "
                 "when this page was built.", ""]
            )
        parser = argparse.ArgumentParser(prog="ulm-emu", description=DESCRIPTION, epilog=EPILOG)
        add_arguments(parser)
        return self._parse(_literal(parser.format_help()))


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("ulm-commands", UlmCommandsDirective)
    app.add_directive("ulm-emu-help", UlmEmuHelpDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
