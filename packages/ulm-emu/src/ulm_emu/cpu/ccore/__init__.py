"""The optional C core: :meth:`Z80.run <ulm_emu.cpu.Z80.run>` in compiled code.

``pip install ulm-emu`` installs pure Python.  When a C compiler is found (``$CC``, else
``cc``, ``gcc`` or ``clang``), the first Z80 that asks for this core compiles ``z80core.c``
with the dispatch code generated from the instruction table (:mod:`.generate`) into a shared
library, kept in ``$ULM_EMU_CACHE``, else ``$XDG_CACHE_HOME/ulm-emu``, else
``~/.cache/ulm-emu`` (a folder that must belong to the user and be writable by nobody else;
otherwise a private temporary folder is used for the process).  The library is named after a
hash of its sources, compiler and platform, so a changed source builds anew.  It is loaded with
:mod:`ctypes`; nothing is needed beyond the compiler.

The C core runs what :meth:`run` runs; the state stays in the Python object (copied in and out
at each call, a few microseconds).  :meth:`step`, interrupts and every instruction that talks
to a port (IN, OUT, INI ... OTDR) run in Python: the C loop stops before a port instruction
and the Python core executes it, so port callbacks and their exceptions behave the same with
either core.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ulm_emu.cpu.ccore.generate import dispatch_source
from ulm_emu.errors import EmuError

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80

SOURCE = Path(__file__).with_name("z80core.c")
CACHE_VARIABLE = "ULM_EMU_CACHE"
CFLAGS = ("-O2", "-shared", "-fPIC")
#: The state vector, as the C side's S_* enum orders it.
STATE_FIELDS = (
    *(f"regs[{i}]" for i in range(8)), *(f"alt[{i}]" for i in range(8)), "ix", "iy", "sp", "pc",
    "memptr", "i", "_r_hi", "im", "iff1", "iff2", "halted", "tstates", "instructions",
    "_r_adj", "_q_at", "_ei_at", "_ldair_at",
)  # fmt: skip
RUN_UNTIL, RUN_STOP, RUN_HALT, RUN_IO = range(4)
INT64_MAX = 2**63 - 1


class CoreUnavailable(EmuError):  # noqa: N818 - "the C core is unavailable: <why>"
    """The C core cannot be built or loaded here; the message says why."""

    def __str__(self) -> str:
        return f"the C core is unavailable: {self.args[0]}"


def _compiler() -> str:
    candidates = [os.environ["CC"]] if os.environ.get("CC") else ["cc", "gcc", "clang"]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise CoreUnavailable(f"no C compiler found ({', '.join(candidates)})")


def _user_id() -> int | None:
    """The effective user id, or None where the platform has none (WebAssembly, Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid() if geteuid is not None else None


def _private_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of ours that nobody else may write (safe to load from)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == _user_id()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def cache_folder() -> Path:
    """Where compiled cores are kept (see the module docstring); created when missing."""
    if os.environ.get(CACHE_VARIABLE):
        folder = Path(os.environ[CACHE_VARIABLE])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "ulm-emu"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass
    if _private_folder(folder) and os.access(folder, os.W_OK):
        return folder
    return Path(tempfile.mkdtemp(prefix="ulm-emu-core-"))


def _build(folder: Path) -> Path:
    """Compile the core into ``folder`` unless a library of the same sources is there."""
    compiler = _compiler()
    source = SOURCE.read_text()
    dispatch = dispatch_source()
    identity = "\0".join((source, dispatch, compiler, *CFLAGS, sys.platform, platform.machine()))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    library = folder / f"z80core-{digest}.so"
    if library.is_file():
        return library
    with tempfile.TemporaryDirectory(prefix="ulm-emu-build-") as work:
        Path(work, "z80core.c").write_text(source)
        Path(work, "z80dispatch.h").write_text(dispatch)
        built = Path(work, "z80core.so")
        done = subprocess.run(
            [compiler, *CFLAGS, "-o", str(built), "z80core.c"],
            cwd=work, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not built.is_file():
            first = (done.stderr or done.stdout).strip().splitlines()[:1]
            raise CoreUnavailable(f"{compiler} failed: {first[0] if first else done.returncode}")
        partial = folder / f".{library.name}.{os.getpid()}"
        shutil.copyfile(built, partial)
        os.replace(partial, library)  # atomic: a parallel build of the same core is harmless
    return library


_lock = threading.Lock()
_loaded: list[ctypes.CDLL] = []
_failure: list[str] = []


def library() -> ctypes.CDLL:
    """The compiled core, built on first use; raises :class:`CoreUnavailable`."""
    with _lock:
        if _loaded:
            return _loaded[0]
        if _failure:
            raise CoreUnavailable(_failure[0])
        try:
            if sys.platform == "emscripten":  # Pyodide: no compiler, no processes
                raise CoreUnavailable("this platform (WebAssembly) cannot compile or load it")
            path = _build(cache_folder())
            loaded = ctypes.CDLL(str(path))
        except CoreUnavailable as exc:
            _failure.append(exc.args[0])
            raise
        except OSError as exc:
            _failure.append(f"cannot load it: {exc}")
            raise CoreUnavailable(_failure[0]) from exc
        except Exception as exc:  # an optional accelerator must never stop the emulator
            _failure.append(f"cannot build it: {type(exc).__name__}: {exc}")
            raise CoreUnavailable(_failure[0]) from exc
        loaded.ulm_z80_run.restype = ctypes.c_int
        loaded.ulm_z80_run.argtypes = (
            ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_uint8), ctypes.c_int64,
            ctypes.c_void_p, ctypes.c_int,
        )  # fmt: skip
        if loaded.ulm_z80_state_size() != len(STATE_FIELDS):
            raise CoreUnavailable("the compiled core's state layout does not match")
        _loaded.append(loaded)
        return loaded


def availability() -> str:
    """``"available"``, or why the C core cannot be used here."""
    try:
        library()
    except CoreUnavailable as exc:
        return str(exc.args[0])
    return "available"


class CompiledCore:
    """Runs one :class:`~ulm_emu.cpu.Z80`'s :meth:`run` in the C core."""

    def __init__(self, cpu: Z80) -> None:
        self._cpu = cpu
        self._run = library().ulm_z80_run
        self._state = (ctypes.c_int64 * len(STATE_FIELDS))()
        self._memory_of: bytearray | None = None
        self._memory_view: ctypes.Array[ctypes.c_uint8] | None = None
        self._stops_of: frozenset[int] | None = None
        self._stops_map: ctypes.Array[ctypes.c_uint8] | None = None

    def _memory(self) -> ctypes.Array[ctypes.c_uint8]:
        memory = self._cpu.memory
        if memory is not self._memory_of or self._memory_view is None:
            self._memory_view = (ctypes.c_uint8 * 0x10000).from_buffer(memory)
            self._memory_of = memory
        return self._memory_view

    def _stops(self, stops: frozenset[int]) -> ctypes.Array[ctypes.c_uint8] | None:
        if not stops:
            return None
        if stops is not self._stops_of and stops != self._stops_of:
            flags = (ctypes.c_uint8 * 0x10000)()
            for address in stops:
                flags[address & 0xFFFF] = 1
            self._stops_of, self._stops_map = stops, flags
        return self._stops_map

    def _put(self) -> None:
        cpu = self._cpu
        self._state[:] = [
            *cpu.regs, *cpu.alt, *cpu.xy, cpu.sp, cpu.pc, cpu.memptr, cpu.i, cpu._r_hi, cpu.im,
            int(cpu.iff1), int(cpu.iff2), int(cpu.halted), cpu.tstates, cpu.instructions,
            cpu._r_adj, cpu._q_at, cpu._ei_at, cpu._ldair_at,
        ]  # fmt: skip

    def _get(self) -> None:
        cpu = self._cpu
        values = self._state[:]
        cpu.regs[:] = values[0:8]
        cpu.alt[:] = values[8:16]
        cpu.xy[:] = values[16:18]
        (cpu.sp, cpu.pc, cpu.memptr, cpu.i, cpu._r_hi, cpu.im, iff1, iff2, halted, cpu.tstates,
         cpu.instructions, cpu._r_adj, cpu._q_at, cpu._ei_at, cpu._ldair_at) = values[18:]  # fmt: skip
        cpu.iff1, cpu.iff2, cpu.halted = bool(iff1), bool(iff2), bool(halted)

    def run(self, until_tstates: int, stops: frozenset[int]) -> None:
        """:meth:`Z80.run` (the caller has checked that the CPU is not halted and not done)."""
        cpu = self._cpu
        memory = self._memory()
        stop_map = self._stops(stops)
        until = min(until_tstates, INT64_MAX)
        check_first = 0
        while True:
            self._put()
            reason = self._run(self._state, memory, until, stop_map, check_first)
            self._get()
            if reason != RUN_IO:
                return
            cpu.step()  # the port instruction, in Python; its exceptions reach our caller
            if cpu.halted or cpu.tstates >= until_tstates:
                return
            check_first = 1
