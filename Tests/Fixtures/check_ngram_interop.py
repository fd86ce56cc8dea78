"""Scores each line of a text with the `kenlm` Python module: `score(line, bos=True, eos=True)`.

    python check_ngram_interop.py MODEL.arpa TEXT.txt   ->   JSON {"order": N, "log10": [...]} on stdout

Used by the n-gram tests: ARPA written by lmzoo must load in kenlm and score as lmzoo does, and
lmzoo's scorer must match kenlm on the reference models.
"""
import json
import sys

import kenlm


def main():
    model = kenlm.Model(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        scores = [model.score(line, bos=True, eos=True) for line in f]
    json.dump({"order": model.order, "log10": scores}, sys.stdout)


if __name__ == "__main__":
    main()
