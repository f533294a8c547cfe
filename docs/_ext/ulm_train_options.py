"""Sphinx extension: the table of ``ulm train``'s training options, read from the dataclass.

``.. ulm-train-options::`` renders one row per field of :class:`ulm_train.config.TrainConfig`
(flag, default, meaning), the same source the command line and the example recipes use, so the
manual cannot show another default than the code has.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _default(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "off" if not value else "on"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class TrainOptionsDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        try:
            from ulm_train.config import defaults, flag, option_help
        except ImportError:
            lines = ["The options table needs ``ulm-train``, which was not installed when this page was built.", ""]
        else:
            lines = [".. list-table::", "   :header-rows: 1", "   :widths: 22 14 64", ""]
            lines += ["   * - option", "     - default", "     - meaning"]
            helps = option_help()
            for name, value in defaults().items():
                lines += [f"   * - ``{flag(name)}``", f"     - ``{_default(value)}``", f"     - {helps[name]}"]
            lines.append("")
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source="ulm_train.config"), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("ulm-train-options", TrainOptionsDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
