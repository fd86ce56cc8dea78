#!/usr/bin/env python3
"""Distillation into an n-gram student and the teacher cache (issue 9): `lmzoo distill` timings and KL.

  ngram   `lmzoo distill --teacher fortunes-gpt2 --student-arch ngram --order 3` on the fortunes training
          text: wall time (median of --runs), the teacher's and the estimation's share, KL(teacher || student)
          on held-out windows before (uniform student), after (soft counts), and for the same estimator on
          hard counts (the observed tokens only), perplexities.
  cache   the same command with --teacher-cache DIR: the first run (teacher runs, cache written) and later
          runs (cache read, no teacher pass) — median wall times; and `--student-arch lstm --steps 200`
          uncached vs cached.
There is no other implementation of expected Kneser-Ney to run beside it; the hard-count column is the
baseline (ordinary modified Kneser-Ney on the same token stream). 2 threads (OPENBLAS_NUM_THREADS=2).

    swift build -c release
    python3 scripts/bench_distill.py --lmzoo .build/release/lmzoo --corpus models/corpus/fortunes-train.txt
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

os.environ["OPENBLAS_NUM_THREADS"] = "2"


def distill(lmzoo, args):
    start = time.perf_counter()
    result = subprocess.run([lmzoo, "distill", "--quiet", "--json"] + args, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=".build/release/lmzoo")
    parser.add_argument("--teacher", default="fortunes-gpt2")
    parser.add_argument("--corpus", default="models/corpus/fortunes-train.txt")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lstm-steps", type=int, default=200)
    options = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="bench-distill-")
    base = ["--teacher", options.teacher, "--corpus", options.corpus]
    try:
        print(f"load: {os.getloadavg()}")
        ngram = base + ["--student-arch", "ngram", "--order", "3", "--out", f"{scratch}/ngram"]
        uncached = [distill(options.lmzoo, ngram) for _ in range(options.runs)]
        report = uncached[-1][1]
        print("ngram (order 3, top-k 64, top-p 0.99), uncached: wall median %.1f s (runs %s)" % (
            statistics.median(w for w, _ in uncached), ", ".join("%.1f" % w for w, _ in uncached)))
        for key in ["kl_before", "kl_after", "kl_hard_counts", "teacher_perplexity", "student_perplexity", "hard_counts_perplexity",
                    "teacher_seconds", "estimation_seconds", "counts", "soft_count_trials", "training_tokens", "student_parameters",
                    "teacher_tokens_per_s", "student_tokens_per_s", "teacher_forward_passes"]:
            print(f"  {key}: {report.get(key)}")

        cache = ngram + ["--teacher-cache", f"{scratch}/cache"]
        first = distill(options.lmzoo, cache)
        later = [distill(options.lmzoo, cache) for _ in range(options.runs)]
        print("ngram with --teacher-cache: first run %.1f s (cache_writes %s, %.0f MB on disk), cached runs median %.1f s (teacher passes %s, hits %s)" % (
            first[0], first[1]["cache_writes"], sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f"{scratch}/cache") for f in fs) / 1e6,
            statistics.median(w for w, _ in later), later[-1][1]["teacher_forward_passes"], later[-1][1]["cache_hits"]))
        print(f"  kl_after uncached {report['kl_after']}, cached {later[-1][1]['kl_after']}")

        lstm = base + ["--student-arch", "lstm", "--steps", str(options.lstm_steps), "--out", f"{scratch}/lstm"]
        plain = [distill(options.lmzoo, lstm) for _ in range(options.runs)]
        lstm_cache = lstm + ["--teacher-cache", f"{scratch}/cache-lstm"]
        lstm_first = distill(options.lmzoo, lstm_cache)
        lstm_later = [distill(options.lmzoo, lstm_cache) for _ in range(options.runs)]
        print("lstm %d steps: uncached median %.1f s (kl %.3f -> %.3f); cached first %.1f s, later median %.1f s (teacher passes %s, kl %.3f -> %.3f)" % (
            options.lstm_steps, statistics.median(w for w, _ in plain), plain[-1][1]["kl_before"], plain[-1][1]["kl_after"],
            lstm_first[0], statistics.median(w for w, _ in lstm_later), lstm_later[-1][1]["teacher_forward_passes"],
            lstm_later[-1][1]["kl_before"], lstm_later[-1][1]["kl_after"]))
        print(f"load: {os.getloadavg()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
