"""Two-stage assembly: parse every line once into statements, then lay out and emit in passes.

Parsing expands INCLUDE, resolves local label names and picks each instruction's opcode
template, so an instruction's size is known before any symbol has a value. Layout passes then
assign addresses, using the previous pass's values for forward references, until no symbol
changes; a last, strict pass evaluates everything and emits the bytes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .conditionals import CONDITIONAL_DIRECTIVES, Conditions, conditional_directive, constant_value
from .errors import AddressSpaceError, AsmError
from .expressions import Node, Unresolved, evaluate, parse_expression
from .lexer import LineError, Token, parse_number, tokenize
from .opcodes import CONDITION_NAMES, MNEMONICS, REGISTERS, TABLE, Template, template_size
from .output import ListingRecord, listing_text, symbol_file_text

MAX_PASSES = 40
MAX_INCLUDE_DEPTH = 32
MAX_LINE_LENGTH = 100_000  # characters; far beyond any real line, keeps bad input fast to reject
ADDRESS_LIMIT = 0x10000

DIRECTIVES = frozenset({"ORG", "EQU", "DB", "DEFB", "DEFM", "DM", "DW", "DEFW", "DS", "DEFS",
                        "ALIGN", "INCLUDE", "END"}) | CONDITIONAL_DIRECTIVES
_MNEMONIC_ALIASES = {"SLI": "SLL"}
# Fast path for the bulk of a generated program (weights): an unlabelled DB of plain numbers.
_PLAIN_DB_RE = re.compile(
    r"[ \t]+(?:DB|DEFB)[ \t]+([0-9][0-9A-Za-z]*(?:[ \t]*,[ \t]*[0-9][0-9A-Za-z]*)*)[ \t]*(?:;.*)?", re.I
)
_NUMBER_RE = re.compile(r"[0-9][0-9A-Za-z]*")
_INDEX_REGISTERS = ("IX", "IY")

# Statement kinds.
NOTHING, INSTRUCTION, BYTES, DATA, EQU, ORG, SPACE, ALIGN = range(8)


@dataclass(eq=False)
class Statement:
    """One source line, parsed."""

    file: str
    line: int
    text: str
    kind: int = NOTHING
    label: str | None = None
    size: int = 0
    template: Template = ()
    operands: list[Node | None] = field(default_factory=list)
    data: bytes = b""
    items: list[tuple[int, Node]] = field(default_factory=list)  # (width 1 or 2, expression)
    expression: Node = 0
    fill: Node = 0
    include_depth: int = 0


class _Parser:
    """Turns source text (and included files) into a flat list of statements."""

    def __init__(self, include_dirs: tuple[str, ...]) -> None:
        self.include_dirs = include_dirs
        self.statements: list[Statement] = []
        self.definitions: dict[str, Statement] = {}
        self.scope = ""
        self.ended = False
        self.conditions = Conditions()
        self.constants: dict[str, int] = {}  # EQUs whose value is known where they stand (for IF)

    def resolve_name(self, name: str) -> str:
        """Full name of a symbol: ``.name`` is local to the last global address label."""
        if name.startswith(".") and len(name) > 1:
            return self.scope + name
        return name

    def parse_source(self, source: str, filename: str, base_dir: str,
                     include_stack: tuple[str, ...]) -> None:
        lines = source.split("\n")
        depth = len(self.conditions.blocks)
        for number, text in enumerate(lines, start=1):
            if self.ended:
                return
            if text.endswith("\r"):
                text = text[:-1]
            statement = Statement(filename, number, text, include_depth=len(include_stack))
            try:
                include = self.parse_statement(statement)
            except LineError as problem:
                raise AsmError(str(problem), filename, number) from None
            self.statements.append(statement)
            if include is not None:
                self.include(include, statement, base_dir, include_stack)
        try:
            self.conditions.check_closed(depth)
        except LineError as problem:
            raise AsmError(str(problem), filename, len(lines)) from None

    def parse_statement(self, statement: Statement) -> str | None:
        """A line that is IF, ELSE or ENDIF, or is in a block not assembled, stays a statement
        without content (the listing shows it); any other is parsed by :meth:`parse_line`."""
        conditional = conditional_directive(statement.text)
        if conditional is not None:
            name, operands = conditional
            self.conditions.handle(name, operands, statement.line, self.expression, self.constants)
            return None
        if not self.conditions.active:
            return None
        return self.parse_line(statement)

    def include(self, name: str, statement: Statement, base_dir: str,
                include_stack: tuple[str, ...]) -> None:
        def fail(message: str) -> AsmError:
            return AsmError(message, statement.file, statement.line)

        candidates = [os.path.join(base_dir, name)] + [os.path.join(d, name) for d in self.include_dirs]
        path = next((c for c in candidates if os.path.isfile(c)), None)
        if path is None:
            raise fail(f"include file '{name}' not found")
        real = os.path.realpath(path)
        if real in include_stack:
            chain = " -> ".join(os.path.basename(p) for p in include_stack + (real,))
            raise fail(f"include cycle: {chain}")
        if len(include_stack) >= MAX_INCLUDE_DEPTH:
            raise fail(f"includes nested deeper than {MAX_INCLUDE_DEPTH}")
        try:
            text = Path(path).read_bytes().decode("latin-1")
        except OSError as problem:
            raise fail(f"cannot read include file '{name}': {problem.strerror}") from None
        self.parse_source(text, path, os.path.dirname(path), include_stack + (real,))

    def define(self, name: str, statement: Statement) -> None:
        upper = name.upper()
        if upper in REGISTERS or upper in CONDITION_NAMES:
            raise LineError(f"'{name}' is a register or condition name, not a label")
        earlier = self.definitions.get(name)
        if earlier is not None:
            raise LineError(f"symbol '{name}' already defined at {earlier.file}:{earlier.line}")
        self.definitions[name] = statement
        statement.label = name

    def parse_line(self, statement: Statement) -> str | None:
        """Fill in ``statement``; return an INCLUDE file name if the line is an INCLUDE."""
        text = statement.text
        if len(text) > MAX_LINE_LENGTH:
            raise LineError(f"line longer than {MAX_LINE_LENGTH} characters")
        if not text or text.isspace():
            return None
        plain = _PLAIN_DB_RE.fullmatch(text)
        if plain is not None:
            # Anything unusual (a bad number, a value out of range) takes the general path,
            # which reports it.
            try:
                values = [parse_number(number) for number in _NUMBER_RE.findall(plain.group(1))]
            except LineError:
                values = [-1]
            if 0 <= min(values) and max(values) <= 255:
                statement.kind, statement.data, statement.size = BYTES, bytes(values), len(values)
                return None
        tokens = tokenize(text)
        if not tokens:
            return None
        first = tokens[0]
        position = 0
        label: str | None = None
        if first.kind == "id" and first.value != "$":
            name = str(first.value)
            upper = name.upper()
            if len(tokens) > 1 and tokens[1].kind == ":":
                label, position = name, 2
            elif len(tokens) > 1 and tokens[1].kind == "id" and str(tokens[1].value).upper() == "EQU":
                label, position = name, 1
            elif not text[0].isspace() and upper not in MNEMONICS and upper not in DIRECTIVES:
                label, position = name, 1
        rest = tokens[position:]
        is_equ = bool(rest) and rest[0].kind == "id" and str(rest[0].value).upper() == "EQU"
        if label is not None:
            full = self.resolve_name(label)
            self.define(full, statement)
            if not is_equ and not label.startswith("."):
                self.scope = label
        if not rest:
            return None
        head = rest[0]
        if head.kind != "id":
            raise LineError(f"instruction expected, found {head.value!r}")
        mnemonic = str(head.value).upper()
        arguments = _split_operands(rest[1:])
        if mnemonic in DIRECTIVES:
            return self.directive(statement, mnemonic, arguments)
        self.instruction(statement, _MNEMONIC_ALIASES.get(mnemonic, mnemonic), arguments)
        return None

    def expression(self, tokens: list[Token]) -> Node:
        return parse_expression(tokens, self.resolve_name)

    def directive(self, statement: Statement, name: str, arguments: list[list[Token]]) -> str | None:
        def count(low: int, high: int) -> None:
            if not low <= len(arguments) <= high:
                wanted = str(low) if low == high else f"{low} to {high}"
                raise LineError(f"{name} takes {wanted} argument(s), got {len(arguments)}")

        if name == "EQU":
            if statement.label is None:
                raise LineError("EQU needs a label")
            count(1, 1)
            statement.kind, statement.expression = EQU, self.expression(arguments[0])
            value = constant_value(statement.expression, self.constants)
            if value is not None:
                self.constants[statement.label] = value
        elif name == "ORG":
            count(1, 1)
            statement.kind, statement.expression = ORG, self.expression(arguments[0])
        elif name in ("DS", "DEFS", "ALIGN"):
            count(1, 2)
            statement.kind = SPACE if name != "ALIGN" else ALIGN
            statement.expression = self.expression(arguments[0])
            statement.fill = self.expression(arguments[1]) if len(arguments) > 1 else 0
        elif name in ("DB", "DEFB", "DEFM", "DM", "DW", "DEFW"):
            self.data(statement, 2 if name in ("DW", "DEFW") else 1, arguments)
        elif name == "INCLUDE":
            if len(arguments) != 1 or len(arguments[0]) != 1 or arguments[0][0].kind != "str":
                raise LineError('INCLUDE needs one quoted file name: INCLUDE "file.asm"')
            return str(arguments[0][0].value)
        else:  # END (an optional start address is accepted and ignored)
            count(0, 1)
            self.ended = True
        return None

    def data(self, statement: Statement, width: int, arguments: list[list[Token]]) -> None:
        if not arguments:
            raise LineError("data directive needs at least one value")
        items: list[tuple[int, Node]] = []
        constant = bytearray()
        all_constant = True
        for argument in arguments:
            if width == 1 and len(argument) == 1 and argument[0].kind == "str":
                text = str(argument[0].value)
                try:
                    encoded = text.encode("latin-1")
                except UnicodeEncodeError:
                    raise LineError(f"string {text!r} has characters that are not bytes") from None
                items.extend((1, byte) for byte in encoded)
                constant += encoded
                continue
            node = self.expression(argument)
            items.append((width, node))
            if isinstance(node, int) and all_constant:
                constant += _encode_value(node, width)
            else:
                all_constant = False
        if all_constant:
            statement.kind, statement.data, statement.size = BYTES, bytes(constant), len(constant)
        else:
            statement.kind, statement.items = DATA, items
            statement.size = sum(width for width, _ in items)

    def instruction(self, statement: Statement, mnemonic: str, arguments: list[list[Token]]) -> None:
        """Pick the opcode template for ``mnemonic`` with these operands."""
        if mnemonic not in MNEMONICS:
            raise LineError(f"unknown instruction '{mnemonic}'")
        shapes: list[str] = []
        operands: list[Node | None] = []
        for argument in arguments:
            shape, node = self.operand(argument)
            shapes.append(shape)
            operands.append(node)
        template = TABLE.get((mnemonic, tuple(shapes)))
        if template is None and any(s in ("(IX)", "(IY)") for s in shapes):
            # (IX) is (IX+0) everywhere except JP (IX).
            shapes = [f"{s[:-1]}+*)" if s in ("(IX)", "(IY)") else s for s in shapes]
            template = TABLE.get((mnemonic, tuple(shapes)))
        if template is None:
            raise LineError(f"'{mnemonic}' cannot take {_operands_as_written(statement.text, mnemonic)}")
        statement.kind, statement.template, statement.operands = INSTRUCTION, template, operands
        statement.size = template_size(template)

    def operand(self, tokens: list[Token]) -> tuple[str, Node | None]:
        """Shape (see opcodes) and expression of one instruction operand."""
        if not tokens:
            raise LineError("missing operand")
        if len(tokens) == 1 and tokens[0].kind == "id":
            upper = str(tokens[0].value).upper()
            if upper in REGISTERS or upper in CONDITION_NAMES:
                return upper, None
        if tokens[0].kind == "(" and _matching_paren(tokens, 0) == len(tokens) - 1:
            inner = tokens[1:-1]
            if inner and inner[0].kind == "id":
                upper = str(inner[0].value).upper()
                if len(inner) == 1 and upper in ("BC", "DE", "HL", "SP", "C"):
                    return f"({upper})", None
                if upper in _INDEX_REGISTERS:
                    if len(inner) == 1:
                        return f"({upper})", 0
                    if inner[1].kind == "op" and inner[1].value in ("+", "-"):
                        return f"({upper}+*)", self.expression(inner[1:])
                if upper in REGISTERS:
                    raise LineError(f"'({inner[0].value})' is not an addressing mode")
            return "(*)", self.expression(inner)
        return "*", self.expression(tokens)


def _operands_as_written(text: str, mnemonic: str) -> str:
    """The operand text of an instruction line, for error messages."""
    found = re.search(rf"\b{mnemonic}\b(.*)", text.split(";")[0], re.I)
    operands = found.group(1).strip() if found else ""
    return f"'{operands}'" if operands else "no operands"


def _matching_paren(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        kind = tokens[index].kind
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split_operands(tokens: list[Token]) -> list[list[Token]]:
    """Split at the commas outside parentheses."""
    if not tokens:
        return []
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        kind = token.kind
        if kind == "," and depth == 0:
            parts.append([])
            continue
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
        parts[-1].append(token)
    for part in parts:
        if not part:
            raise LineError("missing operand")
    return parts


def _encode_value(value: int, width: int) -> bytes:
    if width == 1:
        if not -128 <= value <= 255:
            raise LineError(f"value {value} does not fit in a byte (-128..255)")
        return bytes((value & 0xFF,))
    if not -32768 <= value <= 65535:
        raise LineError(f"value {value} does not fit in a word (-32768..65535)")
    return bytes((value & 0xFF, (value >> 8) & 0xFF))


@dataclass
class Assembly:
    """The result of assembling: a binary image plus what the listing and symbol files need."""

    binary: bytes
    origin: int
    symbols: dict[str, int]
    symbol_sources: dict[str, tuple[str, int]]  # symbol -> (file, line) of its definition
    constants: frozenset[str]  # the symbols defined by EQU (the others are address labels)
    records: list[ListingRecord] = field(repr=False)

    @property
    def end(self) -> int:
        """One past the last address of the binary."""
        return self.origin + len(self.binary)

    def listing(self) -> str:
        """The ``.lst`` text: line number, address, bytes (hex) and source of every line."""
        return listing_text(self.records, self.binary, self.origin)

    def symbol_file(self) -> str:
        """The ``.sym`` text: ``NAME 0123h`` per line, sorted by value then name."""
        return symbol_file_text(self.symbols)


@dataclass
class _Step:
    """What one statement did in a pass: where it stands, the address after it, its bytes."""

    address: int
    pc: int
    emitted: bytes | None = None
    value: int | None = None  # an EQU's value
    origin: int | None = None  # an ORG's address


def _store(output: tuple[bytearray, bytearray, list[ListingRecord]], statement: Statement, step: _Step
           ) -> tuple[int, int] | None:
    """Put ``step``'s bytes in memory and its row in the listing; the range written, if any."""
    memory, written, records = output
    kind = statement.kind
    stored = None
    if step.emitted:
        end = step.address + len(step.emitted)
        if end > ADDRESS_LIMIT:
            raise LineError("code runs past address 0FFFFh")
        if written.find(1, step.address, end) >= 0:
            raise LineError(f"code overlaps earlier code at {step.address:04X}h")
        memory[step.address:end] = step.emitted
        written[step.address:end] = b"\x01" * len(step.emitted)
        stored = (step.address, end)
    has_address = kind not in (NOTHING, EQU) or statement.label is not None
    records.append(ListingRecord(statement.file, statement.line, statement.text,
                                 step.address if has_address and kind != EQU else None,
                                 step.pc - step.address if kind != ORG else 0, step.value,
                                 statement.include_depth, kind in (SPACE, ALIGN)))
    return stored


