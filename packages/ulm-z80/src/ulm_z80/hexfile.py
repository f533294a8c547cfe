"""Intel HEX: a program's memory image as text, for monitors and ROM loaders (and CP/M's LOAD).

Each line is a record ``:LLAAAATTDD...CC``: LL data bytes, at address AAAA, of type TT (00 data,
01 end of file), the data, and a checksum that makes the sum of all the record's bytes 0 modulo
256. Lines end with CR LF, as CP/M's tools write them.
"""

from __future__ import annotations

#: Data bytes per record (LOAD and most monitors accept up to 255; 16 is what they write).
RECORD_BYTES = 16


def record(kind: int, address: int, data: bytes = b"") -> str:
    """One record, without its line end."""
    fields = bytes([len(data), address >> 8, address & 0xFF, kind]) + data
    checksum = -sum(fields) & 0xFF
    return ":" + (fields + bytes([checksum])).hex().upper()


def intel_hex(image: bytes, origin: int) -> str:
    """``image`` loaded at ``origin`` as Intel HEX: data records, then the end-of-file record."""
    if origin + len(image) > 0x10000:
        raise ValueError(f"{len(image)} bytes at {origin:04X}h pass the end of the 64 KB address space")
    lines = [record(0, origin + offset, image[offset : offset + RECORD_BYTES]) for offset in range(0, len(image), RECORD_BYTES)]
    lines.append(record(1, 0))
    return "".join(line + "\r\n" for line in lines)
