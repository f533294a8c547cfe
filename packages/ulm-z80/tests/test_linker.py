"""The linker: layout, alignment, runtime sections after the file, TPA budget, map, portability."""

from __future__ import annotations

import re

import pytest
from asm_fixtures.external import assemble_with, needs_pasmo, needs_z80asm

from ulm_spec.errors import UlmError
from ulm_z80.asm import AsmError, assemble
from ulm_z80.linker import LinkError, Section, TPABudgetError, link

CODE = """\
main:   LD SP,__stack_end
        LD HL,buffer
        LD DE,weights_table
        LD A,(counter)
        CALL clear
        JP 0
clear:  LD (HL),0
        RET
"""
RODATA = """\
message: DB "HELLO", 13, 10, 36
lengths: DW message, 8
"""
WEIGHTS = "weights_table:\n" + "".join(
    f"        DB {','.join(str((row * 16 + i) % 256) for i in range(16))}\n" for row in range(20)
)


def program(weights_align: int = 256) -> list[Section]:
    return [
        Section("code", "code", CODE),
        Section("rodata", "rodata", RODATA, align=2),
        Section("weights", "weights", WEIGHTS, align=weights_align),
        Section("work", "bss", bss_labels=[("buffer", 300), ("counter", 2)], align=256),
        Section("stack", "stack", size=128),
        Section("scratch", "bss", size=10),
    ]


def test_layout_order_alignment_and_addresses() -> None:
    linked = link(program())
    layouts = {layout.name: layout for layout in linked.sections}
    assert [layout.name for layout in linked.sections] == ["code", "rodata", "weights", "work", "scratch", "stack"]
    code, rodata, weights = layouts["code"], layouts["rodata"], layouts["weights"]
    stand_alone = assemble("__stack_end: EQU 0\nbuffer: EQU 0\ncounter: EQU 0\n ORG 100h\n" + CODE
                           + "weights_table: NOP")
    assert code.start == 0x100 and code.size == len(stand_alone.binary) - 1
    assert rodata.start == code.end + (code.end & 1)  # align 2
    assert weights.start % 256 == 0 and weights.start >= rodata.end and weights.size == 320
    assert linked.file_bytes == weights.end - 0x100 == len(linked.binary)
    # padding between sections is zeros, section bytes are where the layout says
    assert linked.binary[rodata.end - 0x100:weights.start - 0x100] == bytes(weights.start - rodata.end)
    assert linked.binary[weights.start - 0x100:weights.start - 0x100 + 3] == bytes([0, 1, 2])
    assert linked.symbols["weights_table"] == weights.start
    assert linked.symbols["message"] == rodata.start


def test_runtime_sections_follow_the_file_and_are_not_stored() -> None:
    linked = link(program())
    layouts = {layout.name: layout for layout in linked.sections}
    work, scratch, stack = layouts["work"], layouts["scratch"], layouts["stack"]
    file_end = 0x100 + linked.file_bytes
    assert linked.symbols["__file_end"] == file_end
    assert work.start == (file_end + 255) & ~255 and work.size == 302
    assert (linked.symbols["buffer"], linked.symbols["counter"]) == (work.start, work.start + 300)
    assert scratch.start == work.end and scratch.size == 10
    assert stack.start == scratch.end and stack.end == stack.start + 128
    assert linked.symbols["__stack_end"] == stack.end
    assert not any(layout.in_file for layout in (work, scratch, stack))
    assert linked.tpa_bytes_used == stack.end - 0x100
    assert linked.tpa_bytes_used > linked.file_bytes
    # the code really refers to the runtime addresses
    code = linked.binary
    assert code[:3] == bytes([0x31, stack.end & 0xFF, stack.end >> 8])  # LD SP,__stack_end
    assert code[3:6] == bytes([0x21, work.start & 0xFF, work.start >> 8])  # LD HL,buffer


def test_budget_allows_exactly_the_tpa_and_reports_the_excess() -> None:
    base = link([Section("code", "code", " NOP\n")])
    assert base.tpa_bytes == 40960 and base.file_bytes == 1
    fits = link([Section("code", "code", " NOP\n"), Section("big", "bss", size=40959)])
    assert fits.tpa_bytes_used == 40960
    with pytest.raises(TPABudgetError) as caught:
        link([Section("code", "code", " NOP\n"), Section("big", "bss", size=40900),
              Section("stack", "stack", size=100)])
    message = str(caught.value)
    assert isinstance(caught.value, UlmError) and "\n" not in message
    assert "over by 41 bytes" in message
    assert "big (bss) 40900" in message and "stack (stack) 100" in message
    assert message.index("big") < message.index("stack (stack)")


def test_budget_counts_alignment_padding_and_tpa_top_is_configurable() -> None:
    sections = [Section("code", "code", " NOP\n"), Section("buffer", "bss", size=256, align=256)]
    linked = link(sections, tpa_top=0x02FF)  # code at 0100h, buffer at 0200h..02FFh
    assert linked.tpa_bytes_used == 0x200
    with pytest.raises(TPABudgetError, match="over by 1 bytes"):
        link(sections, tpa_top=0x02FE)


