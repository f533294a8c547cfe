#!/bin/bash
# Print again the command outputs quoted in the manual (program.rst, the tutorials, api.rst),
# so that a change in the code generator or the trainer can be carried into the pages.
# Run from the repository root with every package installed:  bash docs/_tools/regenerate_outputs.sh
# The slow numbers of benchmarks.rst are not included: run the commands shown on that page.
set -u
ROOT=$(pwd)
EX=$ROOT/packages/ulm-cli/src/ulm_cli/examples
ANCHOR=${ULM_SHARED:-$ROOT/../shared}/anchors/guess.npz
WORK=$(mktemp -d)
cd "$WORK" || exit 1
# The tutorial's data files, taken from the page itself.
python3 - "$ROOT/docs/tutorials/train.rst" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"\.\. code-block:: text\n\n((?:   .*\n|\n)+)", text)
open("pets.txt", "w").write("".join(line[3:] + "\n" for line in blocks[0].splitlines() if line.strip()))
open("pets-heldout.txt", "w").write("".join(line[3:] + "\n" for line in blocks[1].splitlines() if line.strip()))
PY
set -x
ulm build "$EX/guess.ulm" -o G.COM --map --sym --asm G.asm
head -20 G.map
ulm run G.COM IS IT A CAT
printf 'is it alive\n\nchair\n!\n' | ulm run G.COM
ulm run --symbols G.sym --profile G.COM IS IT A CAT 2>&1 | head -8
wc -l G.asm
ulm build "$EX/guess.ulm" -o GP.COM --layout packed --map && head -20 GP.map
if [ -f "$ANCHOR" ]; then
  ulm import-npz "$ANCHOR" -o guess.ulm
  ulm build guess.ulm -o GUESS.COM
  for size in 48K 45K 44K; do ulm run --memory $size GUESS.COM IS IT ALIVE; done
  ulm build guess.ulm -o X.COM --tpa 32K
  printf 'YES\nNO\nMAYBE\nWIN\n' > answers.txt
  ulm import-npz "$ANCHOR" -o guess-listed.ulm --answers answers.txt
  ulm inspect guess-listed.ulm | grep answers
  ulm build guess-listed.ulm -o GL.COM --asm GL.asm --map
  grep -A 14 '^ANSWER_TRIE:' GL.asm
  ulm build guess-listed.ulm -o X.COM --layout packed --tpa 39400
fi
ulm data stats pets.txt
ulm train pets.txt -o pets.ulm --hidden 32,16 | (head -3; tail -4)
ulm train pets.txt -o pets-big.ulm --fit --quiet
ulm train pets.txt -o pets-fast.ulm --fit --fit-layout fast --quiet | tail -1
for q in "is it a dgo" "does it brak" "is it a kitten" "can it swim" "hey"; do ulm ask pets.ulm $q; done
ulm eval pets.ulm pets-heldout.txt | head -12
ulm inspect pets.ulm
ulm build pets.ulm -o PETS.COM --map
ulm run --stats PETS.COM DOES IT BARK
ulm demo --no-chat --out demo
set +x
echo "outputs written under $WORK"
