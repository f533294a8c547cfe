"""ulm-spec: the golden reference of ulm (Z80-μLM as installable software).

Every other ulm package is tested against the definitions here:

* :mod:`ulm_spec.text` — input normalisation and the output charset
* :mod:`ulm_spec.hashing` — the trigram query encoder and the context encoder
* :mod:`ulm_spec.model` — the model's data: encoder parameters, layers, charset
* :mod:`ulm_spec.packing` — the packed 2-bit weight format
* :mod:`ulm_spec.fileformat` — the ``.ulm`` model file
* :mod:`ulm_spec.answers` — answer-constrained decoding
* :mod:`ulm_spec.files` — the rules for reading users' files and writing ours
* :mod:`ulm_spec.reference` — int16 inference, scalar and vectorised
* :mod:`ulm_spec.npz` — import of the original Z80-μLM's models
* :mod:`ulm_spec.golden` — golden vectors for the other packages' tests
* :mod:`ulm_spec.plugins` — how the packages find each other at run time
"""

from ulm_spec.answers import allowed_classes, answer_trie, constrained_argmax
from ulm_spec.errors import ModelFormatError, UlmError
from ulm_spec.fileformat import dumps, load, load_model, loads, save
from ulm_spec.hashing import context_buckets, context_window, encode_input, hash16, query_buckets
from ulm_spec.model import EncoderParams, Layer, Model, make_layer, random_model
from ulm_spec.npz import import_npz
from ulm_spec.packing import pack_weights, row_bytes, unpack_weights
from ulm_spec.reference import Generation, Step, answer, argmax, forward, forward_scalar, generate
from ulm_spec.text import MAX_CHARSET, MAX_QUERY_BYTES, OUTPUT_ALPHABET, derive_charset, fold, normalize_query

__version__ = "0.1.0"

__all__ = [
    "MAX_CHARSET",
    "MAX_QUERY_BYTES",
    "OUTPUT_ALPHABET",
    "EncoderParams",
    "Generation",
    "Layer",
    "Model",
    "ModelFormatError",
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
