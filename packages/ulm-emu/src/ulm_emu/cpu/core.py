"""The :class:`Z80`: registers, counters, the run loop, interrupts; dispatch built from the table.

How it is organised:

* Registers.  The eight 8-bit registers live in one list, ``regs``, indexed ``B C D E H L F A``
  = 0..7.  Indices 0-5 and 7 are exactly the Z80's own 3-bit register field in opcodes, so
  ``regs[r]`` decodes a register operand directly; field value 6 means ``(HL)`` in an opcode
  and has rows of its own, which frees slot 6 for F (so AF is ``regs[7], regs[6]``).  IX and IY
  live in ``xy = [IX, IY]``; the alternate set in ``alt`` (same layout as ``regs``).
  Everything else is a plain attribute.  The public names (``a``, ``bc``, ``ix``, ``r`` ...)
  are properties over this storage.
* Dispatch.  Six tables of 256 handlers -- main, CB, ED, DD, FD and DD CB/FD CB (shared) --
  made from the instruction table (:mod:`ulm_emu.cpu.isa`): each opcode's row names the
  family (:mod:`ulm_emu.cpu.families`) that makes its handler.  The run loop fetches the
  opcode, counts the instruction and calls the main-table handler; prefix handlers fetch
  their second byte.
* Cores.  ``Z80(core="c")`` runs :meth:`run` in the optional compiled core
  (:mod:`ulm_emu.cpu.ccore`), built from the same table; ``"python"`` keeps everything in
  Python; ``"auto"`` (the default, or ``$ULM_EMU_CORE``) takes the C core when it can be
  built.  Everything else -- the state, :meth:`step`, interrupts -- is the same Python object.

Exact silicon details and where they are handled:

* T-states: per handler, taken/not taken branches and block repeats inside it.
* R: the low 7 bits count M1 cycles, bit 7 only changes by ``LD R,A``.  To keep the loop cheap
  R is derived: ``(instructions + _r_adj) & 0x7F | _r_hi``; every instruction counts one M1
  through ``instructions``, prefixes, halt cycles and interrupt acknowledges add to ``_r_adj``.
* Q (the NMOS flag latch seen by SCF/CCF X/Y): instructions that write F set
  ``_q_at = instructions``; SCF and CCF check whether the previous instruction did.
* MEMPTR (WZ) is kept exactly (memptr_eng.txt) since it leaks into BIT n,(HL) X/Y flags.
* EI delay: EI records ``_ei_at``; ``interrupt()`` refuses right after it (and right after a
  stray DD/FD prefix, which also does not accept interrupts).
* HALT raises :class:`~ulm_emu.cpu.families.control.Halted` out of the run loop, so the loop
  itself never tests a flag per instruction.

Sources of facts: Zilog Z80 CPU User Manual UM0080; Sean Young, "The Undocumented Z80
Documented" v0.91; memptr_eng.txt; block-instruction repeat flags as measured by David
Banks/hoglet (2018) and encoded in the SingleStepTests vectors.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

from ulm_emu.cpu import ccore, isa
from ulm_emu.cpu.families import Handler, IndexCBHandler, arithmetic, rotate
from ulm_emu.cpu.families.control import Halted, after_ignored_prefix
from ulm_emu.cpu.flags import NEVER, PF, RF

CORES = ("auto", "c", "python")
CORE_VARIABLE = "ULM_EMU_CORE"


def _no_device_in(port: int) -> int:
    """Nothing drives the data bus: an IN reads 0xFF."""
    return 0xFF


def _no_device_out(port: int, value: int) -> None:
    """Nothing listens: an OUT goes nowhere."""


def _register8(storage: str, index: int) -> property:
    def get(self: Z80) -> int:
        return getattr(self, storage)[index]  # type: ignore[no-any-return]

    def set_(self: Z80, value: int) -> None:
        getattr(self, storage)[index] = value & 0xFF

    return property(get, set_)


def _register16(storage: str, hi: int, lo: int) -> property:
    def get(self: Z80) -> int:
        registers = getattr(self, storage)
        return (registers[hi] << 8) | registers[lo]  # type: ignore[no-any-return]

    def set_(self: Z80, value: int) -> None:
        registers = getattr(self, storage)
        registers[hi] = (value >> 8) & 0xFF
        registers[lo] = value & 0xFF

    return property(get, set_)


class Z80:
    """The CPU.  See the module docstring for the layout and the API.

    ``Z80(memory, core=None)``: ``memory`` is a 65536-byte bytearray, shared, not copied;
    ``core`` is ``"auto"``, ``"c"`` or ``"python"`` (default: ``$ULM_EMU_CORE``, else auto).
    The handlers capture the lists ``regs``, ``alt`` and ``xy`` and the memory: change their
    items freely, but do not rebind ``regs``/``alt``/``xy`` (assigning ``memory`` is fine, it
    rebuilds the tables).
    """

    __slots__ = (
        "_alu_ops", "_cb", "_compiled", "_dd", "_ddcb", "_ed", "_ei_at", "_fd", "_ldair_at",
        "_main", "_mem", "_q_at", "_r_adj", "_r_hi", "_rot_ops", "alt", "core", "halted", "i",
        "iff1", "iff2", "im", "instructions", "memptr", "pc", "port_in", "port_out", "regs",
        "sp", "tstates", "xy",
    )  # fmt: skip

    def __init__(self, memory: bytearray | None = None, *, core: str | None = None) -> None:
        if memory is None:
            memory = bytearray(0x10000)
        if len(memory) != 0x10000:
            raise ValueError(f"Z80 memory must be 65536 bytes, not {len(memory)}")
        self.regs: list[int] = [0xFF] * 8  # power-on: AF and SP are 0xFFFF on NMOS parts
        self.alt: list[int] = [0xFF] * 8
        self.xy: list[int] = [0xFFFF, 0xFFFF]
        self.sp = 0xFFFF
        self.pc = 0
        self.i = 0
        self._r_hi = 0
        self._r_adj = 0
        self.memptr = 0
        self.iff1 = False
        self.iff2 = False
        self.im = 0
        self.halted = False
        self.tstates = 0
        self.instructions = 0
        self.port_in: Callable[[int], int] = _no_device_in
        self.port_out: Callable[[int, int], None] = _no_device_out
        self._q_at = NEVER
        self._ei_at = NEVER
        self._ldair_at = NEVER
        self._mem = memory
        self._build_tables()
        self._compiled = _select_core(self, core)
        self.core = "python" if self._compiled is None else "c"

    # ------------------------------------------------------------------ API properties
    @property
    def memory(self) -> bytearray:
        return self._mem

    @memory.setter
    def memory(self, memory: bytearray) -> None:
        if len(memory) != 0x10000:
            raise ValueError(f"Z80 memory must be 65536 bytes, not {len(memory)}")
        self._mem = memory
        self._build_tables()  # the handlers capture the memory object

    b = _register8("regs", 0)
    c = _register8("regs", 1)
    d = _register8("regs", 2)
    e = _register8("regs", 3)
    h = _register8("regs", 4)
    l = _register8("regs", 5)  # noqa: E741 - the Z80 register is called L
    f = _register8("regs", 6)
    a = _register8("regs", 7)
    b_ = _register8("alt", 0)
    c_ = _register8("alt", 1)
    d_ = _register8("alt", 2)
    e_ = _register8("alt", 3)
    h_ = _register8("alt", 4)
    l_ = _register8("alt", 5)
    f_ = _register8("alt", 6)
    a_ = _register8("alt", 7)
    bc = _register16("regs", 0, 1)
    de = _register16("regs", 2, 3)
    hl = _register16("regs", 4, 5)
    af = _register16("regs", 7, 6)
    bc_ = _register16("alt", 0, 1)
    de_ = _register16("alt", 2, 3)
    hl_ = _register16("alt", 4, 5)
    af_ = _register16("alt", 7, 6)

    @property
    def ix(self) -> int:
        return self.xy[0]

    @ix.setter
    def ix(self, value: int) -> None:
        self.xy[0] = value & 0xFFFF

    @property
    def iy(self) -> int:
        return self.xy[1]

    @iy.setter
    def iy(self, value: int) -> None:
        self.xy[1] = value & 0xFFFF

    @property
    def r(self) -> int:
        """The refresh register: bit 7 as last loaded, bits 0-6 counting M1 cycles."""
        return self._r_hi | ((self.instructions + self._r_adj) & 0x7F)

    @r.setter
    def r(self, value: int) -> None:
        self._r_hi = value & 0x80
        self._r_adj = (value & 0x7F) - self.instructions

    @property
    def q(self) -> int:
        """The NMOS flag latch Q: F if the last instruction wrote the flags, else 0."""
        return self.regs[RF] if self._q_at == self.instructions else 0

    @q.setter
    def q(self, value: int) -> None:
        """Set Q as it would be after an instruction: nonzero means 'the flags were written'."""
        self._q_at = self.instructions if value else NEVER

    @property
    def last_was_ei(self) -> bool:
        """Whether the last instruction was EI (or a stray prefix): no interrupt is accepted now."""
        return self._ei_at == self.instructions

    @last_was_ei.setter
    def last_was_ei(self, value: bool) -> None:
        self._ei_at = self.instructions if value else NEVER

    @property
    def last_was_ld_a_ir(self) -> bool:
        """Whether the last instruction was LD A,I or LD A,R (an interrupt now clears P/V)."""
        return self._ldair_at == self.instructions

    @last_was_ld_a_ir.setter
    def last_was_ld_a_ir(self, value: bool) -> None:
        self._ldair_at = self.instructions if value else NEVER

    # ------------------------------------------------------------------ execution
    def step(self) -> int:
        """Execute one instruction (or one 4-T-state HALT cycle); return its T-states."""
        if self.halted:
            self._r_adj += 1  # the CPU keeps executing NOPs (M1 cycles) while halted
            self.tstates += 4
            return 4
        pc = self.pc
        self.instructions += 1
        self.pc = (pc + 1) & 0xFFFF
        try:
            t = self._main[self._mem[pc]]()
        except Halted as halt:
            t = halt.tstates
        self.tstates += t
        return t

    def run(self, until_tstates: int, stops: frozenset[int] = frozenset()) -> None:
        """Execute until tstates >= until_tstates, or halted becomes True, or the PC is in
        `stops` before an instruction -- except the very first instruction of this call, so a
        caller can resume from a stop address without removing it.

        ``tstates`` is brought up to date when this returns (also on an exception
        raised by a port callback); ``instructions`` is always current.
        """
        if self.halted or self.tstates >= until_tstates:
            return
        if self._compiled is not None:
            self._compiled.run(until_tstates, stops)
            return
        self.step()
        if self.halted:
            return
        mem = self._mem
        main = self._main
        t = self.tstates
        n = self.instructions
        try:
            if stops:
                while t < until_tstates:
                    pc = self.pc
                    if pc in stops:
                        break
                    n += 1
                    self.instructions = n
                    self.pc = (pc + 1) & 0xFFFF
                    t += main[mem[pc]]()
            else:
                while t < until_tstates:
                    pc = self.pc
                    n += 1
                    self.instructions = n
                    self.pc = (pc + 1) & 0xFFFF
                    t += main[mem[pc]]()
        except Halted as halt:
            t += halt.tstates
        finally:
            self.tstates = t

    def interrupt(self, data: int = 0xFF) -> bool:
        """Raise a maskable interrupt with ``data`` on the bus; False if not accepted.

        Not accepted while IFF1 is clear, right after EI, or right after a stray DD/FD prefix.
        IM 0 executes ``data`` as a one-byte instruction (in practice RST n; 2 extra T-states
        for the acknowledge cycle), IM 1 is RST 38h (13 T-states), IM 2 jumps through the word
        at I:data (19).
        """
        if not self.iff1 or self._ei_at == self.instructions:
            return False
        if self._ldair_at == self.instructions:
            # NMOS erratum: LD A,I / LD A,R interrupted right away read P/V as 0.
            self.regs[RF] &= ~PF & 0xFF
        self.halted = False
        self.iff1 = self.iff2 = False
        self._r_adj += 1
        self._q_at = NEVER
        if self.im == 2:
            self._push(self.pc)
            vector = ((self.i << 8) | (data & 0xFF)) & 0xFFFF
            mem = self._mem
            self.pc = mem[vector] | (mem[(vector + 1) & 0xFFFF] << 8)
            self.memptr = self.pc
            t = 19
        elif self.im == 1:
            self._push(self.pc)
            self.pc = self.memptr = 0x38
            t = 13
        else:
            try:
                t = 2 + self._main[data & 0xFF]()
            except Halted as halt:
                t = 2 + halt.tstates
        self.tstates += t
        return True

    def nmi(self) -> None:
        """Non-maskable interrupt: IFF1 saved in IFF2 and cleared, RST 66h, 11 T-states."""
        self.halted = False
        self.iff2 = self.iff1  # UM0080: "IFF1 is copied to IFF2" so RETN can restore it
        self.iff1 = False
        self._r_adj += 1
        self._q_at = NEVER
        self._push(self.pc)
        self.pc = self.memptr = 0x66
        self.tstates += 11

    def _push(self, value: int) -> None:
        sp = (self.sp - 1) & 0xFFFF
        self._mem[sp] = (value >> 8) & 0xFF
        sp = (sp - 1) & 0xFFFF
        self._mem[sp] = value & 0xFF
        self.sp = sp

    # ------------------------------------------------------------------ dispatch tables
    def _build_tables(self) -> None:
        """Make every opcode's handler with the family its table row names.

        This makes about 2000 closures; the cyclic garbage collector is paused meanwhile, or
        its collections (triggered by the allocations) cost more than building the tables.
        """
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            tables = isa.tables()
            # The prefix handlers capture these list objects; they are filled below.
            self._cb: list[Handler] = []
            self._ed: list[Handler] = []
            self._dd: list[Handler] = []
            self._fd: list[Handler] = []
            self._ddcb: list[IndexCBHandler] = []
            self._alu_ops = arithmetic.alu_operations(self)
            self._rot_ops = rotate.rotate_operations(self)
            self._main: list[Handler] = [self._make(op) for op in tables["main"]]
            self._cb[:] = [self._make(op) for op in tables["CB"]]
            self._ed[:] = [self._make(op) for op in tables["ED"]]
            self._ddcb[:] = [self._make(op) for op in tables["DDCB"]]
            self._dd[:] = [self._make(op) for op in tables["DD"]]
            self._fd[:] = [self._make(op) for op in tables["FD"]]
        finally:
            if gc_was_enabled:
                gc.enable()

    def _make(self, opcode: isa.Opcode) -> Callable[..., int]:
        """The handler of one opcode (an index-CB handler takes the address IX+d)."""
        if opcode.kind == "ignored-prefix":
            return after_ignored_prefix(self._main[opcode.code])
        handler: Callable[..., int] = opcode.family(self, **dict(opcode.parameters))
        return handler


def _select_core(cpu: Z80, core: str | None) -> ccore.CompiledCore | None:
    """The compiled core for ``cpu``, or None to run in Python."""
    choice = core if core is not None else os.environ.get(CORE_VARIABLE) or "auto"
    if choice not in CORES:
        raise ValueError(f"unknown Z80 core {choice!r}: choose from {', '.join(CORES)}")
    if choice == "python":
        return None
    try:
        return ccore.CompiledCore(cpu)
    except ccore.CoreUnavailable:
        if choice == "c":
            raise
        return None
