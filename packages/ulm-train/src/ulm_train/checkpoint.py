"""Checkpoints: the whole training state after an evaluation, so that a run can be resumed.

A checkpoint is written with ``torch.save`` through :func:`ulm_spec.files.atomic_open` (a
temporary file beside the target, renamed when complete: never half a checkpoint) and read back
only with ``torch.load(..., weights_only=True)``, which unpickles tensors and plain containers and
nothing that could run code. Reading is bounded (:data:`MAX_CHECKPOINT_BYTES`) and refuses
anything that is not a regular file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from ulm_spec.errors import UlmError
from ulm_spec.files import atomic_open, read_input

FORMAT = "ulm-train-checkpoint-2"
#: Largest checkpoint read: 16 layers of 256 x 256 shadow weights with Adam's two moments and the
#: best state are about 20 MB.
MAX_CHECKPOINT_BYTES = 128 * 1024 * 1024


def save(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` (tensors and plain data) to ``path`` atomically."""
    with atomic_open(path) as handle:
        torch.save({"format": FORMAT, **state}, handle)


def load(path: Path) -> dict[str, Any]:
    """The state saved at ``path``; a one-line :class:`UlmError` for anything else.

    The message never repeats torch's own (it may advise unpickling with ``weights_only=False``,
    which would run whatever code the file holds).
    """
    data = read_input(path, MAX_CHECKPOINT_BYTES, "--resume")
    try:
        state = torch.load(io.BytesIO(data), weights_only=True)
    except Exception:  # torch raises many types for a damaged or foreign file
        raise UlmError(f"--resume {path}: not an ulm-train checkpoint (damaged, or another kind of file)") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UlmError(f"--resume {path}: not an ulm-train checkpoint of this version ({FORMAT})")
    return state
