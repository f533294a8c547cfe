"""Example source lines for every instruction form of the opcode table.

Used by the cross-check tests (our encoding against pasmo and z80asm) and handy for eyeballing
the table. :func:`example_line` writes one form with given operand values.
"""

from __future__ import annotations

from .opcodes import TABLE, Key, Template

# Instruction forms the other assemblers get wrong or lack; see the package docstring.
UNDOCUMENTED_MNEMONICS = frozenset({"SLL"})
_INDEX_HALVES = frozenset({"IXH", "IXL", "IYH", "IYL"})


def is_undocumented(key: Key) -> bool:
    """True for the undocumented forms: IXH/IXL/IYH/IYL, SLL, IN F,(C), IN (C), OUT (C),0."""
    mnemonic, shapes = key
    if mnemonic in UNDOCUMENTED_MNEMONICS or _INDEX_HALVES.intersection(shapes):
        return True
    return key in {("IN", ("F", "(C)")), ("IN", ("(C)",)), ("OUT", ("(C)", "*"))}


def is_alternative_spelling(key: Key) -> bool:
    """ALU forms written the other way (``SUB A,B``, ``ADD B``): not Zilog's own spelling."""
    mnemonic, shapes = key
    if mnemonic in ("ADD", "ADC", "SBC"):
        return len(shapes) == 1
    if mnemonic in ("SUB", "AND", "XOR", "OR", "CP"):
        return len(shapes) == 2
    return False


def example_line(key: Key, template: Template, values: dict[str, int]) -> str:
    """``key`` written as source with operand values taken from ``values`` by slot kind.

    ``values`` maps slot kinds (``n``, ``nn``, ``d``, ``e``, ``bit``, ``rst``, ``im``) to values;
    ``e`` is a displacement from the instruction's end, written ``$+size+e``.
    """
    mnemonic, shapes = key
    kinds: dict[int, str] = {}
    size = 0
    for slot in template:
        if isinstance(slot, int):
            size += 1
        else:
            kinds[slot[1]] = slot[0]
            size += 0 if slot[0] == "zero" else (2 if slot[0] == "nn" else 1)
    operands = []
    for index, shape in enumerate(shapes):
        kind = kinds.get(index)
        if kind is None:
            operands.append(shape)
            continue
        if kind == "e":
            text = f"$+{size + values['e']}" if size + values["e"] >= 0 else f"$-{-(size + values['e'])}"
        elif kind == "zero":
            text = "0"
        else:
            value = values[kind]
            text = str(value) if value >= 0 else f"-{-value}"
        if shape == "(*)":
            operands.append(f"({text})")
        elif shape.endswith("+*)"):
            sign = "+" if values["d"] >= 0 else "-"
            operands.append(f"{shape[:-3]}{sign}{abs(values['d'])})")
        else:
            operands.append(text)
    return f"{mnemonic} {','.join(operands)}".rstrip()


DEFAULT_VALUES = {"n": 0x5A, "nn": 0x1234, "d": 5, "e": -7, "bit": 3, "rst": 0x18, "im": 1}


def all_forms(values: dict[str, int] | None = None) -> list[tuple[Key, str]]:
    """Every table entry with an example line, in table order."""
    chosen = dict(DEFAULT_VALUES, **(values or {}))
    return [(key, example_line(key, template, chosen)) for key, template in TABLE.items()]
