"""Write the ready-made programs of a release into a folder, check them, and list their SHA-256.

Usage: python release/make_release.py DIST [--skip-web]

``nox -s release`` runs it after building the wheels and sdists into DIST. For each shipped
example (``guess``, ``chat``) it writes, into ``DIST/programs/``:

* ``NAME.COM`` (CP/M 2.2), ``NAME.hex`` (the same at 0100h in Intel HEX) and one disk image per
  format, ``NAME-FORMAT.img``, all with ``ulm build``;
* ``NAME.tap`` (ZX Spectrum 48K) with ``ulm build --target zx48``, and ``NAME.z80``, a snapshot
  of the Spectrum that loaded it, taken by SkoolKit's ``tap2sna.py`` as the program starts;

and ``ulm web --example NAME`` into ``DIST/web/NAME/``. Then it runs every ``.COM`` on ulm-emu's
CP/M and every ``.tap`` on ulm-emu's Spectrum (the ROM from SkoolKit), checks the answers to a
few queries against the spec's reference, reads the disk images back with cpmtools and the HEX
files with ``intelhex`` (a release fails without them), copies
``release/README.txt`` to ``DIST/README.txt`` and writes ``DIST/SHA256SUMS`` for every file.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
NAMES = ("guess", "chat")
DISKS = ("ibm-3740", "kpii", "osborne1")
QUERIES = [b"is it alive", b"can you sit on it", b"hello", b"are you a robot", b"bye"]


def ulm(*argv: str | Path) -> None:
    """Run the ``ulm`` command of this environment; stop the release when it fails."""
    command = [shutil.which("ulm", path=str(Path(sys.executable).parent)) or "ulm", *map(str, argv)]
    print("$ ulm " + " ".join(map(str, argv)), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise SystemExit(f"release: ulm {argv[0]} failed")


def write_programs(programs: Path) -> None:
    programs.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        model = EXAMPLES / f"{name}.ulm"
        stem = programs / name.upper()
        disks = [arg for disk in DISKS for arg in ("--disk", disk)]
        ulm("build", model, "-o", stem.with_suffix(".COM"), "--hex", *disks)
        ulm("build", model, "--target", "zx48", "-o", stem.with_suffix(".tap"))


def write_snapshots(programs: Path) -> list[str]:
    """``NAME.z80``: SkoolKit's ``tap2sna.py`` loads ``NAME.tap`` through the 48K ROM's own
    loader and saves the machine as the program starts (a snapshot holds the RAM only)."""
    tap2sna = shutil.which("tap2sna.py", path=str(Path(sys.executable).parent)) or shutil.which("tap2sna.py")
    if tap2sna is None:
        return ["the snapshots cannot be made: SkoolKit is not installed (pip install skoolkit)"]
    problems = []
    for name in NAMES:
        tape = (programs / name.upper()).with_suffix(".tap")
        argv = [tap2sna, "-c", "fast-load=0", "--start", "24576", str(tape), str(tape.with_suffix(".z80"))]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        print(f"  {tape.with_suffix('.z80').name}: {done.stdout.strip().splitlines()[-2] if done.returncode == 0 else 'FAILED'}")
        if done.returncode != 0:
            problems.append(f"tap2sna.py {tape.name}: {done.stderr.strip()[-200:]}")
    return problems


def check_answers(programs: Path) -> list[str]:
    """Each program answers :data:`QUERIES` as the reference does, on its machine."""
    import ulm_spec
    from ulm_spec.plugins import com_runner
    from ulm_spec.program import ask_all
    from ulm_spec.reference import generate

    problems = []
    for name in NAMES:
        model = ulm_spec.load(EXAMPLES / f"{name}.ulm")
        wanted = [generate(model, query).text for query in QUERIES]
        for suffix, machine in ((".COM", "cpm"), (".tap", "zx48")):
            program = (programs / name.upper()).with_suffix(suffix)
            session = ask_all(com_runner(machine), program.read_bytes(), {}, QUERIES, max_tstates_per_query=4_000_000_000)
            got = [answer.text for answer in session.answers]
            print(f"  {program.name} on {machine}: {len(QUERIES)} queries, {'as the reference' if got == wanted else 'DIFFERENT'}")
            if got != wanted:
                problems.append(f"{program.name}: answers {got}, the reference {wanted}")
    return problems


def check_packages(programs: Path) -> list[str]:
    """The disk images through cpmtools, the HEX files through intelhex."""
    problems = []
    if shutil.which("cpmcp") is None:
        problems.append("the disk images cannot be read back: cpmtools is not installed (apt-get install cpmtools)")
    try:
        from intelhex import IntelHex
    except ImportError:
        IntelHex = None  # noqa: N806
        problems.append("the HEX files cannot be read back: intelhex is not installed (pip install intelhex)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in NAMES:
            com = (programs / name.upper()).with_suffix(".COM")
            program = com.read_bytes()
            for disk in DISKS if shutil.which("cpmcp") else ():
                back = Path(tmp) / f"{disk}.COM"
                image = programs / f"{name.upper()}-{disk}.img"
                subprocess.run(["cpmcp", "-f", disk, str(image), f"0:{com.name}", str(back)], check=True)
                if back.read_bytes()[: len(program)] != program:
                    problems.append(f"{image.name}: cpmcp reads back another {com.name}")
            if IntelHex is not None:
                parsed = IntelHex(str(com.with_suffix(".hex")))
                if parsed.minaddr() != 0x100 or parsed.tobinstr(start=0x100, size=len(program)) != program:
                    problems.append(f"{com.with_suffix('.hex').name}: intelhex reads another image")
    print("  disk images and HEX files: read back" if not problems else "  disk images and HEX files: PROBLEMS")
    return problems


def write_sums(dist: Path) -> None:
    lines = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(dist).as_posix()}\n")
    (dist / "SHA256SUMS").write_text("".join(lines), encoding="ascii")
    print(f"  SHA256SUMS: {len(lines)} files")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dist", type=Path, help="the release folder (wheels and sdists already in it)")
    parser.add_argument("--skip-web", action="store_true", help="leave out the web sites (no Pyodide download)")
    args = parser.parse_args()
    dist: Path = args.dist
    programs = dist / "programs"
    for owned in (programs, dist / "web"):
        if owned.exists():
            shutil.rmtree(owned)
    write_programs(programs)
    if not args.skip_web:
        (dist / "web").mkdir()
        for name in NAMES:
            ulm("web", "--example", name, "-o", dist / "web" / name)
    problems = write_snapshots(programs) + check_answers(programs) + check_packages(programs)
    shutil.copyfile(ROOT / "release" / "README.txt", dist / "README.txt")
    write_sums(dist)
    for problem in problems:
        print(f"release: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
