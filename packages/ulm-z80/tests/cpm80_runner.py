"""Run a .COM file under cpm80 (kosarev's CP/M 2.2 on his Z80): an independent second machine."""

from __future__ import annotations

from cpm80 import DISK_FORMATS, DiskDrive, DiskImage, FileSystem, StringDisplay, StringKeyboard, Z80CPMMachine

BANNER = "62k CP/M vers 2.2\r\n"


def run_cpm80(program: bytes, lines: list[str], name: str = "ULM") -> str:
    """Type ``lines`` at the CCP (each followed by a newline) and return the console output,
    without the sign-on banner. The machine stops when the input runs out."""
    image = DiskImage(DISK_FORMATS["default"])
    FileSystem(image).write(f"{name}.COM", program)
    display = StringDisplay()
    machine = Z80CPMMachine(
        drives=[DiskDrive(image)], console_reader=StringKeyboard(*lines), console_writer=display
    )
    machine.run()
    text = display.string
    return text[len(BANNER):] if text.startswith(BANNER) else text
