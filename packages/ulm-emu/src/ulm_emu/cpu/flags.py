"""Flag bits of F, register indices, and the precomputed flag tables every family uses."""

from __future__ import annotations

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

# Register indices in ``Z80.regs`` (equal to the opcode register field, except F).
RB, RC, RD, RE, RH, RL, RF, RA = range(8)
HL_MEM = 6  # the opcode register field value meaning (HL)

#: A ``_q_at`` / ``_ei_at`` / ``_ldair_at`` that no instruction number matches.
NEVER = -2


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


def condition(cc: int) -> tuple[int, int]:
    """(flag mask, wanted value) for condition code cc = NZ Z NC C PO PE P M."""
    mask = (ZF, CF, PF, SF)[cc >> 1]
    return mask, (mask if cc & 1 else 0)
