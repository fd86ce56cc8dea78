"""Makes the n-gram plugin's fixtures in Tests/Fixtures/ngram (run with the venv that has `kenlm`):

    ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_ngram_fixtures.py

- small.arpa / small.arpa.gz: the lmplz order-3 model of ../shared/reference (fortunes-o3.arpa.gz)
  restricted to n-grams over its 50 most probable words plus <unk> <s> </s> (a consistent ARPA:
  every kept n-gram's prefix and suffix are kept too).
- small_scores.json: the `kenlm` module's score(sentence, bos=True, eos=True) of each of the first
  200 held-out sentences (fortunes-test.txt) on small.arpa, and full_scores of a few.
- tiny.txt: a small training text (for the estimator's property tests).
- tiny-o3-prune-0-1.lmplz.arpa.gz, tiny-o4-prune-0-0-1.lmplz.arpa.gz: not made here (lmplz does not
  install from PyPI): KenLM's lmplz (github.com/kpu/kenlm at 4cb443e, built with cmake) on tiny.txt,
  `lmplz -o 3 --discount_fallback --prune 0 1 < tiny.txt | gzip -9n` and
  `lmplz -o 4 --discount_fallback --prune 0 0 1 < tiny.txt | gzip -9n`: what `train ngram --prune` must equal.
- malformed/*.arpa + malformed.json: broken ARPA files and the line each error must name.
"""
import gzip
import json
import os
import sys

import kenlm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "ngram")
REFERENCE = os.path.join(HERE, "..", "..", "..", "shared", "reference")
KEEP_WORDS = 50


def read_arpa(path):
    sections = {}
    order = None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("\\") and line.endswith("-grams:"):
                order = int(line[1:line.index("-")])
                sections[order] = []
            elif line == "\\end\\":
                order = None
            elif order and line:
                fields = line.split("\t")
                sections[order].append((fields[0], fields[1].split(" "), fields[2] if len(fields) > 2 else None))
    return sections


def write_arpa(path, sections):
    order = max(sections)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\\data\\\n")
        for n in range(1, order + 1):
            f.write(f"ngram {n}={len(sections[n])}\n")
        for n in range(1, order + 1):
            f.write(f"\n\\{n}-grams:\n")
            for prob, words, backoff in sections[n]:
                f.write(prob + "\t" + " ".join(words) + ("\t" + backoff if backoff is not None else "") + "\n")
        f.write("\n\\end\\\n")


def main():
    os.makedirs(os.path.join(OUT, "malformed"), exist_ok=True)
    sections = read_arpa(os.path.join(REFERENCE, "fortunes-o3.arpa.gz"))
    specials = {"<unk>", "<s>", "</s>"}
    ranked = sorted((e for e in sections[1] if e[1][0] not in specials), key=lambda e: -float(e[0]))
    vocab = specials | {e[1][0] for e in ranked[:KEEP_WORDS]}
    small = {n: [e for e in entries if all(w in vocab for w in e[1])] for n, entries in sections.items()}
    small_path = os.path.join(OUT, "small.arpa")
    write_arpa(small_path, small)
    with open(small_path, "rb") as src, open(small_path + ".gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as dst:
            dst.write(src.read())

    model = kenlm.Model(small_path)
    with open(os.path.join(REFERENCE, "fortunes-test.txt"), encoding="utf-8") as f:
        sentences = [line.rstrip("\n") for _, line in zip(range(200), f)]
    sentences += ["", "the the the", "zzz-unknown-word qqq", "<unk> </s> the"]
    scores = [model.score(s, bos=True, eos=True) for s in sentences]
    no_bos = [model.score(s, bos=False, eos=False) for s in sentences[:20]]
    full = [[p for p, _, _ in model.full_scores(s)] for s in sentences[:10]]
    with open(os.path.join(OUT, "small_scores.json"), "w") as f:
        json.dump({"order": model.order, "sentences": sentences, "log10": scores,
                   "log10_no_bos_no_eos": no_bos, "full_scores": full}, f, indent=0)

    with open(os.path.join(REFERENCE, "fortunes-train.txt"), encoding="utf-8") as f:
        lines = [line for _, line in zip(range(400), f)]
    with open(os.path.join(OUT, "tiny.txt"), "w", encoding="utf-8") as f:
        f.writelines(lines)

    good = ["\\data\\", "ngram 1=4", "ngram 2=2", "", "\\1-grams:",
            "-1.0\t<unk>\t0", "0\t<s>\t-0.5", "-0.5\t</s>\t0", "-0.8\ta\t-0.3", "",
            "\\2-grams:", "-0.2\t<s> a", "-0.4\ta </s>", "", "\\end\\"]
    cases = {}

    def case(name, lines, line, fragment):
        with open(os.path.join(OUT, "malformed", name + ".arpa"), "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
        cases[name] = {"line": line, "message": fragment}

    def edit(index, text):
        lines = list(good)
        lines[index] = text
        return lines

    with open(os.path.join(OUT, "malformed", "valid.arpa"), "w") as f:
        f.write("\n".join(good) + "\n")
    case("count_too_high", edit(1, "ngram 1=5"), 10, "has 4 entries but \\data\\ declares 5")
    case("count_too_low", edit(2, "ngram 2=1"), 13, "more entries than the 1")
    case("missing_section", good[:10] + ["\\3-grams:", "-0.2\t<s> a", "-0.4\ta </s>", "", "\\end\\"], 11, "expected the \\2-grams: section")
    case("bad_number", edit(8, "-0.8x\ta\t-0.3"), 9, "'-0.8x' is not a finite number")
    case("bad_backoff", edit(8, "-0.8\ta\tnan"), 9, "'nan' is not a finite number")
    case("truncated", good[:12], 13, "has 1 entries but \\data\\ declares 2")
    case("no_end", good[:13], 14, "ends before \\end\\")
    case("backoff_on_highest", edit(12, "-0.4\ta </s>\t-0.1"), 13, "highest order cannot have a backoff")
    case("order_gap", edit(2, "ngram 3=2"), 3, "order 3 where order 2 was expected")
    case("unknown_word", edit(12, "-0.4\tb </s>"), 13, "word 'b' is not among the 1-grams")
    case("duplicate", edit(12, "-0.4\t<s> a"), 13, "duplicate n-gram '<s> a'")
    case("wrong_field_count", edit(11, "-0.2\t<s>"), 12, "found 2 field(s)")
    case("bad_count_line", edit(1, "ngram one=4"), 2, "expected 'ngram N=COUNT'")
    case("no_data", ["hello", "world"], 0, "no \\data\\ section")
    with open(os.path.join(OUT, "malformed.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    print(f"small.arpa: {[len(small[n]) for n in sorted(small)]} n-grams; {len(sentences)} sentences; {len(cases)} malformed cases")


if __name__ == "__main__":
    sys.exit(main())
