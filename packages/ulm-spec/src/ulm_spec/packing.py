"""The packed weight format, for every width a layer may declare (2, 4 or 8 bits).

Each weight ``w`` of a ``bits``-wide layer is stored as the code ``w + 2^(bits-1)``: 2-bit weights
{-2, -1, 0, +1} as 0..3, 4-bit weights {-8..7} as 0..15, 8-bit weights {-128..127} as 0..255. A
byte holds ``8 // bits`` codes, the first weight in the lowest bits; for 2-bit weights::

    byte = code[0] | code[1] << 2 | code[2] << 4 | code[3] << 6

and for 4-bit weights ``byte = code[0] | code[1] << 4``; an 8-bit weight is one byte.

Each output neuron's row starts on a byte boundary: a row of ``n_in`` weights takes
``ceil(n_in * bits / 8)`` bytes (:func:`row_bytes`), and a short last byte is padded with the code
of weight 0 (``2^(bits-1)``: 2 for 2-bit, 8 for 4-bit). A layer is its rows in order,
``n_out * row_bytes(n_in, bits)`` bytes in all.

Example (2-bit): the row ``[+1, -2, 0, -1, -1]`` has codes ``3, 0, 2, 1, 1``; the first byte is
``3 | 0<<2 | 2<<4 | 1<<6 = 0x63``, the second ``1 | 2<<2 | 2<<4 | 2<<6 = 0xA9``.

Example (4-bit): the row ``[+7, -8, 0]`` has codes ``15, 0, 8``; the bytes are
``15 | 0<<4 = 0x0F`` and ``8 | 8<<4 = 0x88`` (the second code is padding).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ulm_spec.errors import ModelFormatError
from ulm_spec.model import WEIGHT_WIDTHS, describe_widths, weight_range

#: The code that pads a 2-bit row's last byte (it decodes to weight 0).
PAD_CODE = 2


def pad_code(bits: int = 2) -> int:
    """The code of weight 0, which pads a row's last byte: ``2^(bits-1)``."""
    return 1 << (bits - 1)


def row_bytes(n_in: int, bits: int = 2) -> int:
    """Bytes per packed row of ``n_in`` weights of ``bits`` bits."""
    per_byte = 8 // bits
    return (n_in + per_byte - 1) // per_byte


def _check_width(bits: int) -> None:
    if bits not in WEIGHT_WIDTHS:
        raise ValueError(f"weight width {bits}; expected {describe_widths()}")


def pack_weights(weight: npt.NDArray[np.integer], bits: int = 2) -> bytes:
    """Pack an ``[out, in]`` array of ``bits``-wide weights into the format above."""
    _check_width(bits)
    w = np.asarray(weight)
    if w.ndim != 2:
        raise ValueError("weights must be a 2-D array [out, in]")
    low, high = weight_range(bits)
    if w.size and (w.min() < low or w.max() > high):
        raise ValueError(f"weights must be in {low}..{high}")
    n_out, n_in = w.shape
    per_byte = 8 // bits
    codes = np.full((n_out, row_bytes(n_in, bits) * per_byte), pad_code(bits), dtype=np.uint16)
    codes[:, :n_in] = (w.astype(np.int16) + pad_code(bits)).astype(np.uint16)
    groups = codes.reshape(n_out, -1, per_byte)
    packed = np.zeros(groups.shape[:2], dtype=np.uint16)
    for k in range(per_byte):
        packed |= groups[..., k] << (bits * k)
    return bytes(packed.astype(np.uint8).tobytes())


def unpack_weights(data: bytes, n_out: int, n_in: int, bits: int = 2) -> npt.NDArray[np.int8]:
    """Inverse of :func:`pack_weights`; raises :class:`ModelFormatError` on a wrong length."""
    _check_width(bits)
    expected = n_out * row_bytes(n_in, bits)
    if len(data) != expected:
        raise ModelFormatError(
            f"packed weights are {len(data)} bytes; expected {expected} for {n_out}x{n_in} {bits}-bit weights"
        )
    per_byte = 8 // bits
    mask = (1 << bits) - 1
    raw = np.frombuffer(data, dtype=np.uint8).reshape(n_out, row_bytes(n_in, bits)).astype(np.int16)
    codes = np.stack([(raw >> (bits * k)) & mask for k in range(per_byte)], axis=-1).reshape(n_out, -1)
    if np.any(codes[:, n_in:] != pad_code(bits)):
        raise ModelFormatError("packed weights: a row's padding is not the code of weight 0")
    return (codes[:, :n_in] - pad_code(bits)).astype(np.int8)
