"""Reading the files users give us and writing the files we make, without ever losing their data.

Every ulm command that reads or writes a user's file goes through this module, so the rules are
the same everywhere:

Outputs (:func:`check_outputs`, :func:`atomic_write`)
    An output path is refused, before any work is done, when it is empty, when it names one of the
    command's inputs (the same file, by inode, or the same path once links are resolved), when two
    outputs of one command name the same file, when it exists and is not a regular file (a
    directory, a FIFO, a device: ``-o /dev/null`` must never replace ``/dev/null``), when it
    exists but its owner made it read-only, or when its folder does not exist. A file is written to a temporary file beside the target and renamed over
    it, so that either the whole new file appears or nothing changes; the temporary file is removed
    on any error, Ctrl-C or SIGTERM (the ``ulm`` command turns SIGTERM into an exception). New files
    get the permissions of any shareable artifact (0666 minus the umask: 0644 usually), or 0600 for
    a secret.

Inputs (:func:`read_input`)
    An input is opened without blocking and must be a regular file: a FIFO, a device or a directory
    is refused at once instead of hanging or reading without end. Its size is checked against the
    reader's limit before anything is read. Text is decoded by :func:`decode_text`, whose error
    names the file, the line and the column of the first byte that does not decode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from ulm_spec.errors import UlmError

PathLike = str | os.PathLike[str]


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _identity(path: Path) -> tuple[int, int] | None:
    """``(device, inode)`` of an existing file (following links), else None."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _same_file(a: Path, b: Path) -> bool:
    ident_a, ident_b = _identity(a), _identity(b)
    if ident_a is not None and ident_a == ident_b:
        return True
    return os.path.realpath(a) == os.path.realpath(b)


def check_output(path: PathLike, what: str = "-o", inputs: Iterable[PathLike] = ()) -> Path:
    """Validate one output path (see the module docstring); return it as a :class:`Path`.

    ``what`` names the option in the error message (``-o``, ``--asm``, ``--checkpoint``).
    """
    text = os.fspath(path)
    if not text:
        raise UlmError(f"{what}: the output file name is empty")
    target = Path(text)
    for source in inputs:
        if _same_file(target, Path(source)):
            raise UlmError(f"{what} {text}: is also an input of this command; refusing to overwrite it")
    try:
        info = target.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UlmError(f"{what} {text}: cannot use as an output: {exc.strerror or exc}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            info = target.stat()
        except OSError:
            info = None  # a dangling link: the rename replaces the link itself
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise UlmError(f"{what} {text}: is {_describe(info.st_mode)}; the output must be a regular file")
    if info is not None and not os.access(target, os.W_OK):
        raise UlmError(f"{what} {text}: is read-only; refusing to replace it")
    if text.endswith(os.sep) or target.name in ("", ".", ".."):
        raise UlmError(f"{what} {text}: names a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise UlmError(f"{what} {text}: folder {folder} does not exist")
    return target


def check_outputs(outputs: Mapping[str, PathLike | None], inputs: Iterable[PathLike] = ()) -> dict[str, Path]:
    """Validate every output of one command (``{option: path}``; None = not asked for): each by
    :func:`check_output`, and no two naming the same file. Returns the paths by option."""
    sources = [Path(p) for p in inputs]
    checked: dict[str, Path] = {}
    for what, path in outputs.items():
        if path is None:
            continue
        target = check_output(path, what, sources)
        for other_what, other in checked.items():
            if _same_file(target, other):
                raise UlmError(f"{what} {os.fspath(path)}: is the same file as {other_what} {other}")
        checked[what] = target
    return checked


def _shareable_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path: PathLike, *, secret: bool = False) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; on a clean exit it is renamed to
    ``path``, on any exception (Ctrl-C and SIGTERM included) it is removed and ``path`` is left as
    it was. An ``OSError`` becomes a one-line :class:`UlmError` naming ``path``."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UlmError(f"{target}: cannot write: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o600 if secret else _shareable_mode())
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            # a failed write, chmod or rename: name the file the user asked for, never the
            # temporary one (an OSError about another file passes through unchanged)
            raise UlmError(f"{target}: cannot write: {exc.strerror or exc}") from None
        raise


def atomic_write(path: PathLike, data: bytes | str, *, secret: bool = False) -> None:
    """Write ``data`` (a str as UTF-8) to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, secret=secret) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def read_input(path: PathLike, max_bytes: int, what: str = "") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; a one-line :class:`UlmError` for a
    missing file, a FIFO, device or directory (refused at once, never read), or a larger file."""
    text = os.fspath(path)
    label = f"{what} {text}" if what else text
    if not text:
        raise UlmError(f"{what or 'input'}: the file name is empty")
    try:
        fd = os.open(text, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UlmError(f"{label}: no such file") from None
    except OSError as exc:
        raise UlmError(f"{label}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UlmError(f"{label}: is {_describe(info.st_mode)}; expected a regular file")
        if info.st_size > max_bytes:
            raise UlmError(f"{label}: is {info.st_size} bytes; at most {max_bytes} accepted")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise UlmError(f"{label}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # the file grew while we read it
        raise UlmError(f"{label}: is larger than {max_bytes} bytes")
    return data


def decode_text(data: bytes, label: str, encoding: str = "utf-8") -> str:
    """``data`` decoded as ``encoding``; a one-line :class:`UlmError` ``label:LINE: not valid
    ENCODING (byte XXh at column N)`` for the first byte that does not decode."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        name = "ASCII" if encoding.lower() in ("ascii", "us-ascii") else encoding.upper()
        raise UlmError(f"{label}:{line}: not valid {name} (byte {data[exc.start]:02X}h at column {column})") from None
