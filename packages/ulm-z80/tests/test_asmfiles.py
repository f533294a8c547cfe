"""The fixed routines (.asm files in the package): each assembles alone, the same with ulm's
assembler, pasmo and z80asm, under every combination of its flags; its header tells the truth
about what it needs, tests and defines; and the generator's copy of it is the same code."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from asm_fixtures.external import PASMO, Z80ASM, assemble_with

from ulm_z80.asm import AsmError, assemble
from ulm_z80.asmfiles import AsmFile, inline, read
from ulm_z80.targets import Target, targets

PACKAGES = ("ulm_z80.routines", "ulm_z80.kernels", *(t.package for t in targets().values()))


def fixed_files() -> Iterator[tuple[str, str]]:
    for package in PACKAGES:
        for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".asm"):
                yield package, entry.name


FILES = list(fixed_files())
TARGETS = list(targets().values())


def folder(target: Target) -> Path:
    return Path(str(resources.files(target.package)))


def needs_of(file: AsmFile, target: Target) -> list[str]:
    """What the file needs, and what the fragments it includes need."""
    needs = list(file.needs)
    for name in file.includes:
        needs += [n for n in target.asm(name).needs if n not in needs]
    return needs


def prelude(needs: list[str], flags: dict[str, bool]) -> str:
    """Every need a distinct value that fits a byte (page-aligned ones are not needed), the flags."""
    lines = [f"{name}: EQU {0x40 + 2 * i}" for i, name in enumerate(needs)]
    lines += [f"{name}: EQU {int(value)}" for name, value in flags.items()]
    return "\n".join([*lines, "        ORG 0100h", ""])


def flag_combinations(file: AsmFile) -> list[dict[str, bool]]:
    return [dict(zip(file.flags, values, strict=True)) for values in itertools.product((False, True), repeat=len(file.flags))]


def test_every_fixed_file_has_a_header() -> None:
    assert len(FILES) >= 12
    for package, name in FILES:
        file = read(package, name)
        assert file.text.startswith(";-") or file.text.startswith(";="), name
        assert file.needs or file.defines, f"{name}: no Needs or Defines line"


@pytest.mark.parametrize(("package", "name"), FILES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_a_fixed_file_assembles_alone_and_its_header_is_true(package: str, name: str, target: Target) -> None:
    file = read(package, name)
    needs = needs_of(file, target)
    include = [str(folder(target))]
    for flags in flag_combinations(file):
        assembly = assemble(prelude(needs, flags) + file.text, f"<{name}>", include_dirs=include)
        for label in file.defines:
            assert label in assembly.symbols, f"{name}: Defines {label}, which it does not define"
        # the generator's copy: IF blocks resolved, INCLUDEs replaced by the target's fragments
        copied = assemble(prelude(needs, flags) + inline(file, flags, target.asm), f"<{name} copied>")
        assert copied.binary == assembly.binary, f"{name} {flags}: the generator's copy differs"
    for need in needs:  # every need is needed under some combination of flags
        others = [n for n in needs if n != need]
        failures = 0
        for flags in flag_combinations(file):
            try:
                assemble(prelude(others, flags) + file.text, f"<{name}>", include_dirs=include)
            except AsmError as error:
                assert need in error.message, error
                failures += 1
        assert failures, f"{name}: Needs {need}, which it never uses"


@pytest.mark.parametrize(("package", "name"), FILES)
def test_a_fixed_file_tests_its_flags_and_includes_what_it_says(package: str, name: str) -> None:
    file = read(package, name)
    text = file.text.upper()
    for flag in file.flags:
        assert f"IF {flag}" in text, f"{name}: Flags {flag}, but no IF tests it"
    assert text.count("        IF ") == sum(text.count(f"        IF {flag}\n") for flag in file.flags)
    code = [line for line in file.text.split("\n") if not line.startswith(";")]
    assert sorted(file.includes) == sorted(line.split('"')[1] for line in code if "INCLUDE" in line.upper())
    for target in TARGETS:
        for fragment in file.includes:
            assert fragment in {n for _, n in FILES if _ == target.package}, f"{target.name} has no {fragment}"


@pytest.mark.skipif(PASMO is None or Z80ASM is None, reason="pasmo and z80asm are needed (apt-get install pasmo z80asm)")
@pytest.mark.parametrize(("package", "name"), FILES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_pasmo_and_z80asm_assemble_a_fixed_file_as_we_do(package: str, name: str, target: Target) -> None:
    file = read(package, name)
    needs = needs_of(file, target)
    for flags in flag_combinations(file):
        source = prelude(needs, flags) + file.text
        ours = assemble(source, f"<{name}>", include_dirs=[str(folder(target))]).binary
        assert assemble_with("pasmo", source, [folder(target)]) == ours, f"pasmo: {name} {flags}"
        assert assemble_with("z80asm", source, [folder(target)]) == ours, f"z80asm: {name} {flags}"
