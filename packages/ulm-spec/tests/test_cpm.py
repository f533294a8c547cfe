"""CP/M 2.2 facts: the memory map of a 48K system as the CP/M 2.2 Alteration Guide gives it."""

from __future__ import annotations

from ulm_spec import cpm


def test_a_48k_system() -> None:
    assert cpm.ccp_base(48) == 0xA400 and cpm.bdos_entry(48) == 0xAC06
    assert cpm.TPA_BASE + cpm.TPA_BYTES_48K - 1 == 0xA0FF
    assert cpm.ccp_base(48) - (cpm.TPA_BASE + cpm.TPA_BYTES_48K) == 768


def test_a_20k_system_and_the_zero_page() -> None:
    assert cpm.ccp_base(20) == 0x3400 and cpm.bdos_entry(20) == 0x3C06
    assert (cpm.WARM_BOOT, cpm.BDOS_ENTRY, cpm.DEFAULT_FCB, cpm.COMMAND_TAIL, cpm.TPA_BASE) == (0, 5, 0x5C, 0x80, 0x100)


def test_the_bdos_functions_ulm_programs_call() -> None:
    assert (cpm.C_READ, cpm.C_WRITE, cpm.C_WRITESTR, cpm.C_READSTR) == (1, 2, 9, 10)
    assert sorted(cpm.BDOS_FUNCTIONS) == [*range(38), 40]
    assert cpm.FCB_R0 + 3 == cpm.FCB_BYTES
