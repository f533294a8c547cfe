"""``python -m ulm_emu PROGRAM.COM [ARGS...]``: the same as the ``ulm-emu`` command."""

from __future__ import annotations

import sys

from ulm_emu.cli import main

sys.exit(main())
