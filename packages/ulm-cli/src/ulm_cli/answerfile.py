"""Answer lists from files: ``ulm import-npz --answers FILE``.

The file is UTF-8 text, one answer per line; or a data file (``query|answer`` lines, as ``ulm
train`` reads), whose distinct answers are taken; both kinds of line may be mixed:

* a line holding ``|`` is a data line: its answer is what follows the first ``|``;
* blank lines and lines whose first non-blank character is ``#`` are skipped;
* an answer is stripped of surrounding white space and upper-cased (ASCII), as ``ulm train`` does
  with responses; it must then be 1 to ``max_output`` characters of the model's charset.

The list stored is the distinct answers, sorted (:func:`ulm_spec.answers.answers_from_responses`),
so that the same answers give the same model whatever their order. Any bad line is an error naming
the file, the line and what is wrong with it.
"""

from __future__ import annotations

import os

from ulm_spec.answers import MAX_ANSWERS, answers_from_responses
from ulm_spec.errors import UlmError
from ulm_spec.files import read_input
from ulm_spec.model import Model

#: Larger than any useful list: 1,024 answers of 50 characters with their queries.
MAX_ANSWER_FILE_BYTES = 16 * 1024 * 1024


def shown(text: str | bytes, limit: int = 60) -> str:
    """``text`` quoted for a terminal: printable ASCII as is, ``'`` and ``\\`` and everything else
    escaped (``\\x1b``, ``\\xe9``, ``\\u202e``), cut after ``limit`` characters."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    out = []
    for ch in text[:limit]:
        if ch in "'\\":
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "'" + "".join(out) + "'" + ("..." if len(text) > limit else "")


def parse_answers(data: bytes, path: str, model: Model) -> tuple[bytes, ...]:
    """The answer list in ``data`` (the bytes of file ``path``) for ``model``; see the module."""
    allowed = set(model.charset)
    answers: list[bytes] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{path}:{number}"
        try:
            line = raw.removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UlmError(f"{where}: not valid UTF-8 (byte {raw[exc.start]:02X}h at column {exc.start + 1})") from None
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark some editors write
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        text = stripped.partition("|")[2].strip() if "|" in stripped else stripped
        if not text:
            raise UlmError(f"{where}: empty answer after '|'")
        text = "".join(ch.upper() if ch.isascii() else ch for ch in text)
        outside = sorted({ch for ch in text if ord(ch) > 0x7F or ord(ch) not in allowed})
        if outside:
            listed = ", ".join(shown(ch) for ch in outside[:5])
            raise UlmError(f"{where}: answer {shown(text)} holds characters outside the model's charset: {listed}")
        if len(text) > model.encoder.max_output:
            raise UlmError(f"{where}: answer is {len(text)} characters; the model says at most {model.encoder.max_output}")
        answers.append(text.encode("ascii"))
    distinct = answers_from_responses(answers)
    if not distinct:
        raise UlmError(f"{path}: no answers in the file")
    if len(distinct) > MAX_ANSWERS:
        raise UlmError(f"{path}: {len(distinct)} distinct answers; a model lists at most {MAX_ANSWERS}")
    return distinct


def read_answers(path: str | os.PathLike[str], model: Model) -> tuple[bytes, ...]:
    """The answer list in the file ``path`` for ``model`` (a one-line UlmError for any problem)."""
    data = read_input(path, MAX_ANSWER_FILE_BYTES, "--answers")
    return parse_answers(data, os.fspath(path), model)
