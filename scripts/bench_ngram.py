#!/usr/bin/env python3
"""Benchmark of the n-gram plugin against the `kenlm` Python module, side by side in one run.

    swift build -c release --scratch-path .build-ngram
    ~/.cache/lmzoo-venv/bin/python scripts/bench_ngram.py --lmzoo .build-ngram/release/lmzoo [--runs 5] [--md out.md]

1. Estimates an order-5 model with `lmzoo train ngram` on ../shared/reference/fortunes-train.txt
   (the first --lines lines, chosen so that the ARPA is ~20 MB) into a scratch directory (never
   committed), and converts it to lmzoo's binary form (`lmzoo convert x.arpa x.safetensors`).
2. Scores fortunes-test.txt repeated to ~190k tokens (one sentence per line, <s> ... </s>):
   - lmzoo: `lmzoo score MODEL --file TEXT --json`, wall time of the whole process (start-up, load,
     score, JSON), for the ARPA file and the binary form;
   - kenlm: `kenlm.Model(ARPA)` + `sum(model.score(line) for line in lines)`, timed inside Python
     (interpreter start-up and `import kenlm` not counted).
   Each is run --runs times (interleaved); medians are reported. Totals must agree to 1e-3.
3. Prints a markdown section (and writes it to --md).
OpenBLAS/OMP are limited to 2 threads (the n-gram code is single-threaded).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference")

KENLM_SNIPPET = r"""
import sys, time, json
import kenlm
lines = open(sys.argv[2], encoding="utf-8").readlines()
t0 = time.perf_counter()
model = kenlm.Model(sys.argv[1])
t1 = time.perf_counter()
total = 0.0
for line in lines:
    total += model.score(line, bos=True, eos=True)
