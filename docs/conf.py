"""Sphinx configuration for the ulm documentation."""

from __future__ import annotations

import sys
from pathlib import Path

# Local extensions (the generated CLI reference) live in docs/_ext.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "ulm"
author = "ulm developers"
copyright = "2026, ulm developers"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "ulm_cli_help",
    "ulm_train_options",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
