"""ulm-emu runs where numpy cannot be installed (in the browser, under Pyodide): importing it and
running a program must not load numpy or msgpack, which only ulm-spec's model code needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys

    class Blocked:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("numpy", "msgpack"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, Blocked())
    import ulm_emu
    from ulm_emu.interactive import InteractiveSession

    hello = bytes.fromhex("11 09 01 0E 09 CD 05 00 C9") + b"Hi!$"
    turn = InteractiveSession(hello).start()
    assert turn.text == b"Hi!" and turn.exit_reason == "warm-boot", turn
    assert not any(name.partition(".")[0] in ("numpy", "msgpack") for name in sys.modules)
    print("ok")
    """
)


def test_import_ulm_emu_and_run_a_program_with_numpy_blocked() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
