"""Regenerate ulm-spec's golden vectors: python packages/ulm-spec/scripts/make_golden.py [--check]"""

from __future__ import annotations

import sys
from pathlib import Path

from ulm_spec.golden import GOLDEN_FILE, render_golden

TARGET = Path(__file__).resolve().parent.parent / "src" / "ulm_spec" / "data" / GOLDEN_FILE


def main() -> int:
    text = render_golden()
    if "--check" in sys.argv[1:]:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.name}: {'identical' if same else 'DIFFERS from a fresh regeneration'}")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