class _Passes:
    """Address assignment and emission over the parsed statements."""

    def __init__(self, statements: list[Statement], definitions: dict[str, Statement]) -> None:
        self.statements = statements
        self.definitions = definitions
        self.values: dict[str, int] = {}
        self.strict = False
        self.changed = False
        self.last_changed: Statement | None = None  # for the "does not settle" error
        self.current: Statement | None = None
        self.past_limit: Statement | None = None  # the first statement ending past 0FFFFh

    def lookup(self, name: str) -> int:
        value = self.values.get(name)
        if value is None:
            raise Unresolved(name)
        return value

    def set_value(self, name: str, value: int) -> None:
        if self.values.get(name) != value:
            self.values[name] = value
            self.changed = True
            self.last_changed = self.current

    def evaluate(self, node: Node, pc: int) -> int:
        if isinstance(node, int):
            return node
        try:
            return evaluate(node, self.lookup, pc)
        except Unresolved as missing:
            if not self.strict:
                raise
            if missing.name in self.definitions:
                raise LineError(f"symbol '{missing.name}' has no value (circular definition?)") from None
            raise LineError(f"undefined symbol '{missing.name}'") from None

    def run(self) -> Assembly:
        for _ in range(MAX_PASSES):
            self.changed = False
            self.address_pass(None)
            if not self.changed:
                break
        else:
            where = self.last_changed or self.statements[-1]
            raise AsmError(f"symbol '{where.label}' still changes after {MAX_PASSES} passes "
                           "(its address depends on itself)", where.file, where.line)
        if self.past_limit is not None:  # before any value is encoded: the cause, not a symptom
            where = self.past_limit
            raise AddressSpaceError("code runs past address 0FFFFh", where.file, where.line)
        self.strict = True
        memory = bytearray(ADDRESS_LIMIT)
        written = bytearray(ADDRESS_LIMIT)
        records: list[ListingRecord] = []
        bounds = self.address_pass((memory, written, records))
        low, high, origin = bounds
        binary = bytes(memory[origin:high]) if high > origin else b""
        sources = {name: (st.file, st.line) for name, st in self.definitions.items()}
        symbols = {name: self.values[name] for name in self.definitions}
        del low
        constants = frozenset(name for name, st in self.definitions.items() if st.kind == EQU)
        return Assembly(binary, origin, symbols, sources, constants, records)

    def address_pass(self, output: tuple[bytearray, bytearray, list[ListingRecord]] | None
                     ) -> tuple[int, int, int]:
        """One pass over all statements; with ``output``, strict evaluation and emission.

        Returns (lowest written address, one past the highest, origin).
        """
        pc = 0
        low, high = ADDRESS_LIMIT, 0
        origins: list[int] = []
        code_before_org = False
        self.past_limit = None
        for statement in self.statements:
            self.current = statement
            try:
                step = self.advance(statement, pc, output is not None)
                if step.origin is not None:
                    origins.append(step.origin)
                pc = step.pc
                if pc > ADDRESS_LIMIT and self.past_limit is None:
                    self.past_limit = statement
                if output is None:
                    continue
                stored = _store(output, statement, step)
                if stored is not None:
                    low, high = min(low, stored[0]), max(high, stored[1])
                    code_before_org = code_before_org or not origins
            except LineError as problem:
                raise AsmError(str(problem), statement.file, statement.line) from None
        if code_before_org or not origins:
            origins.append(0)
        return low, high, min(origins)

    def advance(self, statement: Statement, pc: int, emit: bool) -> _Step:
        """Where ``statement`` stands and what it does at ``pc``; its bytes when ``emit``."""
        if statement.label is not None and statement.kind != EQU:
            self.set_value(statement.label, pc)
        kind = statement.kind
        if kind == INSTRUCTION:
            return _Step(pc, pc + statement.size, self.encode(statement, pc) if emit else None)
        if kind == BYTES:
            return _Step(pc, pc + statement.size, statement.data)
        if kind == DATA:
            data = b"".join(_encode_value(self.evaluate(node, pc), width) for width, node in statement.items) if emit else None
            return _Step(pc, pc + statement.size, data)
        if kind == EQU:
            assert statement.label is not None
            try:
                value = self.evaluate(statement.expression, pc)
            except Unresolved:
                return _Step(pc, pc)
            self.set_value(statement.label, value)
            return _Step(pc, pc, value=value)
        if kind == ORG:
            try:
                target = self.evaluate(statement.expression, pc)
            except Unresolved:
                target = pc  # still unknown: the strict pass reports it
            if emit and not 0 <= target < ADDRESS_LIMIT:
                raise LineError(f"ORG address {target} outside 0..0FFFFh")
            return _Step(target, target, origin=target)
        if kind in (SPACE, ALIGN):
            return self.space(statement, pc, emit)
        return _Step(pc, pc)

    def space(self, statement: Statement, pc: int, emit: bool) -> _Step:
        """A DS or ALIGN statement at ``pc``."""
        try:
            amount = self.evaluate(statement.expression, pc)
        except Unresolved:
            amount = 1 if statement.kind == ALIGN else 0  # as for ORG
        if statement.kind == ALIGN:
            if amount < 1:
                raise LineError(f"ALIGN needs a positive boundary, not {amount}")
            amount = -pc % amount
        elif amount < 0:
            raise LineError(f"DS size {amount} is negative")
        if not emit:
            return _Step(pc, pc + amount)
        fill = _encode_value(self.evaluate(statement.fill, pc), 1)
        if pc + amount > ADDRESS_LIMIT:
            raise LineError("code runs past address 0FFFFh")
        return _Step(pc, pc + amount, fill * amount)

    def encode(self, statement: Statement, address: int) -> bytes:
        out = bytearray()
        operands = statement.operands
        for slot in statement.template:
            if isinstance(slot, int):
                out.append(slot)
                continue
            kind = slot[0]
            node = operands[slot[1]]
            assert node is not None
            value = self.evaluate(node, address)
            if kind == "n":
                out += _encode_value(value, 1)
            elif kind == "nn":
                out += _encode_value(value, 2)
            elif kind == "d":
                if not -128 <= value <= 127:
                    raise LineError(f"index displacement {value} out of range (-128..127)")
                out.append(value & 0xFF)
            elif kind == "e":
                displacement = value - (address + statement.size)
                if not -128 <= displacement <= 127:
                    raise LineError(f"relative jump to {value & 0xFFFF:04X}h out of range "
                                    f"(displacement {displacement}, allowed -128..127)")
                out.append(displacement & 0xFF)
            elif kind == "bit":
                if not 0 <= value <= 7:
                    raise LineError(f"bit number {value} out of range (0..7)")
                out.append(slot[2] + 8 * value)  # type: ignore[misc]
            elif kind == "rst":
                if value not in (0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38):
                    raise LineError(f"RST target {value} is not one of 0, 8, 10h, ..., 38h")
                out.append(0xC7 + value)
            elif kind == "im":
                if value not in (0, 1, 2):
                    raise LineError(f"interrupt mode {value} is not 0, 1 or 2")
                out.append((0x46, 0x56, 0x5E)[value])
            else:  # zero
                if value != 0:
                    raise LineError(f"only 0 is allowed here, not {value}")
        return bytes(out)


def assemble(source: str | bytes, filename: str = "<asm>", include_dirs: tuple[str, ...] | list[str] = ()
             ) -> Assembly:
    """Assemble ``source`` (bytes are read as latin-1); raise :class:`AsmError` on any problem.

    INCLUDE names are looked up relative to the directory of ``filename`` (the current
    directory for a name like ``<asm>``), then in ``include_dirs``.
    """
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("latin-1")
    is_real_file = not filename.startswith("<")
    base_dir = os.path.dirname(os.path.abspath(filename)) if is_real_file else os.getcwd()
    stack = (os.path.realpath(filename),) if is_real_file else ()
    parser = _Parser(tuple(str(d) for d in include_dirs))
    try:
        parser.parse_source(source, filename, base_dir, stack)
        return _Passes(parser.statements, parser.definitions).run()
    except RecursionError:
        raise AsmError("source nested too deeply to assemble", filename, 0) from None


def assemble_file(path: str | os.PathLike[str], include_dirs: tuple[str, ...] | list[str] = ()
                  ) -> Assembly:
    """Assemble the file at ``path`` (read as latin-1)."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as problem:
        raise AsmError(f"cannot read: {problem.strerror}", name, 0) from None
    return assemble(data, name, include_dirs)
