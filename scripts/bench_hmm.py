#!/usr/bin/env python3
"""Benchmark lmzoo's HMM plugin against hmmlearn, side by side in one run (issue 5).

N=64 states, V=65 symbols, T=100,000 observations sampled from a random model:
  score       hmmlearn CategoricalHMM.score(X)       vs lmzoo score MODEL --ids-file F --json (timings.compute_s)
  Viterbi     hmmlearn decode(X, algorithm=viterbi)  vs lmzoo decode MODEL --ids-file F --json (timings.compute_s)
  Baum-Welch  hmmlearn fit(X), n_iter=5, init fixed  vs lmzoo train hmm --states 64 --iterations 5 (fit_seconds)
lmzoo is timed inside the process (the computation, without process start-up, model loading, id
parsing or output); the train row also shows the whole command's wall time. Both sides run with
OPENBLAS_NUM_THREADS=2. Medians over --runs runs (--fit-runs for hmmlearn's slow fit).

    swift build -c release
    OPENBLAS_NUM_THREADS=2 ~/.cache/lmzoo-venv/bin/python scripts/bench_hmm.py --lmzoo .build/release/lmzoo
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np  # noqa: E402
import hmmlearn  # noqa: E402
from hmmlearn import hmm  # noqa: E402

ALPHABET = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # 65 symbols, sorted by code point


def stochastic(rng, shape):
    a = rng.random(shape) + 0.01
    return a / a.sum(axis=-1, keepdims=True)


def lmzoo(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout), out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=".build/release/lmzoo")
    parser.add_argument("--states", type=int, default=64)
    parser.add_argument("--length", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fit-runs", type=int, default=3)
    parser.add_argument("--markdown", help="also write the table here")
    args = parser.parse_args()
    n, v, t = args.states, len(ALPHABET), args.length
    assert v == 65 and sorted(ALPHABET) == list(ALPHABET)

    rng = np.random.default_rng(5)
    model = hmm.CategoricalHMM(n_components=n, n_features=v, init_params="")
    model.startprob_, model.transmat_, model.emissionprob_ = stochastic(rng, n), stochastic(rng, (n, n)), stochastic(rng, (n, v))
    x, _ = model.sample(t, random_state=7)
    assert len(np.unique(x)) == v, "every symbol must occur (the trained vocabulary is the corpus's)"

    work = tempfile.mkdtemp(prefix="bench-hmm-")
    npz, ids, corpus = os.path.join(work, "model.npz"), os.path.join(work, "ids.txt"), os.path.join(work, "corpus.txt")
    np.savez(npz, startprob=model.startprob_, transmat=model.transmat_, emissionprob=model.emissionprob_)
    with open(ids, "w") as f:
        f.write(" ".join(map(str, x[:, 0])))
    with open(corpus, "w", encoding="utf-8", newline="") as f:
        f.write("".join(ALPHABET[i] for i in x[:, 0]))

    rows = {}

    def timed(fn, runs):
        times, result = [], None
        for _ in range(runs):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times), result

    # score
    py_score, ref_logprob = timed(lambda: model.score(x), args.runs)
    lz = [lmzoo(args.lmzoo, "score", npz, "--arch", "hmm", "--ids-file", ids, "--repeat", "3", "--json")[0] for _ in range(args.runs)]
    lz_score = statistics.median(r["timings"]["compute_s"] for r in lz)
    score_diff = abs(lz[-1]["logprob"] - ref_logprob) / abs(ref_logprob)
    rows["score"] = (py_score, lz_score, f"logprob rel. diff {score_diff:.1e}")

    # Viterbi
    py_decode, (ref_vlogprob, ref_path) = timed(lambda: model.decode(x, algorithm="viterbi"), args.runs)
    lz = [lmzoo(args.lmzoo, "decode", npz, "--arch", "hmm", "--ids-file", ids, "--repeat", "3", "--json")[0] for _ in range(args.runs)]
    lz_decode = statistics.median(r["timings"]["compute_s"] for r in lz)
    same_path = lz[-1]["states"] == [int(s) for s in ref_path]
    vdiff = abs(lz[-1]["logprob"] - ref_vlogprob) / abs(ref_vlogprob)
    rows["Viterbi (`decode`)"] = (py_decode, lz_decode, f"path {'identical' if same_path else 'DIFFERS'}, logprob rel. diff {vdiff:.1e}")

    # Baum-Welch, 5 iterations (hmmlearn from fixed random parameters, tolerance never reached)
    init = (stochastic(rng, n), stochastic(rng, (n, n)), stochastic(rng, (n, v)))

    def fit():
        m = hmm.CategoricalHMM(n_components=n, n_features=v, init_params="", n_iter=5, tol=-np.inf)
        m.startprob_, m.transmat_, m.emissionprob_ = (a.copy() for a in init)
        m.fit(x)
        assert m.monitor_.iter == 5
        return m

    py_fit, _ = timed(fit, args.fit_runs)
    walls, fits = [], []
    for run in range(args.runs):
        start = time.perf_counter()
        report, _ = lmzoo(args.lmzoo, "train", "hmm", "--states", str(n), "--iterations", "5", "--tolerance=-1e300",
                          "--corpus", corpus, "--out", os.path.join(work, f"trained{run}"), "--seed", str(run), "--json")
        walls.append(time.perf_counter() - start)
        fits.append(report["fit_seconds"])
        assert report["iterations"] == 5 and report["vocab_size"] == v and report["tokens"] == t, report
    rows["Baum-Welch, 5 iterations"] = (py_fit, statistics.median(fits),
                                        f"whole `lmzoo train` command: {statistics.median(walls):.2f} s")

    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"N={n} states, V={v} symbols, T={t:,} observations; hmmlearn {hmmlearn.__version__}, numpy {np.__version__}; "
        f"OPENBLAS_NUM_THREADS=2; {cpu}; medians of {args.runs} runs (hmmlearn fit: {args.fit_runs}).",
        "",
        "| operation | hmmlearn s | lmzoo s | speed-up | notes |",
        "|---|---|---|---|---|",
    ]
    for name, (py, lz, note) in rows.items():
        lines.append(f"| {name} | {py:.3f} | {lz:.4f} | {py / lz:.1f}x | {note} |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
