"""What the CP/M 2.2 CCP prepares in page zero before it jumps to a program at 0100h.

For ``A>PROG hello world.txt`` the CCP leaves:

* at 0080h the *command tail*: a length byte, then everything after the command name --
  starting with its blank -- in upper case: ``0Ch, " HELLO WORLD.TXT"`` (at most 127 bytes);
* at 005Ch the first default FCB, parsed from the first argument, and at 006Ch the second
  one, parsed from the second argument: drive byte (0 = default, 1 = A: ...), 8 name bytes
  and 3 type bytes blank-padded, ``*`` expanded to ``?`` up to the end of its field, extra
  characters dropped; EX, S1, S2 zero.  CR (007Ch) is zeroed too.  (The machine also sets the
  first FCB's RC as the CCP leaves it: the record count of the program file's last extent.)

Arguments are separated by blanks; a delimiter CP/M knows (``= _ . : ; < >``) ends the name
or, for ``.``, starts the type, as in the CCP.
"""

from __future__ import annotations

from collections.abc import Sequence

from ulm_emu.errors import EmuError

MAX_TAIL = 127
DELIMITERS = frozenset(b" =_.:;<>")


def command_tail(args: Sequence[str]) -> bytes:
    """The tail bytes (without the length byte): ``" ARG1 ARG2"``, upper case; b"" for none."""
    if not args:
        return b""
    text = " " + " ".join(args)
    try:
        tail = text.upper().encode("ascii")
    except UnicodeEncodeError as exc:
        raise EmuError(f"command tail {text!r}: CP/M arguments must be ASCII") from exc
    if len(tail) > MAX_TAIL:
        raise EmuError(f"command tail is {len(tail)} bytes long; CP/M allows at most {MAX_TAIL}")
    return tail


def _field(text: bytes, length: int) -> tuple[bytes, bytes]:
    """Take one name or type field from ``text``; return it blank-padded and the rest."""
    field = bytearray()
    position = 0
    while position < len(text) and text[position] not in DELIMITERS:
        char = text[position]
        if len(field) < length:
            if char == ord("*"):
                field.extend(b"?" * (length - len(field)))
            else:
                field.append(char)
        position += 1
    return bytes(field.ljust(length, b" ")), text[position:]


def parse_fcb(argument: bytes) -> bytes:
    """The 16 bytes (drive, name, type, EX, S1, S2, RC = 0) the CCP makes of one argument."""
    drive = 0
    if len(argument) >= 2 and argument[1] == ord(":"):
        drive = (argument[0] - ord("A") + 1) & 0xFF
        argument = argument[2:]
    name, rest = _field(argument, 8)
    kind = b"   "
    if rest[:1] == b".":
        kind, rest = _field(rest[1:], 3)
    return bytes([drive]) + name + kind + bytes(4)


def default_fcbs(tail: bytes) -> tuple[bytes, bytes]:
    """The FCBs at 005Ch and 006Ch for a command tail."""
    words = tail.split()
    first = parse_fcb(words[0]) if words else parse_fcb(b"")
    second = parse_fcb(words[1]) if len(words) > 1 else parse_fcb(b"")
    return first, second
