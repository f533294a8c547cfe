"""Write ``z80dispatch.h`` for the C core from the instruction table.

The header has two parts, selected by ``Z80_DISPATCH``: first the data (the flag tables of
:mod:`ulm_emu.cpu.flags` and which opcodes talk to ports), then one ``switch`` per opcode
table, one ``case`` per opcode with its mnemonic, calling the C family named like the Python
one with the same parameters (:mod:`ulm_emu.cpu.isa`).  ``python -m
ulm_emu.cpu.ccore.generate`` prints it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from ulm_emu.cpu import flags, isa
from ulm_emu.cpu.families import block, io

#: Families the C core leaves to Python (port callbacks live there).
PYTHON_ONLY = frozenset({block.block_in, block.block_out}) | frozenset(
    function for _, function in inspect.getmembers(io, inspect.isfunction) if function.__module__ == io.__name__
)


def _array(name: str, values: Iterable[int]) -> str:
    items = list(values)
    rows = [", ".join(f"0x{v:02X}" for v in items[i : i + 16]) for i in range(0, len(items), 16)]
    body = ",\n    ".join(rows)
    return f"static const uint8_t {name}[{len(items)}] = {{\n    {body}\n}};\n"


def _is_io(opcode: isa.Opcode) -> bool:
    return opcode.family in PYTHON_ONLY


def _call(opcode: isa.Opcode, *leading: str) -> str:
    """The C call for one opcode: family(z, [addr,] parameters in the Python order)."""
    if _is_io(opcode):
        return "io_in_python(z)"
    parameters = dict(opcode.parameters)
    names = [name for name in inspect.signature(opcode.family).parameters if name != "cpu"]
    arguments = ["z", *leading, *(str(parameters[name]) for name in names)]
    call = f"{opcode.family.__name__}({', '.join(arguments)})"
    return f"4 + {call}" if opcode.kind == "ignored-prefix" else call


def _switch(function: str, opcodes: list[isa.Opcode], signature: str, leading: tuple[str, ...] = ()) -> str:
    lines = [f"static int {function}({signature}) {{", "    switch (op) {"]
    for opcode in opcodes:
        comment = opcode.mnemonic.replace("*/", "* /")
        lines.append(f"    case 0x{opcode.code:02X}: return {_call(opcode, *leading)}; /* {comment} */")
    lines += ["    }", "    return 0;", "}", ""]
    return "\n".join(lines)


def dispatch_source() -> str:
    """The text of z80dispatch.h."""
    tables = isa.tables()
    io_first = [
        1 if _is_io(op) else 2 if op.code == 0xED else 3 if op.code in (0xDD, 0xFD) else 0
        for op in tables["main"]
    ]
    data = [
        "/* Generated from ulm_emu/cpu/isa.py and flags.py by ulm_emu/cpu/ccore/generate.py. */",
        _array("SZXY", flags.SZXY),
        _array("SZXYP", flags.SZXYP),
        _array("INC_FLAGS", flags.INC_FLAGS),
        _array("DEC_FLAGS", flags.DEC_FLAGS),
        "/* I/O instructions: 1 = the opcode is one, 2 = ED (look at the next byte in IO_ED),\n"
        "   3 = DD/FD (look at the next byte in IO_INDEX). */",
        _array("IO_FIRST", io_first),
        _array("IO_ED", (int(_is_io(op)) for op in tables["ED"])),
        _array("IO_INDEX", (int(_is_io(op)) for op in tables["DD"])),
    ]
    z80 = "Z80 *z, uint8_t op"
    switches = [
        _switch("exec_main", tables["main"], z80),
        _switch("exec_cb", tables["CB"], z80),
        _switch("exec_ed", tables["ED"], z80),
        _switch("exec_dd", tables["DD"], z80),
        _switch("exec_fd", tables["FD"], z80),
        _switch("exec_ddcb", tables["DDCB"], "Z80 *z, uint8_t op, uint16_t addr", ("addr",)),
    ]
    return (
        "#ifndef Z80_DISPATCH\n" + "\n".join(data) + "#else\n" + "\n".join(switches) + "#endif\n"
    )


if __name__ == "__main__":
    print(dispatch_source(), end="")
