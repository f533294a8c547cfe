"""The fixed routines: ``.asm`` files shipped in the package, copied into every program.

Code that does not change with the model is written as Z80 assembly, not generated: the answer
loop, the tokenizer and encoders and argmax in ``ulm_z80/routines/``, each kernel's shared routine
beside its module in ``ulm_z80/kernels/``, a machine's entry and console in its target folder
(``ulm_z80/targets/cpm/``). Each file assembles alone with ulm's assembler, pasmo and z80asm
(``tests/test_asmfiles.py``), given its inputs. It starts with a comment block that says what it
does and, on lines the tests read, what it relies on::

    ; Needs:    INPUT QUERY_LEN ...   labels and equates defined elsewhere in the program
    ; Flags:    LISTED  what it is    build flags its IF blocks test (several Flags lines)
    ; Includes: put_char.asm          inline fragments it takes from the target's folder
    ; Defines:  ANSWER PROBE_CHAR     the labels other code and the tools rely on

The code generator copies a file into the program with :func:`inline`: ``IF FLAG`` / ``ELSE`` /
``ENDIF`` blocks are resolved with the build's flags and ``INCLUDE "name"`` is replaced by the
target's fragment of that name, so the generated program is one linear file in the portable subset
(:mod:`ulm_z80.asm`) and shows only the code that is assembled.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources

from ulm_z80.asm.conditionals import conditional_directive
from ulm_z80.asm.lexer import Token

_HEADER_KEY = re.compile(r";\s*(Needs|Flags|Includes|Defines):\s*(.*)")
_INCLUDE = re.compile(r"[ \t]+INCLUDE[ \t]+\"([^\"]+)\"[ \t]*(?:;[ \t]*(.*))?", re.I)


@dataclass(frozen=True)
class AsmFile:
    """One fixed ``.asm`` file and what its header declares."""

    where: str
    """Its place in the package, for messages: ``routines/answer.asm``."""
    text: str
    needs: tuple[str, ...]
    flags: tuple[str, ...]
    includes: tuple[str, ...]
    defines: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.where.rpartition("/")[2]


def header_block(text: str) -> list[str]:
    """The file's leading comment lines (up to the first line that is not a comment)."""
    block = []
    for line in text.split("\n"):
        if not line.startswith(";"):
            break
        block.append(line)
    return block


def parse(text: str, where: str) -> AsmFile:
    """An :class:`AsmFile` from its text (``where`` names it in messages)."""
    fields: dict[str, list[str]] = {"Needs": [], "Flags": [], "Includes": [], "Defines": []}
    for line in header_block(text):
        found = _HEADER_KEY.match(line)
        if found is None:
            continue
        words = found.group(2).split()
        fields[found.group(1)] += words[:1] if found.group(1) == "Flags" else words
    return AsmFile(where, text, *(tuple(fields[key]) for key in ("Needs", "Flags", "Includes", "Defines")))


@functools.lru_cache(maxsize=64)
def read(package: str, name: str) -> AsmFile:
    """The fixed file ``name`` shipped in ``package`` (``ulm_z80.routines``, ``ulm_z80.kernels``...)."""
    text = resources.files(package).joinpath(name).read_text(encoding="ascii")
    where = package.removeprefix("ulm_z80.").replace(".", "/") + "/" + name
    return parse(text, where)


Fragments = Callable[[str], AsmFile]


class InlineError(ValueError):
    """A fixed file the generator cannot copy: a mistake in the package, not the user's."""


def inline(file: AsmFile, flags: Mapping[str, bool], fragments: Fragments | None = None) -> str:
    """``file``'s text with its ``IF`` blocks resolved by ``flags`` and its ``INCLUDE`` lines
    replaced by ``fragments(name)`` (without the fragment's header, after a comment naming it)."""
    out: list[str] = []
    blocks: list[tuple[bool, bool]] = []  # (enclosing block active, this branch active)
    for number, line in enumerate(file.text.rstrip("\n").split("\n"), start=1):
        conditional = conditional_directive(line)
        if conditional is not None:
            _apply_conditional(conditional, blocks, flags, f"{file.where}:{number}")
            continue
        if blocks and not blocks[-1][1]:
            continue
        included = _INCLUDE.fullmatch(line)
        if included is None:
            out.append(line)
            continue
        if fragments is None:
            raise InlineError(f"{file.where}:{number}: INCLUDE, but no fragments were given")
        fragment = fragments(included.group(1))
        note = f": {included.group(2)}" if included.group(2) else ""
        out.append(f"; {fragment.where}{note}")
        out += fragment.text.rstrip("\n").split("\n")[len(header_block(fragment.text)) :]
    if blocks:
        raise InlineError(f"{file.where}: an IF has no ENDIF")
    return "\n".join(out) + "\n"


def _apply_conditional(conditional: tuple[str, list[Token]], blocks: list[tuple[bool, bool]],
                       flags: Mapping[str, bool], where: str) -> None:
    name, operands = conditional
    active = not blocks or blocks[-1][1]
    if name == "IF":
        flag = str(operands[0].value) if len(operands) == 1 and operands[0].kind == "id" else ""
        if flag not in flags:
            raise InlineError(f"{where}: IF must test one build flag ({', '.join(sorted(flags))})")
        blocks.append((active, active and flags[flag]))
    elif not blocks:
        raise InlineError(f"{where}: {name} without IF")
    elif name == "ELSE":
        enclosing, taken = blocks[-1]
        blocks[-1] = (enclosing, enclosing and not taken)
    else:
        blocks.pop()
