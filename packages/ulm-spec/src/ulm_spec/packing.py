"""The packed 2-bit weight format.

Each weight w in {-2, -1, 0, +1} is stored as the code ``w + 2`` (0..3). Four codes share a byte,
the first weight in the lowest two bits::

    byte = code[0] | code[1] << 2 | code[2] << 4 | code[3] << 6

Each output neuron's row starts on a byte boundary: a row of ``n_in`` weights takes
``(n_in + 3) // 4`` bytes, and a short last byte is padded with code 2 (weight 0). A layer is its rows
in order, ``n_out * row_bytes(n_in)`` bytes in all.

Example: the row ``[+1, -2, 0, -1, -1]`` has codes ``3, 0, 2, 1, 1``; the first byte is
``3 | 0<<2 | 2<<4 | 1<<6 = 0x63``, the second ``1 | 2<<2 | 2<<4 | 2<<6 = 0xA9``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ulm_spec.errors import ModelFormatError

#: The code that pads a row's last byte (it decodes to weight 0).
PAD_CODE = 2


def row_bytes(n_in: int) -> int:
    """Bytes per packed row of ``n_in`` weights."""
    return (n_in + 3) // 4


def pack_weights(weight: npt.NDArray[np.integer]) -> bytes:
    """Pack an ``[out, in]`` array of weights -2..1 into the format above."""
    w = np.asarray(weight)
    if w.ndim != 2:
        raise ValueError("weights must be a 2-D array [out, in]")
    if w.size and (w.min() < -2 or w.max() > 1):
        raise ValueError("weights must be in -2..1")
    n_out, n_in = w.shape
    codes = np.full((n_out, row_bytes(n_in) * 4), PAD_CODE, dtype=np.uint8)
    codes[:, :n_in] = (w + 2).astype(np.uint8)
    quads = codes.reshape(n_out, -1, 4)
    packed = quads[..., 0] | (quads[..., 1] << 2) | (quads[..., 2] << 4) | (quads[..., 3] << 6)
    return bytes(packed.astype(np.uint8).tobytes())


def unpack_weights(data: bytes, n_out: int, n_in: int) -> npt.NDArray[np.int8]:
    """Inverse of :func:`pack_weights`; raises :class:`ModelFormatError` on a wrong length."""
    expected = n_out * row_bytes(n_in)
    if len(data) != expected:
        raise ModelFormatError(f"packed weights are {len(data)} bytes; expected {expected} for {n_out}x{n_in}")
    raw = np.frombuffer(data, dtype=np.uint8).reshape(n_out, row_bytes(n_in))
    codes = np.stack([(raw >> s) & 3 for s in (0, 2, 4, 6)], axis=-1).reshape(n_out, -1)
    if np.any(codes[:, n_in:] != PAD_CODE):
        raise ModelFormatError("packed weights: a row's padding is not the code of weight 0")
    return (codes[:, :n_in].astype(np.int8) - 2).astype(np.int8)
