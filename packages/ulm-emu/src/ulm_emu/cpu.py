"""A cycle-exact NMOS Zilog Z80 core: the opcode decoder and every instruction live here.

Use::

    cpu = Z80(memory)            # memory: a 65536-byte bytearray, shared, not copied
    cpu.pc = 0x0100
    cpu.port_in = lambda port: 0xFF          # 16-bit port address on the bus
    cpu.port_out = lambda port, value: None
    cpu.run(until_tstates=4_000_000, stops=frozenset({0x0005}))
    cpu.step()                   # one instruction (or one HALT cycle), returns T-states
    cpu.interrupt(0xFF)          # maskable INT (IM 0/1/2); False if not accepted
    cpu.nmi()

Counters: ``tstates`` (T-states so far, including interrupt acknowledges) and
``instructions`` (opcode fetches that started an instruction; each repeat of
LDIR and each stray DD/FD prefix counts as one, HALT idle cycles do not).

How it is organised (read this first):

* Registers.  The eight 8-bit registers live in one list, ``regs``, indexed
  ``B C D E H L F A`` = 0..7.  Indices 0-5 and 7 are exactly the Z80's own 3-bit
  register field (``r``) in opcodes, so ``regs[r]`` decodes a register operand
  directly; field value 6 means ``(HL)`` in an opcode and is handled by separate
  handlers, which frees slot 6 for F (so AF is ``regs[7], regs[6]``).  IX and IY
  live in ``xy = [IX, IY]``; the alternate set in ``alt`` (same layout as
  ``regs``).  Everything else is a plain attribute.  The public names from the
  agreed API (``a``, ``bc``, ``ix``, ``r`` ...) are properties over this storage.
* Dispatch.  There are six tables of 256 handlers: main, CB, ED, DD, FD and
  DD CB/FD CB (shared).  A handler is a closure without arguments (DD CB/FD CB ones
  take the effective address) that executes one instruction and returns its
  T-states, prefixes included.  Each table entry is made by one small
  ``_op_*`` factory per instruction family; ``_build_tables`` says which
  opcode uses which family.  The closures capture ``cpu``, ``regs`` and
  ``mem`` so that the hot path is a handful of list and cell accesses.
* The run loop (``run``) fetches the opcode, counts the instruction and
  calls the main-table handler; prefix handlers fetch their second byte.

Exact silicon details and where they are handled:

* T-states: per handler, taken/not taken branches and block repeats inside it.
* R: the low 7 bits count M1 cycles, bit 7 only changes by ``LD R,A``.  To keep
  the loop cheap R is derived: ``(instructions + _r_adj) & 0x7F | _r_hi``;
  every instruction counts one M1 through ``instructions``, prefixes, halt
  cycles and interrupt acknowledges add to ``_r_adj``.
* Q (the NMOS flag latch seen by SCF/CCF X/Y): instructions that write F set
  ``_q_at = instructions``; SCF and CCF check whether the previous
  instruction did.  (Patrik Rak, 2018; z80-python models the same.)
* MEMPTR (WZ) is kept exactly ("memptr_eng", boo_boo & Vladimir Kladov) since
  it leaks into BIT n,(HL) X/Y flags.
* EI delay: EI records ``_ei_at``; ``interrupt()`` refuses right after it (and
  right after a stray DD/FD prefix, which also does not accept interrupts).
* HALT raises the internal ``_Halt`` signal out of the run loop, so the loop
  itself never tests a flag per instruction.

Sources of facts: Zilog Z80 CPU User Manual UM0080; Sean Young, "The
Undocumented Z80 Documented" v0.91; memptr_eng.txt; block-instruction repeat
flags as measured by David Banks/hoglet (2018) and encoded in the
SingleStepTests vectors.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

__all__ = ["Z80", "Handler", "IndexCBHandler"]

Handler = Callable[[], int]
IndexCBHandler = Callable[[int], int]

# Flag bits of F.
SF = 0x80
ZF = 0x40
YF = 0x20  # undocumented bit 5
HF = 0x10
XF = 0x08  # undocumented bit 3
PF = 0x04  # parity / overflow
NF = 0x02
CF = 0x01
XYF = XF | YF

# Register indices in ``regs`` (equal to the opcode register field, except F).
RB, RC, RD, RE, RH, RL, RF, RA = range(8)
HL_MEM = 6  # the opcode register field value meaning (HL)


def _parity_flag(value: int) -> int:
    return PF if bin(value).count("1") % 2 == 0 else 0


#: S, Z and the undocumented X/Y bits of a result byte.
SZXY: tuple[int, ...] = tuple((v & (SF | XYF)) | (ZF if v == 0 else 0) for v in range(256))
PARITY: tuple[int, ...] = tuple(_parity_flag(v) for v in range(256))
SZXYP: tuple[int, ...] = tuple(SZXY[v] | PARITY[v] for v in range(256))
#: Flags of INC r for the result byte (C is preserved by the instruction).
INC_FLAGS: tuple[int, ...] = tuple(
    SZXY[v] | (HF if v & 0x0F == 0 else 0) | (PF if v == 0x80 else 0) for v in range(256)
)
#: Flags of DEC r for the result byte (C is preserved by the instruction).
DEC_FLAGS: tuple[int, ...] = tuple(
    SZXY[v] | NF | (HF if v & 0x0F == 0x0F else 0) | (PF if v == 0x7F else 0) for v in range(256)
)

_NO_Q = -2  # a ``_q_at`` that no instruction number matches


class _Halt(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by HALT out of the run loop; carries the instruction's T-states."""

    def __init__(self, tstates: int) -> None:
        super().__init__(tstates)
        self.tstates = tstates


def _no_device_in(port: int) -> int:
    """Nothing drives the data bus: an IN reads 0xFF."""
    return 0xFF


def _no_device_out(port: int, value: int) -> None:
    """Nothing listens: an OUT goes nowhere."""


def _condition(cc: int) -> tuple[int, int]:
    """(flag mask, wanted value) for condition code cc = NZ Z NC C PO PE P M."""
    mask = (ZF, CF, PF, SF)[cc >> 1]
    return mask, (mask if cc & 1 else 0)


