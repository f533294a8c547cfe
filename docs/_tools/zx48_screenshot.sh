#!/bin/bash
# Make docs/images/zx48-guess.png again: the guess example built for the ZX Spectrum 48K, run on
# ulm-emu's Spectrum (the real ROM from SkoolKit), a few questions typed; the screen it leaves is
# saved as a .scr and drawn by SkoolKit's sna2img.py (pip install skoolkit), at twice its size.
# Run from the repository root with every package installed:  bash docs/_tools/zx48_screenshot.sh
set -eu
ROOT=$(pwd)
WORK=$(mktemp -d)
ulm build "$ROOT/packages/ulm-cli/src/ulm_cli/examples/guess.ulm" --target zx48 -o "$WORK/GUESS.TAP"
printf 'is it alive\ncan you sit on it\nis it a cat\n' | ulm run --screen "$WORK/guess.scr" "$WORK/GUESS.TAP"
sna2img.py -s 2 "$WORK/guess.scr" "$ROOT/docs/images/zx48-guess.png"
rm -r "$WORK"
