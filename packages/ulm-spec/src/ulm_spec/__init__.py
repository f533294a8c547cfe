"""ulm-spec: the golden reference of ulm (Z80-μLM as installable software).

Every other ulm package is tested against the definitions here:

* :mod:`ulm_spec.text` — input normalisation and the output charset
* :mod:`ulm_spec.hashing` — the trigram query encoder and the context encoder
* :mod:`ulm_spec.model` — the model's data: encoder parameters, layers, charset
* :mod:`ulm_spec.packing` — the packed weight format (2-, 4- and 8-bit layers)
* :mod:`ulm_spec.fileformat` — the ``.ulm`` model file
* :mod:`ulm_spec.answers` — answer-constrained decoding
* :mod:`ulm_spec.files` — the rules for reading users' files and writing ours
* :mod:`ulm_spec.reference` — int16 inference, scalar and vectorised
* :mod:`ulm_spec.npz` — import of the original Z80-μLM's models
* :mod:`ulm_spec.golden` — golden vectors for the other packages' tests
* :mod:`ulm_spec.plugins` — how the packages find each other at run time
* :mod:`ulm_spec.symbols` — the labels of a built program the tools rely on, and the ``.sym`` file
* :mod:`ulm_spec.cpm` — CP/M 2.2 facts: zero page, TPA, BDOS functions, FCB
* :mod:`ulm_spec.program` — running a built program: queries in, answers and T-states out

The names below are imported on first use (PEP 562), so that ``import ulm_spec.errors``,
``ulm_spec.plugins``, ``ulm_spec.files``, ``ulm_spec.symbols``, ``ulm_spec.program`` or ``ulm_spec.cpm`` does not load
numpy: ulm-emu needs only those, and runs where no numpy exists (in the browser, under Pyodide).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the submodule that defines it.
_EXPORTS: dict[str, str] = {
    "allowed_classes": "answers",
    "answer_trie": "answers",
    "constrained_argmax": "answers",
    "ModelFormatError": "errors",
    "UlmError": "errors",
    "dumps": "fileformat",
    "load": "fileformat",
    "load_model": "fileformat",
    "loads": "fileformat",
    "save": "fileformat",
    "context_buckets": "hashing",
    "context_window": "hashing",
    "encode_input": "hashing",
    "hash16": "hashing",
    "query_buckets": "hashing",
    "EncoderParams": "model",
    "Layer": "model",
    "Model": "model",
    "make_layer": "model",
    "random_model": "model",
    "import_npz": "npz",
    "pack_weights": "packing",
    "row_bytes": "packing",
    "unpack_weights": "packing",
    "Generation": "reference",
    "Step": "reference",
    "answer": "reference",
    "argmax": "reference",
    "forward": "reference",
    "forward_scalar": "reference",
    "generate": "reference",
    "MAX_CHARSET": "text",
    "MAX_QUERY_BYTES": "text",
    "OUTPUT_ALPHABET": "text",
    "derive_charset": "text",
    "fold": "text",
    "normalize_query": "text",
}

_SUBMODULES = frozenset(
    {
        "answers", "cpm", "errors", "fileformat", "files", "golden", "hashing", "model", "npz", "packing", "plugins",
        "program", "reference", "symbols", "text",
    }
)

__all__ = [
    "EncoderParams",
    "Generation",
    "Layer",
    "MAX_CHARSET",
    "MAX_QUERY_BYTES",
    "Model",
    "ModelFormatError",
    "OUTPUT_ALPHABET",
    "Step",
    "UlmError",
    "allowed_classes",
    "answer",
    "answer_trie",
    "argmax",
    "constrained_argmax",
    "context_buckets",
    "context_window",
    "derive_charset",
    "dumps",
    "encode_input",
    "fold",
    "forward",
    "forward_scalar",
    "generate",
    "hash16",
    "import_npz",
    "load",
    "load_model",
    "loads",
    "make_layer",
    "normalize_query",
    "pack_weights",
    "query_buckets",
    "random_model",
    "row_bytes",
    "save",
    "unpack_weights",
]


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used (``ulm_spec.load``), and
    submodules used as attributes (``ulm_spec.hashing``) likewise."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"ulm_spec.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"ulm_spec.{name}")
    raise AttributeError(f"module 'ulm_spec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from ulm_spec.answers import allowed_classes, answer_trie, constrained_argmax
    from ulm_spec.errors import ModelFormatError, UlmError
    from ulm_spec.fileformat import dumps, load, load_model, loads, save
    from ulm_spec.hashing import context_buckets, context_window, encode_input, hash16, query_buckets
    from ulm_spec.model import EncoderParams, Layer, Model, make_layer, random_model
    from ulm_spec.npz import import_npz
    from ulm_spec.packing import pack_weights, row_bytes, unpack_weights
    from ulm_spec.reference import Generation, Step, answer, argmax, forward, forward_scalar, generate
    from ulm_spec.text import MAX_CHARSET, MAX_QUERY_BYTES, OUTPUT_ALPHABET, derive_charset, fold, normalize_query