class Z80:
    """The CPU.  See the module docstring for the layout and the API.

    The handlers capture the lists ``regs``, ``alt`` and ``xy`` and the memory:
    change their items freely, but do not rebind ``regs``/``alt``/``xy`` (assigning
    ``memory`` is fine, it rebuilds the tables).
    """

    __slots__ = (
        "_alu_ops",
        "_cb",
        "_dd",
        "_ddcb",
        "_ed",
        "_ei_at",
        "_fd",
        "_ldair_at",
        "_main",
        "_mem",
        "_q_at",
        "_r_adj",
        "_r_hi",
        "_rot_ops",
        "alt",
        "halted",
        "i",
        "iff1",
        "iff2",
        "im",
        "instructions",
        "memptr",
        "pc",
        "port_in",
        "port_out",
        "regs",
        "sp",
        "tstates",
        "xy",
    )

    def __init__(self, memory: bytearray | None = None, *, core: str | None = None) -> None:
        if core not in (None, "auto", "python"):
            raise ValueError(f"unknown Z80 core {core!r}")
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
        self._q_at = _NO_Q
        self._ei_at = _NO_Q
        self._ldair_at = _NO_Q
        self._mem = memory
        self._build_tables()

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

    def _get8(index: int) -> property:  # type: ignore[misc]  # noqa: N805 - class-body helper
        def get(self: Z80) -> int:
            return self.regs[index]

        def set_(self: Z80, value: int) -> None:
            self.regs[index] = value & 0xFF

        return property(get, set_)

    def _get8_alt(index: int) -> property:  # type: ignore[misc]  # noqa: N805
        def get(self: Z80) -> int:
            return self.alt[index]

        def set_(self: Z80, value: int) -> None:
            self.alt[index] = value & 0xFF

        return property(get, set_)

    def _get16(hi: int, lo: int) -> property:  # type: ignore[misc]  # noqa: N805
        def get(self: Z80) -> int:
            return (self.regs[hi] << 8) | self.regs[lo]

        def set_(self: Z80, value: int) -> None:
            self.regs[hi] = (value >> 8) & 0xFF
            self.regs[lo] = value & 0xFF

        return property(get, set_)

    def _get16_alt(hi: int, lo: int) -> property:  # type: ignore[misc]  # noqa: N805
        def get(self: Z80) -> int:
            return (self.alt[hi] << 8) | self.alt[lo]

        def set_(self: Z80, value: int) -> None:
            self.alt[hi] = (value >> 8) & 0xFF
            self.alt[lo] = value & 0xFF

        return property(get, set_)

    b = _get8(RB)
    c = _get8(RC)
    d = _get8(RD)
    e = _get8(RE)
    h = _get8(RH)
    l = _get8(RL)  # noqa: E741 - the Z80 register is called L
    f = _get8(RF)
    a = _get8(RA)
    b_ = _get8_alt(RB)
    c_ = _get8_alt(RC)
    d_ = _get8_alt(RD)
    e_ = _get8_alt(RE)
    h_ = _get8_alt(RH)
    l_ = _get8_alt(RL)
    f_ = _get8_alt(RF)
    a_ = _get8_alt(RA)
    bc = _get16(RB, RC)
    de = _get16(RD, RE)
    hl = _get16(RH, RL)
    af = _get16(RA, RF)
    bc_ = _get16_alt(RB, RC)
    de_ = _get16_alt(RD, RE)
    hl_ = _get16_alt(RH, RL)
    af_ = _get16_alt(RA, RF)
    del _get8, _get8_alt, _get16, _get16_alt

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
        self._q_at = self.instructions if value else _NO_Q

    @property
    def last_was_ei(self) -> bool:
        """Whether the last instruction was EI (or a stray prefix): no interrupt is accepted now."""
        return self._ei_at == self.instructions

    @last_was_ei.setter
    def last_was_ei(self, value: bool) -> None:
        self._ei_at = self.instructions if value else _NO_Q

    @property
    def last_was_ld_a_ir(self) -> bool:
        """Whether the last instruction was LD A,I or LD A,R (an interrupt now clears P/V)."""
        return self._ldair_at == self.instructions

    @last_was_ld_a_ir.setter
    def last_was_ld_a_ir(self, value: bool) -> None:
        self._ldair_at = self.instructions if value else _NO_Q

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
        except _Halt as halt:
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
        except _Halt as halt:
            t += halt.tstates
        finally:
            self.tstates = t

    def interrupt(self, data: int = 0xFF) -> bool:
        """Raise a maskable interrupt with ``data`` on the bus; False if not accepted.

        Not accepted while IFF1 is clear, right after EI, or right after a stray
        DD/FD prefix.  IM 0 executes ``data`` as a one-byte instruction (in
        practice RST n; 2 extra T-states for the acknowledge cycle), IM 1 is
        RST 38h (13 T-states), IM 2 jumps through the word at I:data (19).
        """
        if not self.iff1 or self._ei_at == self.instructions:
            return False
        if self._ldair_at == self.instructions:
            # NMOS erratum: LD A,I / LD A,R interrupted right away read P/V as 0.
            self.regs[RF] &= ~PF & 0xFF
        self.halted = False
        self.iff1 = self.iff2 = False
        self._r_adj += 1
        self._q_at = _NO_Q
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
            except _Halt as halt:
                t = 2 + halt.tstates
        self.tstates += t
        return True

    def nmi(self) -> None:
        """Non-maskable interrupt: IFF1 saved in IFF2 and cleared, RST 66h, 11 T-states."""
        self.halted = False
        self.iff2 = self.iff1  # UM0080: "IFF1 is copied to IFF2" so RETN can restore it
        self.iff1 = False
        self._r_adj += 1
        self._q_at = _NO_Q
        self._push(self.pc)
        self.pc = self.memptr = 0x66
        self.tstates += 11

    def _push(self, value: int) -> None:
        sp = (self.sp - 1) & 0xFFFF
        self._mem[sp] = (value >> 8) & 0xFF
        sp = (sp - 1) & 0xFFFF
        self._mem[sp] = value & 0xFF
        self.sp = sp

    # ------------------------------------------------------------------ decoder tables
    def _build_tables(self) -> None:
        """Fill the dispatch tables: which family handles which opcode.

        This makes about 2000 closures; the cyclic garbage collector is paused
        meanwhile, or its collections (triggered by the allocations) cost more
        than building the tables.
        """
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            # The prefix handlers capture these list objects; they are filled below.
            self._cb: list[Handler] = []
            self._ed: list[Handler] = []
            self._dd: list[Handler] = []
            self._fd: list[Handler] = []
            self._ddcb: list[IndexCBHandler] = []
            self._alu_ops = self._make_alu_ops()
            self._rot_ops = self._make_rot_ops()
            self._main = self._build_main()
            self._cb[:] = self._build_cb()
            self._ed[:] = self._build_ed()
            self._ddcb[:] = self._build_index_cb()
            plain = [_after_ignored_prefix(handler) for handler in self._main]
            self._dd[:] = self._build_index(0, plain)
            self._fd[:] = self._build_index(1, plain)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _build_main(self) -> list[Handler]:
        t: list[Handler | None] = [None] * 256
        t[0x00] = self._op_nop()
        for p in range(4):
            t[0x01 | p << 4] = self._op_ld_rr_nn(p)
            t[0x03 | p << 4] = self._op_inc_dec_rr(p, 1)
            t[0x09 | p << 4] = self._op_add_hl_rr(p)
            t[0x0B | p << 4] = self._op_inc_dec_rr(p, -1)
        t[0x02] = self._op_ld_indirect_a(RB)
        t[0x12] = self._op_ld_indirect_a(RD)
        t[0x0A] = self._op_ld_a_indirect(RB)
        t[0x1A] = self._op_ld_a_indirect(RD)
        for r in range(8):
            if r == HL_MEM:
                t[0x34] = self._op_inc_dec_hl_mem(1)
                t[0x35] = self._op_inc_dec_hl_mem(-1)
                t[0x36] = self._op_ld_hl_mem_n()
            else:
                t[0x04 | r << 3] = self._op_inc_r(r)
                t[0x05 | r << 3] = self._op_dec_r(r)
                t[0x06 | r << 3] = self._op_ld_r_n(r)
        t[0x07] = self._op_rlca()
        t[0x0F] = self._op_rrca()
        t[0x17] = self._op_rla()
        t[0x1F] = self._op_rra()
        t[0x08] = self._op_ex_af_af()
        t[0x10] = self._op_djnz()
        t[0x18] = self._op_jr()
        for cc in range(4):
            t[0x20 | cc << 3] = self._op_jr_cc(cc)
        t[0x22] = self._op_ld_nn_hl()
        t[0x2A] = self._op_ld_hl_nn()
        t[0x32] = self._op_ld_nn_a()
        t[0x3A] = self._op_ld_a_nn()
        t[0x27] = self._op_daa()
        t[0x2F] = self._op_cpl()
        t[0x37] = self._op_scf()
        t[0x3F] = self._op_ccf()
        for op in range(0x40, 0x80):
            dst, src = (op >> 3) & 7, op & 7
            if op == 0x76:
                t[op] = self._op_halt(4)
            elif src == HL_MEM:
                t[op] = self._op_ld_r_hl_mem(dst)
            elif dst == HL_MEM:
                t[op] = self._op_ld_hl_mem_r(src)
            else:
                t[op] = self._op_ld_r_r(dst, src)
        for op in range(0x80, 0xC0):
            alu, src = (op >> 3) & 7, op & 7
            t[op] = self._op_alu_hl_mem(alu) if src == HL_MEM else self._op_alu_r(alu, src)
        for cc in range(8):
            t[0xC0 | cc << 3] = self._op_ret_cc(cc)
            t[0xC2 | cc << 3] = self._op_jp_cc(cc)
            t[0xC4 | cc << 3] = self._op_call_cc(cc)
            t[0xC6 | cc << 3] = self._op_alu_n(cc)
            t[0xC7 | cc << 3] = self._op_rst(cc << 3)
        for p in range(3):
            t[0xC1 | p << 4] = self._op_pop_rr(2 * p, 2 * p + 1)
            t[0xC5 | p << 4] = self._op_push_rr(2 * p, 2 * p + 1)
        t[0xF1] = self._op_pop_rr(RA, RF)
        t[0xF5] = self._op_push_rr(RA, RF)
        t[0xC3] = self._op_jp()
        t[0xC9] = self._op_ret()
        t[0xCD] = self._op_call()
        t[0xCB] = self._op_prefix_cb()
        t[0xD3] = self._op_out_n_a()
        t[0xDB] = self._op_in_a_n()
        t[0xD9] = self._op_exx()
        t[0xDD] = self._op_prefix_index(0)
        t[0xFD] = self._op_prefix_index(1)
        t[0xED] = self._op_prefix_ed()
        t[0xE3] = self._op_ex_sp_hl()
        t[0xE9] = self._op_jp_hl()
        t[0xEB] = self._op_ex_de_hl()
        t[0xF3] = self._op_di()
        t[0xFB] = self._op_ei()
        t[0xF9] = self._op_ld_sp_hl()
        return _complete(t, "main")

    def _build_cb(self) -> list[Handler]:
        t: list[Handler | None] = [None] * 256
        for op in range(256):
            group, y, r = op >> 6, (op >> 3) & 7, op & 7
            if group == 0:
                t[op] = self._op_rot_hl_mem(y) if r == HL_MEM else self._op_rot_r(y, r)
            elif group == 1:
                t[op] = self._op_bit_hl_mem(y) if r == HL_MEM else self._op_bit_r(y, r)
            else:
                setting = group == 3
                if r == HL_MEM:
                    t[op] = self._op_res_set_hl_mem(y, setting)
                else:
                    t[op] = self._op_res_set_r(y, r, setting)
        return _complete(t, "CB")

    def _build_ed(self) -> list[Handler]:
        t: list[Handler | None] = [None] * 256
        for y in range(8):
            t[0x40 | y << 3] = self._op_in_r_c(y)
            t[0x41 | y << 3] = self._op_out_c_r(y)
            t[0x44 | y << 3] = self._op_neg()
            t[0x45 | y << 3] = self._op_retn()  # ED 4D is RETI: identical on the CPU
            t[0x46 | y << 3] = self._op_im((0, 0, 1, 2)[y & 3])
        for p in range(4):
            t[0x42 | p << 4] = self._op_sbc_hl_rr(p)
            t[0x4A | p << 4] = self._op_adc_hl_rr(p)
            t[0x43 | p << 4] = self._op_ld_nn_rr(p)
            t[0x4B | p << 4] = self._op_ld_rr_nn_mem(p)
        t[0x47] = self._op_ld_i_a()
        t[0x4F] = self._op_ld_r_a()
        t[0x57] = self._op_ld_a_i()
        t[0x5F] = self._op_ld_a_r()
        t[0x67] = self._op_rrd()
        t[0x6F] = self._op_rld()
        for step, base in ((1, 0xA0), (-1, 0xA8)):
            for repeat, offset in ((False, 0), (True, 0x10)):
                t[base + offset] = self._op_block_ld(step, repeat)
                t[base + offset + 1] = self._op_block_cp(step, repeat)
                t[base + offset + 2] = self._op_block_in(step, repeat)
                t[base + offset + 3] = self._op_block_out(step, repeat)
        nop = self._op_ed_nop()
        return [nop if h is None else h for h in t]

    def _build_index(self, k: int, plain: list[Handler]) -> list[Handler]:
        """The DD (k=0, IX) or FD (k=1, IY) table; handlers include the prefix's 4 T-states.

        ``plain[op]`` is main-table opcode ``op`` after a prefix it ignores.
        """
        t: list[Handler | None] = [None] * 256
        for p in range(4):
            t[0x09 | p << 4] = self._op_add_xy_rr(k, p)
        t[0x21] = self._op_ld_xy_nn(k)
        t[0x22] = self._op_ld_nn_xy(k)
        t[0x2A] = self._op_ld_xy_nn_mem(k)
        t[0x23] = self._op_inc_dec_xy(k, 1)
        t[0x2B] = self._op_inc_dec_xy(k, -1)
        for r in (RH, RL):
            t[0x04 | r << 3] = self._op_inc_dec_xy_half(k, r, 1)
            t[0x05 | r << 3] = self._op_inc_dec_xy_half(k, r, -1)
            t[0x06 | r << 3] = self._op_ld_xy_half_n(k, r)
        t[0x34] = self._op_inc_dec_xy_mem(k, 1)
        t[0x35] = self._op_inc_dec_xy_mem(k, -1)
        t[0x36] = self._op_ld_xy_mem_n(k)
        for op in range(0x40, 0x80):
            dst, src = (op >> 3) & 7, op & 7
            if op == 0x76:
                continue
            if src == HL_MEM:
                t[op] = self._op_ld_r_xy_mem(k, dst)
            elif dst == HL_MEM:
                t[op] = self._op_ld_xy_mem_r(k, src)
            elif src in (RH, RL) or dst in (RH, RL):
                t[op] = self._op_ld_xy_halves(k, dst, src)
        for op in range(0x80, 0xC0):
            alu, src = (op >> 3) & 7, op & 7
            if src == HL_MEM:
                t[op] = self._op_alu_xy_mem(k, alu)
            elif src in (RH, RL):
                t[op] = self._op_alu_xy_half(k, alu, src)
        t[0xCB] = self._op_prefix_index_cb(k)
        t[0xE1] = self._op_pop_xy(k)
        t[0xE3] = self._op_ex_sp_xy(k)
        t[0xE5] = self._op_push_xy(k)
        t[0xE9] = self._op_jp_xy(k)
        t[0xF9] = self._op_ld_sp_xy(k)
        t[0x76] = self._op_halt(8)
        for prefix in (0xDD, 0xED, 0xFD):
            t[prefix] = self._op_stray_prefix()
        for op in range(256):
            if t[op] is None:
                t[op] = plain[op]
        return _complete(t, "DD/FD")

    def _build_index_cb(self) -> list[IndexCBHandler]:
        """DD CB d op and FD CB d op share this table: the handlers get the address IX/IY+d."""
        t: list[IndexCBHandler] = []
        for op in range(256):
            group, y, r = op >> 6, (op >> 3) & 7, op & 7
            if group == 0:
                t.append(self._op_rot_xy_mem(y, r))
            elif group == 1:
                t.append(self._op_bit_xy_mem(y))
            else:
                t.append(self._op_res_set_xy_mem(y, r, group == 3))
        return t

    # ================================================================== main-table families
    def _op_nop(self) -> Handler:
        def op() -> int:
            return 4

        return op

    def _op_halt(self, tstates: int) -> Handler:
        """HALT: PC stays after the opcode; step() then idles in 4-T-state NOP cycles."""
        cpu = self

        def op() -> int:
            cpu.halted = True
            raise _Halt(tstates)

        return op

    def _op_ld_rr_nn(self, p: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        if p == 3:
            def op() -> int:
                pc = cpu.pc
                cpu.sp = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
                cpu.pc = (pc + 2) & 0xFFFF
                return 10
        else:
            hi, lo = 2 * p, 2 * p + 1

            def op() -> int:
                pc = cpu.pc
                regs[lo] = mem[pc]
                regs[hi] = mem[(pc + 1) & 0xFFFF]
                cpu.pc = (pc + 2) & 0xFFFF
                return 10
        return op

    def _op_inc_dec_rr(self, p: int, delta: int) -> Handler:
        cpu, regs = self, self.regs
        if p == 3:
            def op() -> int:
                cpu.sp = (cpu.sp + delta) & 0xFFFF
                return 6
        else:
            hi, lo = 2 * p, 2 * p + 1

            def op() -> int:
                v = (((regs[hi] << 8) | regs[lo]) + delta) & 0xFFFF
                regs[hi] = v >> 8
                regs[lo] = v & 0xFF
                return 6
        return op

    def _op_add_hl_rr(self, p: int) -> Handler:
        """ADD HL,rr: H from bit 11, C from bit 15, X/Y from the high result byte."""
        cpu, regs = self, self.regs
        hi, lo = (2 * p, 2 * p + 1) if p < 3 else (0, 0)

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            v = cpu.sp if p == 3 else (regs[hi] << 8) | regs[lo]
            res = hl + v
            cpu.memptr = (hl + 1) & 0xFFFF
            regs[RF] = (
                (regs[RF] & (SF | ZF | PF))
                | ((res >> 8) & XYF)
                | (((hl ^ v ^ res) >> 8) & HF)
                | (res >> 16)
            )
            cpu._q_at = cpu.instructions
            regs[RH] = (res >> 8) & 0xFF
            regs[RL] = res & 0xFF
            return 11

        return op

    def _op_ld_indirect_a(self, hi: int) -> Handler:
        """LD (BC),A / LD (DE),A: MEMPTR = A:(low byte of address + 1)."""
        cpu, mem, regs = self, self._mem, self.regs
        lo = hi + 1

        def op() -> int:
            a = regs[RA]
            addr_lo = regs[lo]
            mem[(regs[hi] << 8) | addr_lo] = a
            cpu.memptr = (a << 8) | ((addr_lo + 1) & 0xFF)
            return 7

        return op

    def _op_ld_a_indirect(self, hi: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        lo = hi + 1

        def op() -> int:
            addr = (regs[hi] << 8) | regs[lo]
            regs[RA] = mem[addr]
            cpu.memptr = (addr + 1) & 0xFFFF
            return 7

        return op

    def _op_inc_r(self, r: int) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            v = (regs[r] + 1) & 0xFF
            regs[r] = v
            regs[RF] = (regs[RF] & CF) | INC_FLAGS[v]
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_dec_r(self, r: int) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            v = (regs[r] - 1) & 0xFF
            regs[r] = v
            regs[RF] = (regs[RF] & CF) | DEC_FLAGS[v]
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_inc_dec_hl_mem(self, delta: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        table = INC_FLAGS if delta > 0 else DEC_FLAGS

        def op() -> int:
            addr = (regs[RH] << 8) | regs[RL]
            v = (mem[addr] + delta) & 0xFF
            mem[addr] = v
            regs[RF] = (regs[RF] & CF) | table[v]
            cpu._q_at = cpu.instructions
            return 11

        return op

    def _op_ld_r_n(self, r: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            regs[r] = mem[pc]
            cpu.pc = (pc + 1) & 0xFFFF
            return 7

        return op

    def _op_ld_hl_mem_n(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            mem[(regs[RH] << 8) | regs[RL]] = mem[pc]
            cpu.pc = (pc + 1) & 0xFFFF
            return 10

        return op

    def _op_rlca(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA]
            a = ((a << 1) | (a >> 7)) & 0xFF
            regs[RA] = a
            regs[RF] = (regs[RF] & (SF | ZF | PF)) | (a & (XYF | CF))
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_rrca(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA]
            carry = a & 1
            a = (a >> 1) | (carry << 7)
            regs[RA] = a
            regs[RF] = (regs[RF] & (SF | ZF | PF)) | (a & XYF) | carry
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_rla(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA]
            f = regs[RF]
            res = ((a << 1) | (f & CF)) & 0xFF
            regs[RA] = res
            regs[RF] = (f & (SF | ZF | PF)) | (res & XYF) | (a >> 7)
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_rra(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA]
            f = regs[RF]
            res = (a >> 1) | ((f & CF) << 7)
            regs[RA] = res
            regs[RF] = (f & (SF | ZF | PF)) | (res & XYF) | (a & 1)
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_ex_af_af(self) -> Handler:
        regs, alt = self.regs, self.alt

        def op() -> int:
            regs[RF], alt[RF] = alt[RF], regs[RF]
            regs[RA], alt[RA] = alt[RA], regs[RA]
            return 4

        return op

    def _op_exx(self) -> Handler:
        regs, alt = self.regs, self.alt

        def op() -> int:
            regs[0:6], alt[0:6] = alt[0:6], regs[0:6]
            return 4

        return op

    def _op_djnz(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            b = (regs[RB] - 1) & 0xFF
            regs[RB] = b
            pc = cpu.pc
            if b:
                pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
                cpu.pc = cpu.memptr = pc
                return 13
            cpu.pc = (pc + 1) & 0xFFFF
            return 8

        return op

    def _op_jr(self) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            pc = cpu.pc
            pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            cpu.pc = cpu.memptr = pc
            return 12

        return op

    def _op_jr_cc(self, cc: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        mask, want = _condition(cc)

        def op() -> int:
            pc = cpu.pc
            if regs[RF] & mask == want:
                pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
                cpu.pc = cpu.memptr = pc
                return 12
            cpu.pc = (pc + 1) & 0xFFFF
            return 7

        return op

    def _op_ld_nn_hl(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            mem[addr] = regs[RL]
            addr = (addr + 1) & 0xFFFF
            mem[addr] = regs[RH]
            cpu.memptr = addr
            return 16

        return op

    def _op_ld_hl_nn(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            regs[RL] = mem[addr]
            addr = (addr + 1) & 0xFFFF
            regs[RH] = mem[addr]
            cpu.memptr = addr
            return 16

        return op

    def _op_ld_nn_a(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            a = regs[RA]
            mem[addr] = a
            cpu.memptr = (a << 8) | ((addr + 1) & 0xFF)
            return 13

        return op

    def _op_ld_a_nn(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            regs[RA] = mem[addr]
            cpu.memptr = (addr + 1) & 0xFFFF
            return 13

        return op

    def _op_daa(self) -> Handler:
        """DAA as specified by Young section 4.7 (the correction and the H rule)."""
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA]
            f = regs[RF]
            low = a & 0x0F
            correction = 0
            carry = 0
            if f & HF or low > 9:
                correction = 0x06
            if f & CF or a > 0x99:
                correction |= 0x60
                carry = CF
            if f & NF:
                res = (a - correction) & 0xFF
                half = HF if f & HF and low < 6 else 0
            else:
                res = (a + correction) & 0xFF
                half = HF if low > 9 else 0
            regs[RA] = res
            regs[RF] = SZXYP[res] | carry | half | (f & NF)
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_cpl(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            a = regs[RA] ^ 0xFF
            regs[RA] = a
            regs[RF] = (regs[RF] & (SF | ZF | PF | CF)) | (a & XYF) | HF | NF
            cpu._q_at = cpu.instructions
            return 4

        return op

    def _op_scf(self) -> Handler:
        """SCF: X/Y = ((Q xor F) or A) on NMOS; Q = F if the previous instruction set F."""
        cpu, regs = self, self.regs

        def op() -> int:
            f = regs[RF]
            n = cpu.instructions
            source = regs[RA] if cpu._q_at == n - 1 else regs[RA] | f
            regs[RF] = (f & (SF | ZF | PF)) | (source & XYF) | CF
            cpu._q_at = n
            return 4

        return op

    def _op_ccf(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            f = regs[RF]
            n = cpu.instructions
            source = regs[RA] if cpu._q_at == n - 1 else regs[RA] | f
            regs[RF] = (f & (SF | ZF | PF)) | (source & XYF) | ((f & CF) << 4) | ((f & CF) ^ CF)
            cpu._q_at = n
            return 4

        return op

    def _op_ld_r_r(self, dst: int, src: int) -> Handler:
        regs = self.regs

        def op() -> int:
            regs[dst] = regs[src]
            return 4

        return op

    def _op_ld_r_hl_mem(self, dst: int) -> Handler:
        mem, regs = self._mem, self.regs

        def op() -> int:
            regs[dst] = mem[(regs[RH] << 8) | regs[RL]]
            return 7

        return op

    def _op_ld_hl_mem_r(self, src: int) -> Handler:
        mem, regs = self._mem, self.regs

        def op() -> int:
            mem[(regs[RH] << 8) | regs[RL]] = regs[src]
            return 7

        return op

    # ---- 8-bit arithmetic and logic: one operation function per ALU code --------------
    def _alu(self, alu: int) -> Callable[[int], None]:
        """The operation 'A <- A op v' (or the compare) for ALU code 0-7 of opcodes 80-BF."""
        return self._alu_ops[alu]

    def _make_alu_ops(self) -> tuple[Callable[[int], None], ...]:
        """ADD ADC SUB SBC AND XOR OR CP, each as 'apply to A and F with operand v'."""
        cpu, regs = self, self.regs

        def add(v: int) -> None:
            a = regs[RA]
            res = a + v
            regs[RA] = res & 0xFF
            regs[RF] = (
                SZXY[res & 0xFF] | (res >> 8) | ((a ^ v ^ res) & HF)
                | ((((a ^ res) & (v ^ res)) >> 5) & PF)
            )
            cpu._q_at = cpu.instructions

        def adc(v: int) -> None:
            a = regs[RA]
            res = a + v + (regs[RF] & CF)
            regs[RA] = res & 0xFF
            regs[RF] = (
                SZXY[res & 0xFF] | (res >> 8) | ((a ^ v ^ res) & HF)
                | ((((a ^ res) & (v ^ res)) >> 5) & PF)
            )
            cpu._q_at = cpu.instructions

        def sub(v: int) -> None:
            a = regs[RA]
            res = a - v
            regs[RA] = res & 0xFF
            regs[RF] = (
                SZXY[res & 0xFF] | ((res >> 8) & CF) | NF | ((a ^ v ^ res) & HF)
                | ((((a ^ v) & (a ^ res)) >> 5) & PF)
            )
            cpu._q_at = cpu.instructions

        def sbc(v: int) -> None:
            a = regs[RA]
            res = a - v - (regs[RF] & CF)
            regs[RA] = res & 0xFF
            regs[RF] = (
                SZXY[res & 0xFF] | ((res >> 8) & CF) | NF | ((a ^ v ^ res) & HF)
                | ((((a ^ v) & (a ^ res)) >> 5) & PF)
            )
            cpu._q_at = cpu.instructions

        def and_(v: int) -> None:
            res = regs[RA] & v
            regs[RA] = res
            regs[RF] = SZXYP[res] | HF
            cpu._q_at = cpu.instructions

        def xor(v: int) -> None:
            res = regs[RA] ^ v
            regs[RA] = res
            regs[RF] = SZXYP[res]
            cpu._q_at = cpu.instructions

        def or_(v: int) -> None:
            res = regs[RA] | v
            regs[RA] = res
            regs[RF] = SZXYP[res]
            cpu._q_at = cpu.instructions

        def cp(v: int) -> None:
            # Like SUB without storing A; X/Y come from the operand, not the result.
            a = regs[RA]
            res = a - v
            regs[RF] = (
                (SZXY[res & 0xFF] & (SF | ZF)) | (v & XYF) | ((res >> 8) & CF) | NF
                | ((a ^ v ^ res) & HF) | ((((a ^ v) & (a ^ res)) >> 5) & PF)
            )
            cpu._q_at = cpu.instructions

        return (add, adc, sub, sbc, and_, xor, or_, cp)

    def _op_alu_r(self, alu: int, src: int) -> Handler:
        regs = self.regs
        operation = self._alu(alu)

        def op() -> int:
            operation(regs[src])
            return 4

        return op

    def _op_alu_hl_mem(self, alu: int) -> Handler:
        mem, regs = self._mem, self.regs
        operation = self._alu(alu)

        def op() -> int:
            operation(mem[(regs[RH] << 8) | regs[RL]])
            return 7

        return op

    def _op_alu_n(self, alu: int) -> Handler:
        cpu, mem = self, self._mem
        operation = self._alu(alu)

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            operation(mem[pc])
            return 7

        return op

    # ---- jumps, calls, returns, stack -------------------------------------------------
    def _op_ret(self) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            sp = cpu.sp
            cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
            cpu.sp = (sp + 2) & 0xFFFF
            return 10

        return op

    def _op_ret_cc(self, cc: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        mask, want = _condition(cc)

        def op() -> int:
            if regs[RF] & mask != want:
                return 5
            sp = cpu.sp
            cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
            cpu.sp = (sp + 2) & 0xFFFF
            return 11

        return op

    def _op_jp(self) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            pc = cpu.pc
            cpu.pc = cpu.memptr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            return 10

        return op

    def _op_jp_cc(self, cc: int) -> Handler:
        """JP cc,nn: 10 T-states taken or not; MEMPTR = nn either way."""
        cpu, mem, regs = self, self._mem, self.regs
        mask, want = _condition(cc)

        def op() -> int:
            pc = cpu.pc
            target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.memptr = target
            cpu.pc = target if regs[RF] & mask == want else (pc + 2) & 0xFFFF
            return 10

        return op

    def _op_call(self) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            pc = cpu.pc
            target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            pc = (pc + 2) & 0xFFFF
            sp = (cpu.sp - 1) & 0xFFFF
            mem[sp] = pc >> 8
            sp = (sp - 1) & 0xFFFF
            mem[sp] = pc & 0xFF
            cpu.sp = sp
            cpu.pc = cpu.memptr = target
            return 17

        return op

    def _op_call_cc(self, cc: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        mask, want = _condition(cc)

        def op() -> int:
            pc = cpu.pc
            target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.memptr = target
            pc = (pc + 2) & 0xFFFF
            if regs[RF] & mask != want:
                cpu.pc = pc
                return 10
            sp = (cpu.sp - 1) & 0xFFFF
            mem[sp] = pc >> 8
            sp = (sp - 1) & 0xFFFF
            mem[sp] = pc & 0xFF
            cpu.sp = sp
            cpu.pc = target
            return 17

        return op

    def _op_rst(self, target: int) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            pc = cpu.pc
            sp = (cpu.sp - 1) & 0xFFFF
            mem[sp] = pc >> 8
            sp = (sp - 1) & 0xFFFF
            mem[sp] = pc & 0xFF
            cpu.sp = sp
            cpu.pc = cpu.memptr = target
            return 11

        return op

    def _op_pop_rr(self, hi: int, lo: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            sp = cpu.sp
            regs[lo] = mem[sp]
            regs[hi] = mem[(sp + 1) & 0xFFFF]
            cpu.sp = (sp + 2) & 0xFFFF
            return 10

        return op

    def _op_push_rr(self, hi: int, lo: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            sp = (cpu.sp - 1) & 0xFFFF
            mem[sp] = regs[hi]
            sp = (sp - 1) & 0xFFFF
            mem[sp] = regs[lo]
            cpu.sp = sp
            return 11

        return op

    def _op_ex_sp_hl(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            sp = cpu.sp
            sp1 = (sp + 1) & 0xFFFF
            low, high = mem[sp], mem[sp1]
            mem[sp] = regs[RL]
            mem[sp1] = regs[RH]
            regs[RL] = low
            regs[RH] = high
            cpu.memptr = (high << 8) | low
            return 19

        return op

    def _op_jp_hl(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            cpu.pc = (regs[RH] << 8) | regs[RL]
            return 4

        return op

    def _op_ex_de_hl(self) -> Handler:
        regs = self.regs

        def op() -> int:
            regs[RD], regs[RE], regs[RH], regs[RL] = regs[RH], regs[RL], regs[RD], regs[RE]
            return 4

        return op

    def _op_ld_sp_hl(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            cpu.sp = (regs[RH] << 8) | regs[RL]
            return 6

        return op

    def _op_di(self) -> Handler:
        cpu = self

        def op() -> int:
            cpu.iff1 = cpu.iff2 = False
            return 4

        return op

    def _op_ei(self) -> Handler:
        """EI: interrupts are accepted only after the next instruction."""
        cpu = self

        def op() -> int:
            cpu.iff1 = cpu.iff2 = True
            cpu._ei_at = cpu.instructions
            return 4

        return op

    def _op_out_n_a(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            n = mem[pc]
            cpu.pc = (pc + 1) & 0xFFFF
            a = regs[RA]
            cpu.memptr = (a << 8) | ((n + 1) & 0xFF)
            cpu.port_out((a << 8) | n, a)
            return 11

        return op

    def _op_in_a_n(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            port = (regs[RA] << 8) | mem[pc]
            cpu.pc = (pc + 1) & 0xFFFF
            cpu.memptr = (port + 1) & 0xFFFF
            regs[RA] = cpu.port_in(port) & 0xFF
            return 11

        return op

    # ---- prefixes -------------------------------------------------------------------
    def _op_prefix_cb(self) -> Handler:
        cpu, mem, table = self, self._mem, self._cb

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            cpu._r_adj += 1
            return table[mem[pc]]()

        return op

    def _op_prefix_ed(self) -> Handler:
        cpu, mem, table = self, self._mem, self._ed

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            cpu._r_adj += 1
            return table[mem[pc]]()

        return op

    def _op_prefix_index(self, k: int) -> Handler:
        """DD / FD: fetch the next opcode (its own M1) and use the IX / IY table.

        The prefix leaves Q alone: an SCF/CCF after it still sees whether the instruction
        before the prefix wrote the flags (SingleStepTests v1; z80-python clears Q here).
        """
        cpu, mem, table = self, self._mem, (self._fd if k else self._dd)

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            cpu._r_adj += 1
            return table[mem[pc]]()

        return op

    def _op_stray_prefix(self) -> Handler:
        """DD/FD followed by DD, FD or ED: the first prefix is a 4-T-state no-op of its own.

        The following prefix is left to be fetched as the next instruction (Young 3.7:
        the last prefix counts); no interrupt is accepted in between (Young 5.5).
        """
        cpu = self

        def op() -> int:
            n = cpu.instructions
            cpu.pc = (cpu.pc - 1) & 0xFFFF
            cpu._r_adj -= 1  # the next prefix's M1 is counted when it executes
            cpu._ei_at = n
            if cpu._q_at == n - 1:
                cpu._q_at = n  # a prefix leaves Q as the instruction before it set it
            return 4

        return op

    def _op_prefix_index_cb(self, k: int) -> Handler:
        """DD CB d op: d and op are memory reads, not M1 cycles, so R counts only DD and CB."""
        cpu, mem, xy, table = self, self._mem, self.xy, self._ddcb

        def op() -> int:
            pc = cpu.pc
            addr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            sub = mem[(pc + 1) & 0xFFFF]
            cpu.pc = (pc + 2) & 0xFFFF
            cpu.memptr = addr
            return table[sub](addr)

        return op

    # ================================================================== CB table
    def _rot(self, y: int) -> Callable[[int], int]:
        """Rotate/shift operation y (RLC RRC RL RR SLA SRA SLL SRL) on a byte; sets F."""
        return self._rot_ops[y]

    def _make_rot_ops(self) -> tuple[Callable[[int], int], ...]:
        cpu, regs = self, self.regs

        # Each sets F = S Z Y H=0 X P/V=parity N=0 and C = the bit shifted out.
        def rlc(v: int) -> int:
            res = ((v << 1) | (v >> 7)) & 0xFF
            regs[RF] = SZXYP[res] | (v >> 7)
            cpu._q_at = cpu.instructions
            return res

        def rrc(v: int) -> int:
            res = (v >> 1) | ((v & 1) << 7)
            regs[RF] = SZXYP[res] | (v & 1)
            cpu._q_at = cpu.instructions
            return res

        def rl(v: int) -> int:
            res = ((v << 1) | (regs[RF] & CF)) & 0xFF
            regs[RF] = SZXYP[res] | (v >> 7)
            cpu._q_at = cpu.instructions
            return res

        def rr(v: int) -> int:
            res = (v >> 1) | ((regs[RF] & CF) << 7)
            regs[RF] = SZXYP[res] | (v & 1)
            cpu._q_at = cpu.instructions
            return res

        def sla(v: int) -> int:
            res = (v << 1) & 0xFF
            regs[RF] = SZXYP[res] | (v >> 7)
            cpu._q_at = cpu.instructions
            return res

        def sra(v: int) -> int:
            res = (v >> 1) | (v & 0x80)
            regs[RF] = SZXYP[res] | (v & 1)
            cpu._q_at = cpu.instructions
            return res

        def sll(v: int) -> int:  # undocumented: shifts a 1 into bit 0
            res = ((v << 1) | 1) & 0xFF
            regs[RF] = SZXYP[res] | (v >> 7)
            cpu._q_at = cpu.instructions
            return res

        def srl(v: int) -> int:
            res = v >> 1
            regs[RF] = SZXYP[res] | (v & 1)
            cpu._q_at = cpu.instructions
            return res

        return (rlc, rrc, rl, rr, sla, sra, sll, srl)

    def _op_rot_r(self, y: int, r: int) -> Handler:
        regs = self.regs
        operation = self._rot(y)

        def op() -> int:
            regs[r] = operation(regs[r])
            return 8

        return op

    def _op_rot_hl_mem(self, y: int) -> Handler:
        mem, regs = self._mem, self.regs
        operation = self._rot(y)

        def op() -> int:
            addr = (regs[RH] << 8) | regs[RL]
            mem[addr] = operation(mem[addr])
            return 15

        return op

    def _bit_flags(self, bit: int, value: int, xy_source: int) -> int:
        """F after BIT: Z=P=bit clear, S=bit 7 set, H=1, X/Y from xy_source, C kept."""
        tested = value & (1 << bit)
        return (
            (self.regs[RF] & CF) | HF | (xy_source & XYF)
            | (tested & SF) | (0 if tested else ZF | PF)
        )

    def _op_bit_r(self, bit: int, r: int) -> Handler:
        cpu, regs = self, self.regs
        mask = 1 << bit

        def op() -> int:
            v = regs[r]
            tested = v & mask
            regs[RF] = (
                (regs[RF] & CF) | HF | (v & XYF) | (tested & SF) | (0 if tested else ZF | PF)
            )
            cpu._q_at = cpu.instructions
            return 8

        return op

    def _op_bit_hl_mem(self, bit: int) -> Handler:
        """BIT n,(HL): X/Y leak from the high byte of MEMPTR."""
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            regs[RF] = cpu._bit_flags(bit, mem[(regs[RH] << 8) | regs[RL]], cpu.memptr >> 8)
            cpu._q_at = cpu.instructions
            return 12

        return op

    def _op_res_set_r(self, bit: int, r: int, setting: bool) -> Handler:
        regs = self.regs
        mask = 1 << bit
        if setting:
            def op() -> int:
                regs[r] |= mask
                return 8
        else:
            keep = ~mask & 0xFF

            def op() -> int:
                regs[r] &= keep
                return 8
        return op

    def _op_res_set_hl_mem(self, bit: int, setting: bool) -> Handler:
        mem, regs = self._mem, self.regs
        mask = 1 << bit
        keep = ~mask & 0xFF

        def op() -> int:
            addr = (regs[RH] << 8) | regs[RL]
            mem[addr] = (mem[addr] | mask) if setting else (mem[addr] & keep)
            return 15

        return op

    # ================================================================== DD CB / FD CB
    def _op_rot_xy_mem(self, y: int, r: int) -> IndexCBHandler:
        """Rotate (IX+d); r != 6 also copies the result into register r (undocumented)."""
        mem, regs = self._mem, self.regs
        operation = self._rot(y)

        def op(addr: int) -> int:
            v = operation(mem[addr])
            mem[addr] = v
            if r != HL_MEM:
                regs[r] = v
            return 23

        return op

    def _op_bit_xy_mem(self, bit: int) -> IndexCBHandler:
        """BIT n,(IX+d): X/Y from the high byte of IX+d (= MEMPTR); all 8 encodings alike."""
        cpu, mem, regs = self, self._mem, self.regs

        def op(addr: int) -> int:
            regs[RF] = cpu._bit_flags(bit, mem[addr], addr >> 8)
            cpu._q_at = cpu.instructions
            return 20

        return op

    def _op_res_set_xy_mem(self, bit: int, r: int, setting: bool) -> IndexCBHandler:
        mem, regs = self._mem, self.regs
        mask = 1 << bit
        keep = ~mask & 0xFF

        def op(addr: int) -> int:
            v = (mem[addr] | mask) if setting else (mem[addr] & keep)
            mem[addr] = v
            if r != HL_MEM:
                regs[r] = v
            return 23

        return op

    # ================================================================== ED table
    def _op_ed_nop(self) -> Handler:
        """An ED opcode with no instruction: 8 T-states, nothing else (Young 3.3)."""

        def op() -> int:
            return 8

        return op

    def _op_in_r_c(self, y: int) -> Handler:
        """IN r,(C); y=6 is the undocumented IN (C) / IN F,(C) that only sets the flags."""
        cpu, regs = self, self.regs

        def op() -> int:
            port = (regs[RB] << 8) | regs[RC]
            cpu.memptr = (port + 1) & 0xFFFF
            v = cpu.port_in(port) & 0xFF
            if y != HL_MEM:
                regs[y] = v
            regs[RF] = (regs[RF] & CF) | SZXYP[v]
            cpu._q_at = cpu.instructions
            return 12

        return op

    def _op_out_c_r(self, y: int) -> Handler:
        """OUT (C),r; y=6 is the undocumented OUT (C),0 (NMOS drives 0)."""
        cpu, regs = self, self.regs

        def op() -> int:
            port = (regs[RB] << 8) | regs[RC]
            cpu.memptr = (port + 1) & 0xFFFF
            cpu.port_out(port, 0 if y == HL_MEM else regs[y])
            return 12

        return op

    def _pair_value(self, p: int) -> int:
        regs = self.regs
        return self.sp if p == 3 else (regs[2 * p] << 8) | regs[2 * p + 1]

    def _op_sbc_hl_rr(self, p: int) -> Handler:
        cpu, regs = self, self.regs
        hi, lo = 2 * p, 2 * p + 1

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            v = cpu.sp if p == 3 else (regs[hi] << 8) | regs[lo]
            res = hl - v - (regs[RF] & CF)
            cpu.memptr = (hl + 1) & 0xFFFF
            res16 = res & 0xFFFF
            regs[RF] = (
                ((res16 >> 8) & (SF | XYF)) | (0 if res16 else ZF) | ((res >> 16) & CF) | NF
                | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ v) & (hl ^ res)) >> 13) & PF)
            )
            cpu._q_at = cpu.instructions
            regs[RH] = res16 >> 8
            regs[RL] = res16 & 0xFF
            return 15

        return op

    def _op_adc_hl_rr(self, p: int) -> Handler:
        cpu, regs = self, self.regs
        hi, lo = 2 * p, 2 * p + 1

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            v = cpu.sp if p == 3 else (regs[hi] << 8) | regs[lo]
            res = hl + v + (regs[RF] & CF)
            cpu.memptr = (hl + 1) & 0xFFFF
            res16 = res & 0xFFFF
            regs[RF] = (
                ((res16 >> 8) & (SF | XYF)) | (0 if res16 else ZF) | (res >> 16)
                | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ res) & (v ^ res)) >> 13) & PF)
            )
            cpu._q_at = cpu.instructions
            regs[RH] = res16 >> 8
            regs[RL] = res16 & 0xFF
            return 15

        return op

    def _op_ld_nn_rr(self, p: int) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            v = cpu._pair_value(p)
            mem[addr] = v & 0xFF
            addr = (addr + 1) & 0xFFFF
            mem[addr] = v >> 8
            cpu.memptr = addr
            return 20

        return op

    def _op_ld_rr_nn_mem(self, p: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            low = mem[addr]
            addr = (addr + 1) & 0xFFFF
            high = mem[addr]
            cpu.memptr = addr
            if p == 3:
                cpu.sp = (high << 8) | low
            else:
                regs[2 * p] = high
                regs[2 * p + 1] = low
            return 20

        return op

    def _op_neg(self) -> Handler:
        cpu, regs = self, self.regs
        sub = self._alu(2)

        def op() -> int:
            v = regs[RA]
            regs[RA] = 0
            sub(v)
            cpu._q_at = cpu.instructions
            return 8

        return op

    def _op_retn(self) -> Handler:
        """RETN and RETI (and their undocumented mirrors) all copy IFF2 into IFF1."""
        cpu, mem = self, self._mem

        def op() -> int:
            sp = cpu.sp
            cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
            cpu.sp = (sp + 2) & 0xFFFF
            cpu.iff1 = cpu.iff2
            return 14

        return op

    def _op_im(self, mode: int) -> Handler:
        cpu = self

        def op() -> int:
            cpu.im = mode
            return 8

        return op

    def _op_ld_i_a(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            cpu.i = regs[RA]
            return 9

        return op

    def _op_ld_r_a(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            cpu.r = regs[RA]
            return 9

        return op

    def _op_ld_a_i(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            v = cpu.i
            regs[RA] = v
            regs[RF] = (regs[RF] & CF) | SZXY[v] | (PF if cpu.iff2 else 0)
            cpu._q_at = cpu._ldair_at = cpu.instructions
            return 9

        return op

    def _op_ld_a_r(self) -> Handler:
        cpu, regs = self, self.regs

        def op() -> int:
            v = cpu.r
            regs[RA] = v
            regs[RF] = (regs[RF] & CF) | SZXY[v] | (PF if cpu.iff2 else 0)
            cpu._q_at = cpu._ldair_at = cpu.instructions
            return 9

        return op

    def _op_rrd(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            addr = (regs[RH] << 8) | regs[RL]
            m = mem[addr]
            a = regs[RA]
            mem[addr] = ((a << 4) | (m >> 4)) & 0xFF
            a = (a & 0xF0) | (m & 0x0F)
            regs[RA] = a
            regs[RF] = (regs[RF] & CF) | SZXYP[a]
            cpu.memptr = (addr + 1) & 0xFFFF
            cpu._q_at = cpu.instructions
            return 18

        return op

    def _op_rld(self) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            addr = (regs[RH] << 8) | regs[RL]
            m = mem[addr]
            a = regs[RA]
            mem[addr] = ((m << 4) | (a & 0x0F)) & 0xFF
            a = (a & 0xF0) | (m >> 4)
            regs[RA] = a
            regs[RF] = (regs[RF] & CF) | SZXYP[a]
            cpu.memptr = (addr + 1) & 0xFFFF
            cpu._q_at = cpu.instructions
            return 18

        return op

    # ---- block instructions ------------------------------------------------------------
    def _op_block_ld(self, step: int, repeat: bool) -> Handler:
        """LDI/LDD/LDIR/LDDR. X = bit 3 and Y = bit 1 of (A + byte moved); P/V = BC != 0.

        A repeating step (21 T-states) rewinds PC; then MEMPTR = PC+1 and X/Y are
        bits 11 and 13 of that PC (hoglet 2018).
        """
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            de = (regs[RD] << 8) | regs[RE]
            v = mem[hl]
            mem[de] = v
            hl = (hl + step) & 0xFFFF
            de = (de + step) & 0xFFFF
            bc = (((regs[RB] << 8) | regs[RC]) - 1) & 0xFFFF
            regs[RH], regs[RL] = hl >> 8, hl & 0xFF
            regs[RD], regs[RE] = de >> 8, de & 0xFF
            regs[RB], regs[RC] = bc >> 8, bc & 0xFF
            n = regs[RA] + v
            f = (regs[RF] & (SF | ZF | CF)) | (n & XF) | ((n << 4) & YF) | (PF if bc else 0)
            cpu._q_at = cpu.instructions
            if repeat and bc:
                pc = (cpu.pc - 2) & 0xFFFF
                cpu.pc = pc
                cpu.memptr = (pc + 1) & 0xFFFF
                regs[RF] = (f & ~XYF) | ((pc >> 8) & XYF)
                return 21
            regs[RF] = f
            return 16

        return op

    def _op_block_cp(self, step: int, repeat: bool) -> Handler:
        """CPI/CPD/CPIR/CPDR. X/Y: bits 3 and 1 of A - byte - H; repeats stop on a match."""
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            v = mem[hl]
            a = regs[RA]
            res = (a - v) & 0xFF
            hl = (hl + step) & 0xFFFF
            bc = (((regs[RB] << 8) | regs[RC]) - 1) & 0xFFFF
            regs[RH], regs[RL] = hl >> 8, hl & 0xFF
            regs[RB], regs[RC] = bc >> 8, bc & 0xFF
            half = (a ^ v ^ res) & HF
            n = res - (half >> 4)
            f = (
                (regs[RF] & CF) | (SZXY[res] & (SF | ZF)) | half | NF
                | (n & XF) | ((n << 4) & YF) | (PF if bc else 0)
            )
            cpu._q_at = cpu.instructions
            if repeat and bc and res:
                pc = (cpu.pc - 2) & 0xFFFF
                cpu.pc = pc
                cpu.memptr = (pc + 1) & 0xFFFF
                regs[RF] = (f & ~XYF) | ((pc >> 8) & XYF)
                return 21
            cpu.memptr = (cpu.memptr + step) & 0xFFFF
            regs[RF] = f
            return 16

        return op

    def _block_io_flags(self, data: int, total: int, repeating: bool) -> int:
        """F after INI/IND/OUTI/OUTD (Young 4.3), plus the repeat-step corrections (hoglet).

        ``total`` is (C +/- 1) + data for input, L (after the step) + data for output;
        S/Z/X/Y come from the new B.
        """
        b = self.regs[RB]
        f = SZXY[b] | ((data >> 6) & NF) | PARITY[(total & 7) ^ b]
        if total > 0xFF:
            f |= HF | CF
        if repeating:
            f = (f & ~XYF) | ((self.pc >> 8) & XYF)
            if f & CF:
                if data & 0x80:
                    f ^= PARITY[(b - 1) & 7] ^ PF
                    f = (f & ~HF) | (HF if b & 0x0F == 0 else 0)
                else:
                    f ^= PARITY[(b + 1) & 7] ^ PF
                    f = (f & ~HF) | (HF if b & 0x0F == 0x0F else 0)
            else:
                f ^= PARITY[b & 7] ^ PF
        return f

    def _op_block_in(self, step: int, repeat: bool) -> Handler:
        """INI/IND/INIR/INDR: read port BC, then B is decremented; MEMPTR = BC +/- 1."""
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            port = (regs[RB] << 8) | regs[RC]
            cpu.memptr = (port + step) & 0xFFFF
            data = cpu.port_in(port) & 0xFF
            b = (regs[RB] - 1) & 0xFF
            regs[RB] = b
            hl = (regs[RH] << 8) | regs[RL]
            mem[hl] = data
            hl = (hl + step) & 0xFFFF
            regs[RH], regs[RL] = hl >> 8, hl & 0xFF
            repeating = repeat and b != 0
            if repeating:
                pc = (cpu.pc - 2) & 0xFFFF
                cpu.pc = pc
                cpu.memptr = (pc + 1) & 0xFFFF  # a repeat step reloads MEMPTR, as LDIR does
            regs[RF] = cpu._block_io_flags(data, ((regs[RC] + step) & 0xFF) + data, repeating)
            cpu._q_at = cpu.instructions
            return 21 if repeating else 16

        return op

    def _op_block_out(self, step: int, repeat: bool) -> Handler:
        """OUTI/OUTD/OTIR/OTDR: B is decremented first, then (HL) goes to port BC."""
        cpu, mem, regs = self, self._mem, self.regs

        def op() -> int:
            hl = (regs[RH] << 8) | regs[RL]
            data = mem[hl]
            b = (regs[RB] - 1) & 0xFF
            regs[RB] = b
            port = (b << 8) | regs[RC]
            cpu.port_out(port, data)
            cpu.memptr = (port + step) & 0xFFFF
            hl = (hl + step) & 0xFFFF
            regs[RH], regs[RL] = hl >> 8, hl & 0xFF
            repeating = repeat and b != 0
            if repeating:
                pc = (cpu.pc - 2) & 0xFFFF
                cpu.pc = pc
                cpu.memptr = (pc + 1) & 0xFFFF
            regs[RF] = cpu._block_io_flags(data, regs[RL] + data, repeating)
            cpu._q_at = cpu.instructions
            return 21 if repeating else 16

        return op

    # ================================================================== DD / FD table
    def _index_address(self, k: int) -> int:
        """Fetch the displacement d and return IX+d / IY+d (also the new MEMPTR)."""
        pc = self.pc
        d = self._mem[pc]
        self.pc = (pc + 1) & 0xFFFF
        addr = (self.xy[k] + ((d ^ 0x80) - 0x80)) & 0xFFFF
        self.memptr = addr
        return addr

    def _op_add_xy_rr(self, k: int, p: int) -> Handler:
        cpu, regs, xy = self, self.regs, self.xy

        def op() -> int:
            x = xy[k]
            v = x if p == 2 else cpu._pair_value(p)
            res = x + v
            cpu.memptr = (x + 1) & 0xFFFF
            regs[RF] = (
                (regs[RF] & (SF | ZF | PF)) | ((res >> 8) & XYF)
                | (((x ^ v ^ res) >> 8) & HF) | (res >> 16)
            )
            cpu._q_at = cpu.instructions
            xy[k] = res & 0xFFFF
            return 15

        return op

    def _op_ld_xy_nn(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            pc = cpu.pc
            xy[k] = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            return 14

        return op

    def _op_ld_nn_xy(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            x = xy[k]
            mem[addr] = x & 0xFF
            addr = (addr + 1) & 0xFFFF
            mem[addr] = x >> 8
            cpu.memptr = addr
            return 20

        return op

    def _op_ld_xy_nn_mem(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            pc = cpu.pc
            addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            low = mem[addr]
            addr = (addr + 1) & 0xFFFF
            xy[k] = (mem[addr] << 8) | low
            cpu.memptr = addr
            return 20

        return op

    def _op_inc_dec_xy(self, k: int, delta: int) -> Handler:
        xy = self.xy

        def op() -> int:
            xy[k] = (xy[k] + delta) & 0xFFFF
            return 10

        return op

    def _half_access(self, k: int, r: int) -> tuple[Callable[[], int], Callable[[int], None]]:
        """Getter and setter for operand r of a DD/FD opcode: H/L mean IXH/IXL (IYH/IYL)."""
        regs, xy = self.regs, self.xy
        if r == RH:
            def get() -> int:
                return xy[k] >> 8

            def put(v: int) -> None:
                xy[k] = (v << 8) | (xy[k] & 0xFF)
        elif r == RL:
            def get() -> int:
                return xy[k] & 0xFF

            def put(v: int) -> None:
                xy[k] = (xy[k] & 0xFF00) | v
        else:
            def get() -> int:
                return regs[r]

            def put(v: int) -> None:
                regs[r] = v
        return get, put

    def _op_inc_dec_xy_half(self, k: int, r: int, delta: int) -> Handler:
        cpu, regs = self, self.regs
        get, put = self._half_access(k, r)
        table = INC_FLAGS if delta > 0 else DEC_FLAGS

        def op() -> int:
            v = (get() + delta) & 0xFF
            put(v)
            regs[RF] = (regs[RF] & CF) | table[v]
            cpu._q_at = cpu.instructions
            return 8

        return op

    def _op_ld_xy_half_n(self, k: int, r: int) -> Handler:
        cpu, mem = self, self._mem
        _, put = self._half_access(k, r)

        def op() -> int:
            pc = cpu.pc
            put(mem[pc])
            cpu.pc = (pc + 1) & 0xFFFF
            return 11

        return op

    def _op_ld_xy_halves(self, k: int, dst: int, src: int) -> Handler:
        """LD between registers where H/L stand for IXH/IXL (undocumented), 8 T-states."""
        get, _ = self._half_access(k, src)
        _, put = self._half_access(k, dst)

        def op() -> int:
            put(get())
            return 8

        return op

    def _op_alu_xy_half(self, k: int, alu: int, src: int) -> Handler:
        get, _ = self._half_access(k, src)
        operation = self._alu(alu)

        def op() -> int:
            operation(get())
            return 8

        return op

    def _op_inc_dec_xy_mem(self, k: int, delta: int) -> Handler:
        cpu, mem, regs = self, self._mem, self.regs
        table = INC_FLAGS if delta > 0 else DEC_FLAGS

        def op() -> int:
            addr = cpu._index_address(k)
            v = (mem[addr] + delta) & 0xFF
            mem[addr] = v
            regs[RF] = (regs[RF] & CF) | table[v]
            cpu._q_at = cpu.instructions
            return 23

        return op

    def _op_ld_xy_mem_n(self, k: int) -> Handler:
        cpu, mem = self, self._mem

        def op() -> int:
            addr = cpu._index_address(k)
            pc = cpu.pc
            mem[addr] = mem[pc]
            cpu.pc = (pc + 1) & 0xFFFF
            return 19

        return op

    def _op_ld_r_xy_mem(self, k: int, dst: int) -> Handler:
        """LD r,(IX+d): r is the real H/L, not IXH/IXL."""
        cpu, mem, regs, xy = self, self._mem, self.regs, self.xy

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            regs[dst] = mem[addr]
            return 19

        return op

    def _op_ld_xy_mem_r(self, k: int, src: int) -> Handler:
        cpu, mem, regs, xy = self, self._mem, self.regs, self.xy

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            mem[addr] = regs[src]
            return 19

        return op

    def _op_alu_xy_mem(self, k: int, alu: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy
        operation = self._alu(alu)

        def op() -> int:
            pc = cpu.pc
            cpu.pc = (pc + 1) & 0xFFFF
            addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            operation(mem[addr])
            return 19

        return op

    def _op_pop_xy(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            sp = cpu.sp
            xy[k] = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
            cpu.sp = (sp + 2) & 0xFFFF
            return 14

        return op

    def _op_push_xy(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            x = xy[k]
            sp = (cpu.sp - 1) & 0xFFFF
            mem[sp] = x >> 8
            sp = (sp - 1) & 0xFFFF
            mem[sp] = x & 0xFF
            cpu.sp = sp
            return 15

        return op

    def _op_ex_sp_xy(self, k: int) -> Handler:
        cpu, mem, xy = self, self._mem, self.xy

        def op() -> int:
            sp = cpu.sp
            sp1 = (sp + 1) & 0xFFFF
            x = xy[k]
            value = mem[sp] | (mem[sp1] << 8)
            mem[sp] = x & 0xFF
            mem[sp1] = x >> 8
            xy[k] = cpu.memptr = value
            return 23

        return op

    def _op_jp_xy(self, k: int) -> Handler:
        cpu, xy = self, self.xy

        def op() -> int:
            cpu.pc = xy[k]
            return 8

        return op

    def _op_ld_sp_xy(self, k: int) -> Handler:
        cpu, xy = self, self.xy

        def op() -> int:
            cpu.sp = xy[k]
            return 10

        return op


def _after_ignored_prefix(handler: Handler) -> Handler:
    """A DD/FD before an opcode that does not use HL: the prefix costs its 4 T-states."""

    def op() -> int:
        return 4 + handler()

    return op


def _complete(table: list[Handler | None], name: str) -> list[Handler]:
    missing = [f"{op:02X}" for op, h in enumerate(table) if h is None]
    if missing:
        raise AssertionError(f"{name} table has no handler for {' '.join(missing)}")
    return [h for h in table if h is not None]