t2 = time.perf_counter()
json.dump({"load_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0, "log10": total}, sys.stdout)
"""


def run(cmd, env):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=os.path.join(ROOT, ".build", "release", "lmzoo"))
    parser.add_argument("--python", default=sys.executable, help="a Python with kenlm")
    parser.add_argument("--lines", type=int, default=19000, help="training lines (sets the ARPA size)")
    parser.add_argument("--repeat", type=int, default=8, help="copies of fortunes-test.txt to score")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--md", default="/tmp/ngram-bench.md")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    work = args.workdir or tempfile.mkdtemp(prefix="lmzoo-ngram-bench-")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "train.txt")
    with open(os.path.join(REFERENCE, "fortunes-train.txt"), encoding="utf-8") as f:
        train_lines = [line for _, line in zip(range(args.lines), f)]
    with open(corpus, "w", encoding="utf-8") as f:
        f.writelines(train_lines)
    arpa = os.path.join(work, "o5.arpa")
    binary = os.path.join(work, "o5.safetensors")
    train_s, train_out = run([args.lmzoo, "train", "ngram", "--order", "5", "--corpus", corpus, "--out", arpa,
                              "--discount-fallback", "--json"], env)
    counts = json.loads(train_out)["counts"]
    run([args.lmzoo, "convert", arpa, binary, "--force"], env)

    text = os.path.join(work, "test.txt")
    with open(os.path.join(REFERENCE, "fortunes-test.txt"), encoding="utf-8") as f:
        test = f.read()
    with open(text, "w", encoding="utf-8") as f:
        f.write(test * args.repeat)
    tokens = sum(len(line.split()) + 1 for line in (test * args.repeat).splitlines())

    rows = {"lmzoo_arpa": [], "lmzoo_binary": [], "kenlm": []}
    details = {"lmzoo_arpa": [], "lmzoo_binary": [], "kenlm": []}
    for _ in range(args.runs):
        for name, model in (("lmzoo_arpa", arpa), ("lmzoo_binary", binary)):
            wall, out = run([args.lmzoo, "score", model, "--file", text, "--json"], env)
            result = json.loads(out)
            rows[name].append(wall)
            details[name].append(result)
        wall, out = run([args.python, "-c", KENLM_SNIPPET, arpa, text], env)
        result = json.loads(out)
        rows["kenlm"].append(result["total_s"])
        details["kenlm"].append(result)

    med = {k: statistics.median(v) for k, v in rows.items()}
    load = {
        "lmzoo_arpa": statistics.median(d["timings"]["load_s"] for d in details["lmzoo_arpa"]),
        "lmzoo_binary": statistics.median(d["timings"]["load_s"] for d in details["lmzoo_binary"]),
        "kenlm": statistics.median(d["load_s"] for d in details["kenlm"]),
    }
    score = {
        "lmzoo_arpa": statistics.median(d["timings"]["compute_s"] for d in details["lmzoo_arpa"]),
        "lmzoo_binary": statistics.median(d["timings"]["compute_s"] for d in details["lmzoo_binary"]),
        "kenlm": statistics.median(d["score_s"] for d in details["kenlm"]),
    }
    totals = {
        "lmzoo_arpa": details["lmzoo_arpa"][-1]["log10prob"],
        "lmzoo_binary": details["lmzoo_binary"][-1]["log10prob"],
        "kenlm": details["kenlm"][-1]["log10"],
    }
    agree = max(abs(totals[k] - totals["kenlm"]) for k in totals)
    arpa_mb = os.path.getsize(arpa) / 1e6
    bin_mb = os.path.getsize(binary) / 1e6

    md = []
    md.append("## n-gram: lmzoo vs KenLM (`kenlm` Python module)\n")
    md.append(f"Order-5 model estimated by `lmzoo train ngram` on the first {args.lines} lines of fortunes-train.txt "
              f"({arpa_mb:.1f} MB ARPA, n-grams {counts}; binary form {bin_mb:.1f} MB), scoring fortunes-test.txt x{args.repeat} "
              f"({tokens} tokens incl. `</s>`, one sentence per line). Release build, 2 threads, median of {args.runs} interleaved runs.")
    md.append("lmzoo times are the whole `lmzoo score` process (start-up, load, score, JSON); kenlm's are `Model(...)` + the scoring loop "
              "inside Python (interpreter start-up not counted).\n")
    md.append("| | wall (s) | load (s) | score (s) | tokens/s (score) | log10 total |")
    md.append("|---|---:|---:|---:|---:|---:|")
    names = {"lmzoo_arpa": "lmzoo, ARPA", "lmzoo_binary": "lmzoo, binary (safetensors)", "kenlm": "kenlm `Model(arpa)` + loop"}
    for k in ("lmzoo_arpa", "lmzoo_binary", "kenlm"):
        md.append(f"| {names[k]} | {med[k]:.3f} | {load[k]:.3f} | {score[k]:.3f} | {tokens / score[k]:,.0f} | {totals[k]:.4f} |")
    md.append("")
    md.append(f"- lmzoo (ARPA) wall / kenlm: {med['lmzoo_arpa'] / med['kenlm']:.2f}x; lmzoo (binary) wall / kenlm: {med['lmzoo_binary'] / med['kenlm']:.2f}x")
    md.append(f"- binary-form load vs ARPA parse: {load['lmzoo_arpa'] / load['lmzoo_binary']:.0f}x faster "
              f"({load['lmzoo_binary'] * 1000:.1f} ms vs {load['lmzoo_arpa'] * 1000:.0f} ms)")
    md.append(f"- totals agree within {agree:.1e} log10; training took {train_s:.1f} s")
    md.append(f"\nCommand: `swift build -c release --scratch-path .build-ngram && ~/.cache/lmzoo-venv/bin/python scripts/bench_ngram.py "
              f"--lmzoo .build-ngram/release/lmzoo --runs {args.runs}`\n")
    text_md = "\n".join(md)
    print(text_md)
    print("raw:", json.dumps(rows), file=sys.stderr)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text_md + "\n")


if __name__ == "__main__":
    main()
