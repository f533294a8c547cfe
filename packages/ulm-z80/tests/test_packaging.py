"""The CP/M program's other packages, read back by tools nobody here wrote: disk images by
Debian's cpmtools (``cpmls``, ``cpmcp``, ``fsck.cpm``), Intel HEX by PyPI's ``intelhex``; and
``ulm build --disk/--hex``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.errors import UlmError
from ulm_z80.commands import BUILD
from ulm_z80.hexfile import intel_hex
from ulm_z80.targets.cpm.disks import FORMATS, cpm_name, disk_format, disk_image

EXAMPLES = Path(__file__).resolve().parents[2] / "ulm-cli" / "src" / "ulm_cli" / "examples"
CPMTOOLS = all(shutil.which(tool) for tool in ("cpmls", "cpmcp", "fsck.cpm"))
needs_cpmtools = pytest.mark.skipif(not CPMTOOLS, reason="cpmtools is not installed (apt install cpmtools)")


def intelhex_or_skip() -> type:
    try:
        from intelhex import IntelHex
    except ImportError:
        pytest.skip("intelhex is not installed (pip install intelhex): no third-party HEX parser")
    return IntelHex  # type: ignore[no-any-return]


# --- Intel HEX -----------------------------------------------------------------------------------


@settings(max_examples=40)
@given(st.binary(min_size=0, max_size=600), st.integers(0, 0xFFFF))
def test_intelhex_reads_back_the_image_at_its_origin(tmp_path_factory: pytest.TempPathFactory, image: bytes,
                                                      origin: int) -> None:
    IntelHex = intelhex_or_skip()
    image = image[: 0x10000 - origin]
    path = tmp_path_factory.mktemp("hex") / "P.HEX"
    path.write_bytes(intel_hex(image, origin).encode("ascii"))
    parsed = IntelHex(str(path))
    assert parsed.tobinstr(start=origin, size=len(image)) == image if image else parsed.addresses() == []
    assert parsed.addresses() == list(range(origin, origin + len(image)))


def test_intel_hex_records_are_16_bytes_and_end_with_the_eof_record() -> None:
    text = intel_hex(bytes(range(20)), 0x0100)
    assert text.split("\r\n") == [
        ":10010000000102030405060708090A0B0C0D0E0F77",
        ":0401100010111213A5",
        ":00000001FF",
        "",
    ]
    with pytest.raises(ValueError, match="pass the end of the 64 KB"):
        intel_hex(b"12", 0xFFFF)


# --- disk images ---------------------------------------------------------------------------------


def cpmtools(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{argv[0]} failed: {done.stdout}{done.stderr}"
    return done.stdout


@needs_cpmtools
@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("size", [1, 128, 129, 16384, 16385, 40960])
def test_cpmtools_reads_the_files_back(tmp_path: Path, name: str, size: int) -> None:
    """Sizes across a record, a logical extent, and (for a 40 KB program) several directory
    entries; a second file after the first."""
    program = bytes((i * 7 + size) & 0xFF for i in range(size))
    fmt = disk_format(name)
    image = tmp_path / "disk.img"
    image.write_bytes(disk_image(fmt, {"GUESS.COM": program, "README.TXT": b"hello"}))
    assert image.stat().st_size == fmt.image_bytes
    assert cpmtools("cpmls", "-f", name, str(image)).split() == ["0:", "guess.com", "readme.txt"]
    cpmtools("fsck.cpm", "-f", name, "-n", str(image))
    for inside, wanted in (("GUESS.COM", program), ("README.TXT", b"hello")):
        cpmtools("cpmcp", "-f", name, str(image), f"0:{inside}", str(tmp_path / inside))
        back = (tmp_path / inside).read_bytes()
        padding = -len(wanted) % 128
        assert back == wanted + b"\x1a" * padding  # CP/M files are whole records


def test_a_disk_refuses_what_does_not_fit_and_names_cpm_cannot_hold() -> None:
    with pytest.raises(UlmError, match=r"^BIG.COM: \d+ bytes in \d+ directory entries do not fit a kpii disk"):
        disk_image(disk_format("kpii"), {"BIG.COM": bytes(300_000)})
    with pytest.raises(UlmError, match="^unknown disk format 'amiga'; expected one of ibm-3740, kpii, osborne1$"):
        disk_format("amiga")
    assert cpm_name("guess.com") == b"GUESS   COM"
    for bad in ("", "TOOLONGNAME.COM", "A.COMX", "A B.COM", "A:B.COM"):
        with pytest.raises(UlmError, match="is not a CP/M file name"):
            cpm_name(bad)


# --- ulm build --disk --hex ----------------------------------------------------------------------


def build_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    BUILD.add_arguments(parser)
    return parser.parse_args(argv)


@needs_cpmtools
def test_ulm_build_writes_disk_images_and_hex_beside_the_com(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IntelHex = intelhex_or_skip()
    out = tmp_path / "GUESS.COM"
    argv = [str(EXAMPLES / "guess.ulm"), "-o", str(out), "--disk", "ibm-3740", "--disk", "kpii", "--hex"]
    assert BUILD.run(build_args(argv)) == 0
    program = out.read_bytes()
    printed = capsys.readouterr().out
    for name in ("ibm-3740", "kpii"):
        image = tmp_path / f"GUESS-{name}.img"
        assert f"{image}: {FORMATS[name].title} disk image" in printed
        cpmtools("cpmcp", "-f", name, str(image), "0:GUESS.COM", str(tmp_path / f"{name}.com"))
        assert (tmp_path / f"{name}.com").read_bytes()[: len(program)] == program
    parsed = IntelHex(str(tmp_path / "GUESS.hex"))
    assert parsed.minaddr() == 0x0100 and parsed.tobinstr(start=0x0100, size=len(program)) == program


def test_ulm_build_disk_needs_a_cpm_file_name(tmp_path: Path) -> None:
    argv = [str(EXAMPLES / "guess.ulm"), "-o", str(tmp_path / "guess-model.com"), "--disk", "ibm-3740"]
    with pytest.raises(UlmError, match="^--disk ibm-3740: -o names the file on the disk: 'guess-model.com' is not a CP/M"):
        BUILD.run(build_args(argv))
    assert list(tmp_path.iterdir()) == []
