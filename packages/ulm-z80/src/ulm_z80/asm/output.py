"""Writers for the listing (``.lst``) and symbol (``.sym``) files.

The symbol file is ulm's one format (:mod:`ulm_spec.symbols`, which also reads it): one symbol per
line, ``NAME VALUE``, the value as exactly four upper-case hex digits and an ``h`` suffix
(``LAYER1 0123h``; values are taken modulo 10000h), lines sorted by value, then by name. Local
labels appear with their full name (``global.local``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec.symbols import format_symbol_file

BYTES_PER_ROW = 4


@dataclass
class ListingRecord:
    file: str
    line: int
    text: str
    address: int | None  # None: the line has no address (blank, comment, EQU)
    size: int
    value: int | None = None  # an EQU's value
    include_depth: int = 0
    compact: bool = False  # DS/ALIGN: the listing shows a summary instead of every byte


def symbol_file_text(symbols: dict[str, int]) -> str:
    """The ``.sym`` file (:func:`ulm_spec.symbols.format_symbol_file`)."""
    return format_symbol_file(symbols)


def listing_text(records: list[ListingRecord], binary: bytes, origin: int) -> str:
    """One row per source line: line number, address, up to four bytes, the source text.

    Lines with more bytes continue on extra rows without source text (DS/ALIGN padding: one
    summary row); an EQU shows its value
    as ``=XXXX``. Each change of file is announced by a ``;; file:`` row.
    """
    rows: list[str] = []
    current_file: str | None = None
    end = origin + len(binary)
    for record in records:
        if record.file != current_file:
            current_file = record.file
            rows.append(f";; file: {current_file}")
        if record.value is not None:
            address_text = f"={record.value & 0xFFFF:04X}"
        elif record.address is not None:
            address_text = f"{record.address:04X} "
        else:
            address_text = "     "
        data = b""
        address = record.address if record.address is not None else 0
        if record.address is not None and record.size and origin <= address < end:
            start = address - origin
            data = binary[start:start + record.size]
        first = data[:BYTES_PER_ROW].hex(" ").upper()
        rows.append(f"{record.line:6d} {address_text} {first:<11}  {record.text}".rstrip())
        if record.compact and len(data) > BYTES_PER_ROW:
            rows.append(f"       {address + BYTES_PER_ROW:04X}  ... ({len(data)} bytes in all)")
            continue
        for offset in range(BYTES_PER_ROW, len(data), BYTES_PER_ROW):
            chunk = data[offset:offset + BYTES_PER_ROW].hex(" ").upper()
            rows.append(f"       {address + offset:04X}  {chunk}")
    return "\n".join(rows) + "\n"