def test_map_lists_sections_and_symbols() -> None:
    linked = link(program())
    text = linked.map_text()
    layouts = {layout.name: layout for layout in linked.sections}
    for layout in linked.sections:
        pattern = rf"^{layout.name}\s+{layout.kind}\s+{layout.start:04X}h\s+{layout.end:04X}h\s+{layout.size}\s"
        assert re.search(pattern, text, re.M), layout.name
    assert re.search(rf"^buffer\s+{layouts['work'].start:04X}h\s+work$", text, re.M)
    assert re.search(rf"^clear\s+{linked.symbols['clear']:04X}h\s+code$", text, re.M)
    assert re.search(rf"^weights_table\s+{layouts['weights'].start:04X}h\s+weights$", text, re.M)
    assert f"used {linked.tpa_bytes_used} bytes" in text
    symbol_rows = [line for line in text.splitlines() if re.match(r"^\w+\s+[0-9A-F]{4}h\s+\S+", line)]
    assert len(symbol_rows) == len(linked.symbols)


def test_equ_constants_in_a_section_are_marked_in_the_map() -> None:
    linked = link([Section("code", "code", "WIDTH: EQU 64\n LD A,WIDTH\n")])
    assert re.search(r"^WIDTH\s+0040h\s+code \(EQU constant\)$", linked.map_text(), re.M)


def test_linked_source_is_one_portable_file() -> None:
    source = link(program()).source
    statements = [line.split(";")[0].upper() for line in source.splitlines()]
    words = [word for line in statements for word in re.findall(r"[A-Z_]+", line)]
    assert "INCLUDE" not in words and "ALIGN" not in words and words.count("ORG") == 1


@needs_pasmo
def test_linked_program_matches_pasmo() -> None:
    linked = link(program())
    assert assemble_with("pasmo", linked.source) == linked.binary


@needs_z80asm
def test_linked_program_matches_z80asm() -> None:
    linked = link(program())
    assert assemble_with("z80asm", linked.source) == linked.binary


@needs_pasmo
@needs_z80asm
@pytest.mark.parametrize("align", [1, 2, 16, 256, 4096])
def test_alignment_padding_is_portable(align: int) -> None:
    linked = link(program(weights_align=align))
    assert linked.symbols["weights_table"] % align == 0
    assert assemble_with("pasmo", linked.source) == linked.binary
    assert assemble_with("z80asm", linked.source) == linked.binary


def test_errors_in_a_section_name_the_section_and_its_line() -> None:
    with pytest.raises(AsmError) as caught:
        link([Section("code", "code", " NOP\n NOP\n LD A,MISSING\n")])
    assert str(caught.value) == "section code:3: undefined symbol 'MISSING'"


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ([Section("1code", "code", " NOP")], "name must be"),
        ([Section("a", "code", " NOP"), Section("a", "rodata", " NOP")], "defined twice"),
        ([Section("a", "code", " NOP", align=3)], "power of two"),
        ([Section("a", "code", " NOP", size=4)], "has source text, not a size"),
        ([Section("a", "bss", " NOP", size=4)], "has a size, not source text"),
        ([Section("a", "bss")], "needs a size"),
        ([Section("a", "bss", size=2, bss_labels=[("x", 3)])], "buffers need 3 bytes but size is 2"),
        ([Section("a", "bss", bss_labels=[("x", 1), ("x", 1)])], "defined twice"),
        ([Section("a", "stack", size=4, bss_labels=[("x", 1)])], "no bss_labels"),
        ([Section("a", "heap", " NOP")], "unknown kind"),  # type: ignore[arg-type]
        ([Section("a", "code", " NOP\n  org 200h")], "section 'a' line 2: ORG is not allowed"),
        ([Section("a", "code", "x: END")], "END is not allowed"),
        ([Section("a", "code", 'here INCLUDE "x.asm"')], "INCLUDE is not allowed"),
    ],
)
def test_bad_sections(sections: list[Section], message: str) -> None:
    with pytest.raises(LinkError, match=re.escape(message)):
        link(sections)


def test_file_layout_may_not_depend_on_runtime_addresses() -> None:
    # Placeholder round: buffer = 0100h (even), DS 0, file 1 byte; then buffer = 0101h (odd),
    # DS 1, and the file would grow: the linker refuses instead of emitting a wrong layout.
    sections = [Section("code", "code", " DS buffer & 1\n NOP\n"),
                Section("data", "bss", bss_labels=[("buffer", 1)])]
    with pytest.raises(LinkError, match="depends on bss/stack addresses"):
        link(sections)


def test_a_program_past_the_address_space_is_a_budget_error() -> None:
    code = " LD HL,LATER\n DS 0FFFFh\nLATER: NOP\n"  # more than 64 KB from any origin
    with pytest.raises(TPABudgetError, match=r"^the program runs past address 0FFFFh \(.*\); the TPA holds 65280 bytes$"):
        link([Section("code", "code", code)], tpa_top=0xFFFF)


def test_buffers_may_end_at_the_top_of_memory() -> None:
    """A runtime section ending at FFFFh makes ``__memory_end`` 10000h; the code masks it."""
    code = " LD SP,__memory_end & 0FFFFh\n LD DE,__memory_end-1\n"
    linked = link([Section("code", "code", code), Section("top", "stack", size=0x10000 - 0x106)], tpa_top=0xFFFF)
    assert linked.binary[:6] == bytes([0x31, 0x00, 0x00, 0x11, 0xFF, 0xFF])
