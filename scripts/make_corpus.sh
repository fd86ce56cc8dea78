#!/usr/bin/env bash
# Makes the zoo's corpus from Debian's `fortunes` package (apt-get install fortunes):
#   models/corpus/fortunes-train.txt    what the bundled models are trained on
#   models/corpus/fortunes-heldout.txt  the default `lmzoo bench` corpus (every 50th fortune)
# Deterministic: the fortune files in C-locale order, split at their `%` lines, overstrike (X\bY) and
# control characters other than tab removed; fortune number k (from 0) goes to held-out when k % 50 == 25.
# The files are not committed (the package's text is not copied into the project); this script re-makes
# them byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${FORTUNES_DIR:-/usr/share/games/fortunes}
OUT=models/corpus
if [ ! -d "$SOURCE" ]; then
    echo "make_corpus.sh: $SOURCE not found: install Debian's fortunes package (apt-get install fortunes)" >&2
    exit 1
fi
mkdir -p "$OUT"
files=$(cd "$SOURCE" && LC_ALL=C ls | grep -v '\.' | while read -r f; do [ -f "$SOURCE/$f" ] && [ ! -L "$SOURCE/$f" ] && echo "$SOURCE/$f"; done)
# shellcheck disable=SC2086
LC_ALL=C sed -e 's/[^\x08]\x08//g' -e 's/[\x01-\x08\x0b-\x1f\x7f]//g' $files | LC_ALL=C awk -v train="$OUT/.fortunes-train.tmp" -v heldout="$OUT/.fortunes-heldout.tmp" '
    function flush() { if (text != "") { print text > ((k % 50 == 25) ? heldout : train); k++ } text = "" }
    BEGIN { k = 0; text = "" }
    $0 == "%" { flush(); next }
    { text = (text == "") ? $0 : text "\n" $0 }
    END { flush() }'
mv "$OUT/.fortunes-train.tmp" "$OUT/fortunes-train.txt"
mv "$OUT/.fortunes-heldout.tmp" "$OUT/fortunes-heldout.txt"
wc -c "$OUT/fortunes-train.txt" "$OUT/fortunes-heldout.txt" >&2
