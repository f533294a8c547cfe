"""Lay out a program's sections and emit one linear, portable assembly source.

A program is a list of :class:`Section`. ``code``, ``rodata`` and ``weights`` sections hold
assembly text and are stored in the ``.COM`` file, in the order given, each starting on its
``align`` boundary (padding is a portable ``DS`` of zeros). ``bss`` and ``stack`` sections hold
only a size: they live after the end of the file (bss first, then stacks, each in the order
given; :func:`link` can move small bss sections into an alignment gap), are not stored in the file, and are defined with ``EQU`` at the top of the linked source,
so every section may refer to them. The program zeroes them at run time if it needs zeros.

Labels the linker defines (``NAME`` is the section name):

* ``__NAME_start`` and ``__NAME_end`` (first address after the section) for every section;
* ``__file_end``: first address after the file image;
* ``__memory_end``: first address after the last runtime section (when there is one);
* for bss sections, each ``bss_labels`` entry ``(label, size)``: consecutive buffers from the
  section start, in order. A stack's initial SP is ``__NAME_end``.

The linked source uses only the portable subset of :mod:`ulm_z80.asm`, so pasmo and z80asm
produce the same binary. :func:`link` assembles it with our assembler; the bss addresses depend
on the file size, so it assembles twice (first with placeholder addresses) and checks that the
file's placement did not move.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ulm_spec import cpm
from ulm_spec.errors import UlmError

from .asm import AddressSpaceError, AsmError, Assembly, assemble

SectionKind = Literal["code", "rodata", "weights", "bss", "stack"]
FILE_KINDS: tuple[str, ...] = ("code", "rodata", "weights")
RUNTIME_KINDS: tuple[str, ...] = ("bss", "stack")

CPM_ORIGIN = cpm.TPA_BASE
DEFAULT_TPA_TOP = cpm.TPA_BASE + cpm.TPA_BYTES_48K - 1  # last usable byte: 40,960 bytes from 0100h

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Directives that would break the one-file program: the linker places sections itself.
_FORBIDDEN_RE = re.compile(r"^(?:[A-Za-z_.?@][\w.?@]*:?)?[ \t]+(ORG|END|INCLUDE)\b", re.I)
LINKED_FILENAME = "<linked>"


class LinkError(UlmError):
    """The sections cannot be linked as given (bad name, size, alignment...)."""


class TPABudgetError(LinkError):
    """File, buffers and stack together need more memory than the TPA has."""


@dataclass(frozen=True)
class Section:
    """One piece of the program.

    ``source``: assembly text (code/rodata/weights only). ``size``: bytes of a bss/stack section
    (default: the sum of ``bss_labels``). ``align``: a power of two; the section starts at a
    multiple of it. ``bss_labels``: ``(label, size)`` buffers laid out consecutively inside a bss
    section.
    """

    name: str
    kind: SectionKind
    source: str = ""
    align: int = 1
    size: int | None = None
    bss_labels: Sequence[tuple[str, int]] = ()

    @property
    def in_file(self) -> bool:
        return self.kind in FILE_KINDS


@dataclass(frozen=True)
class Placement:
    """Where a section ended up: ``start`` .. ``end`` (first address after it)."""

    name: str
    kind: str
    start: int
    end: int
    align: int
    in_file: bool

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class LinkedProgram:
    """The linked program: its portable source, the assembled image and where each section went."""

    source: str
    assembly: Assembly
    sections: list[Placement]
    origin: int
    tpa_top: int
    section_of_symbol: dict[str, str] = field(repr=False)

    @property
    def binary(self) -> bytes:
        return self.assembly.binary

    @property
    def symbols(self) -> dict[str, int]:
        return self.assembly.symbols

    @property
    def file_bytes(self) -> int:
        return len(self.assembly.binary)

    @property
    def memory_end(self) -> int:
        """First address after everything (file, bss, stack)."""
        return max([self.origin + self.file_bytes] + [s.end for s in self.sections])

    @property
    def tpa_bytes_used(self) -> int:
        """File + bss + stack, including alignment padding."""
        return self.memory_end - self.origin

    @property
    def tpa_bytes(self) -> int:
        return self.tpa_top - self.origin + 1

    def listing(self) -> str:
        return self.assembly.listing()

    def symbol_file(self) -> str:
        return self.assembly.symbol_file()

    def map_text(self) -> str:
        """The ``.map`` file: the memory summary, each section, then every symbol."""
        lines = [
            "; ulm-z80 link map (addresses in hex; end = first address after the section)",
            f"; origin {self.origin:04X}h, TPA top {self.tpa_top:04X}h ({self.tpa_bytes} bytes), "
            f"file {self.file_bytes} bytes, used {self.tpa_bytes_used} bytes, "
            f"free {self.tpa_bytes - self.tpa_bytes_used} bytes",
            "",
            f"{'section':<24} {'kind':<8} {'start':>6} {'end':>6} {'size':>6} {'align':>5}  stored",
        ]
        for placed in self.sections:
            lines.append(
                f"{placed.name:<24} {placed.kind:<8} {placed.start:04X}h  {placed.end:04X}h "
                f"{placed.size:6d} {placed.align:5d}  {'file' if placed.in_file else 'no'}"
            )
        lines += ["", f"{'symbol':<32} {'value':>6}  section"]
        in_file = {placed.name for placed in self.sections if placed.in_file}
        rows = sorted((value & 0xFFFF, name) for name, value in self.symbols.items())
        for value, name in rows:
            where = self.section_of_symbol.get(name, "-")
            if name in self.assembly.constants and where in in_file:
                where += " (EQU constant)"
            lines.append(f"{name:<32} {value:04X}h  {where}")
        return "\n".join(lines) + "\n"


def _check_sections(sections: Sequence[Section]) -> None:
    seen: set[str] = set()
    labels: set[str] = set()
    for section in sections:
        where = f"section '{section.name}'"
        if not _NAME_RE.match(section.name):
            raise LinkError(f"{where}: name must be letters, digits and '_', not starting with a digit")
        if section.name in seen:
            raise LinkError(f"{where}: defined twice")
        seen.add(section.name)
        if section.kind not in FILE_KINDS + RUNTIME_KINDS:
            raise LinkError(f"{where}: unknown kind '{section.kind}'")
        if section.align < 1 or section.align & (section.align - 1) or section.align > 0x8000:
            raise LinkError(f"{where}: align must be a power of two up to 8000h, not {section.align}")
        if section.in_file:
            if section.size is not None or section.bss_labels:
                raise LinkError(f"{where}: a {section.kind} section has source text, not a size")
            for number, line in enumerate(section.source.split("\n"), start=1):
                found = _FORBIDDEN_RE.match(line)
                if found:
                    raise LinkError(f"{where} line {number}: {found.group(1).upper()} is not allowed "
                                    "in a section (the linker places sections)")
            continue
        if section.source.strip():
            raise LinkError(f"{where}: a {section.kind} section has a size, not source text")
        if section.kind == "stack" and section.bss_labels:
            raise LinkError(f"{where}: a stack section has no bss_labels")
        for label, size in section.bss_labels:
            if not _NAME_RE.match(label) or label.startswith("__"):
                raise LinkError(f"{where}: bad buffer label '{label}'")
            if label in labels:
                raise LinkError(f"{where}: buffer label '{label}' defined twice")
            labels.add(label)
            if size < 0:
                raise LinkError(f"{where}: buffer '{label}' has negative size {size}")
        if section.size is None and not section.bss_labels:
            raise LinkError(f"{where}: a {section.kind} section needs a size")
        if section.size is not None:
            if section.size < 0:
                raise LinkError(f"{where}: negative size {section.size}")
            needed = sum(size for _, size in section.bss_labels)
            if needed > section.size:
                raise LinkError(f"{where}: buffers need {needed} bytes but size is {section.size}")


def _runtime_size(section: Section) -> int:
    if section.size is not None:
        return section.size
    return sum(size for _, size in section.bss_labels)


def _align_up(address: int, align: int) -> int:
    return (address + align - 1) & -align


def _padding_line(align: int) -> str:
    """A portable DS that pads ``$`` up to a multiple of ``align`` (a power of two)."""
    mask = align - 1
    return f"        DS ({align} - ($ & {mask})) & {mask}"


def _fill_alignment_gap(bss: list[Section], file_end: int) -> list[Section]:
    """``bss`` with the largest unaligned sections that fit moved into the gap before the first
    aligned one (in order of size, largest first), so little memory is lost to alignment."""
    aligned = [s for s in bss if s.align > 1]
    loose = [s for s in bss if s.align == 1]
    if not aligned:
        return bss
    gap = (-file_end) % aligned[0].align
    before: list[Section] = []
    for section in sorted(loose, key=lambda s: -_runtime_size(s)):
        if _runtime_size(section) <= gap:
            before.append(section)
            gap -= _runtime_size(section)
    return before + aligned + [s for s in loose if s not in before]


def _place_runtime(sections: Sequence[Section], file_end: int, fill_gaps: bool = False) -> list[Placement]:
    placements = []
    address = file_end
    bss = [s for s in sections if s.kind == "bss"]
    if fill_gaps:
        bss = _fill_alignment_gap(bss, file_end)
    ordered = bss + [s for s in sections if s.kind == "stack"]
    for section in ordered:
        start = _align_up(address, section.align)
        address = start + _runtime_size(section)
        placements.append(Placement(section.name, section.kind, start, address, section.align, False))
    return placements


def _linear_source(sections: Sequence[Section], runtime: list[Placement], origin: int
                   ) -> tuple[str, dict[int, tuple[str, int]]]:
    """The linked source and, for each of its line numbers, (section, line in that section).

    Lines the linker wrote itself have line 0.
    """
    lines = [
        "; Linked by ulm_z80.linker -- one linear source in the portable subset.",
        "; Runtime sections (not stored in the file):",
    ]
    owner: dict[int, tuple[str, int]] = {}
    by_name = {s.name: s for s in sections}
    memory_end = max((placed.end for placed in runtime), default=None)
    for placed in runtime:
        section = by_name[placed.name]
        first_line = len(lines) + 1
        lines.append(f"__{placed.name}_start: EQU {placed.start:05X}h")
        offset = placed.start
        for label, size in section.bss_labels:
            lines.append(f"{label}: EQU {offset:05X}h")
            offset += size
        lines.append(f"__{placed.name}_end: EQU {placed.end:05X}h")
        for number in range(first_line, len(lines) + 1):
            owner[number] = (placed.name, 0)
    if memory_end is not None:
        lines.append(f"__memory_end: EQU {memory_end:05X}h")
    lines += ["", f"        ORG {origin:05X}h"]
    for section in sections:
        if not section.in_file:
            continue
        lines.append("")
        lines.append(f"; ---- section {section.name} ({section.kind}, align {section.align}) ----")
        if section.align > 1:
            lines.append(_padding_line(section.align))
        lines.append(f"__{section.name}_start:")
        owner[len(lines)] = (section.name, 0)
        body = section.source.split("\n")
        if body and body[-1] == "":
            body.pop()
        for number, text in enumerate(body, start=1):
            lines.append(text)
            owner[len(lines)] = (section.name, number)
        lines.append(f"__{section.name}_end:")
        owner[len(lines)] = (section.name, 0)
    lines += ["", "__file_end:", "        END", ""]
    return "\n".join(lines), owner


def _budget_check(sections: Sequence[Section], placements: list[Placement], origin: int,
                  tpa_top: int, memory_name: str) -> None:
    end = max(placed.end for placed in placements) if placements else origin
    used = end - origin
    available = tpa_top - origin + 1
    if used <= available:
        return
    largest = sorted(placements, key=lambda placed: (-placed.size, placed.name))[:3]
    named = ", ".join(f"{placed.name} ({placed.kind}) {placed.size}" for placed in largest)
    raise TPABudgetError(
        f"program needs {used} bytes but {memory_name} {origin:04X}h-{tpa_top:04X}h holds {available}: "
        f"over by {used - available} bytes; largest sections: {named}"
    )


def link(sections: Sequence[Section], origin: int = CPM_ORIGIN, tpa_top: int = DEFAULT_TPA_TOP,
         fill_alignment_gaps: bool = False, memory_name: str = "the TPA") -> LinkedProgram:
    """Lay out ``sections`` from ``origin``; everything must fit up to ``tpa_top`` (inclusive),
    which the budget error calls ``memory_name`` (the target's: ``the CP/M 2.2 TPA``).

    With ``fill_alignment_gaps``, the largest unaligned bss sections that fit go into the gap
    before the first aligned bss section (largest first), instead of all in the order given.

    Raises :class:`LinkError` for bad sections, :class:`TPABudgetError` when over budget and
    :class:`~ulm_z80.asm.AsmError` for errors in a section's source, naming the section and the
    line within it: ``section code:12: undefined symbol 'FOO'``.
    """
    if not 0 <= origin <= tpa_top <= 0xFFFF:
        raise LinkError(f"need 0 <= origin <= tpa_top <= 0FFFFh, got {origin:04X}h and {tpa_top:04X}h")
    _check_sections(sections)

    # The sizing round runs as low as the alignments allow, so that a file too big for the
    # memory above a high origin (the Spectrum's 6000h) gets the budget error below rather than
    # addresses past FFFFh; its padding is the same, the origins being equal modulo every align.
    shift = origin - origin % max((s.align for s in sections), default=1)
    placeholder = _place_runtime(sections, origin - shift)
    first_source, first_owner = _linear_source(sections, placeholder, origin - shift)
    try:
        first = _assemble_linked(first_source, first_owner)
    except AddressSpaceError as error:  # bigger than the whole address space: over any budget
        raise TPABudgetError(
            f"the program runs past address 0FFFFh ({error.file}:{error.line}); "
            f"{memory_name} holds {tpa_top - origin + 1} bytes"
        ) from None
    file_end = first.symbols["__file_end"] + shift

    file_placements = [
        Placement(s.name, s.kind, first.symbols[f"__{s.name}_start"] + shift,
                  first.symbols[f"__{s.name}_end"] + shift, s.align, True)
        for s in sections if s.in_file
    ]
    runtime = _place_runtime(sections, file_end, fill_alignment_gaps)
    _budget_check(sections, file_placements + runtime, origin, tpa_top, memory_name)

    source, owner = _linear_source(sections, runtime, origin)
    final = _assemble_linked(source, owner)
    if final.symbols["__file_end"] != file_end:
        raise LinkError(
            "the file's placement depends on bss/stack addresses (a DS or ALIGN size uses them); "
            "sizes in code, rodata and weights must not depend on runtime buffers"
        )
    for placed in file_placements:
        if final.symbols[f"__{placed.name}_start"] != placed.start:
            raise LinkError(f"section '{placed.name}' moved between link rounds")
    section_of_symbol = {
        name: owner.get(line, ("-", 0))[0] for name, (_, line) in final.symbol_sources.items()
    }
    by_name = {placed.name: placed for placed in file_placements + runtime}
    ordered = [by_name[s.name] for s in sections if s.in_file] + runtime
    return LinkedProgram(source, final, ordered, origin, tpa_top, section_of_symbol)


def _assemble_linked(source: str, owner: dict[int, tuple[str, int]]) -> Assembly:
    """Assemble the linked source; an error names the section and its own line number."""
    try:
        return assemble(source, LINKED_FILENAME)
    except AsmError as error:
        section, line = owner.get(error.line, ("", 0))
        if not section:
            raise
        raise type(error)(error.message, f"section {section}", line) from None
