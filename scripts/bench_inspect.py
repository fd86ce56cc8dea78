#!/usr/bin/env python3
"""Benchmark: `lmzoo inspect` on a ~500 MB safetensors file must return in well under a second
without reading the data. Side by side with the reference library listing the same header
(`safetensors.safe_open` + keys/shapes), in the same run.

    python scripts/bench_inspect.py [--size-mb 500] [--runs 7] [--dir /tmp/lmzoo-bench]

Needs: a release build (.build/release/lmzoo), numpy and safetensors (pip), /usr/bin/time.
Prints a Markdown table: median wall seconds and median peak RSS of each command.
"""
import argparse
import os
import statistics
import subprocess
import sys

from benchlib import LMZOO, gpt2_like_checkpoint

REFERENCE = """
import sys
from safetensors import safe_open
with safe_open(sys.argv[1], framework="numpy") as f:
    rows = [(k, f.get_slice(k).get_dtype(), f.get_slice(k).get_shape()) for k in f.keys()]
print(len(rows))
"""


def measure(cmd, runs):
    walls, rss = [], []
    for _ in range(runs):
        out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + cmd, capture_output=True, text=True, check=True)
        line = [l for l in out.stderr.splitlines() if l.startswith("TIME ")][-1].split()
        walls.append(float(line[1]))
        rss.append(int(line[2]) * 1024)
    return statistics.median(walls), statistics.median(rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--dir", default="/tmp/lmzoo-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    path = gpt2_like_checkpoint(os.path.join(args.dir, f"gpt2-like-{args.size_mb}mb.safetensors"), args.size_mb)
    size = os.path.getsize(path)
    rows = [
        ("lmzoo inspect --json", [LMZOO, "inspect", path, "--json"]),
        ("python safetensors safe_open (keys, dtypes, shapes)", [sys.executable, "-c", REFERENCE, path]),
    ]
    print(f"file: {path}, {size / 2**20:.0f} MiB; median of {args.runs} runs\n")
    print("| command | wall s (median) | peak RSS MiB (median) | RSS / file size |")
    print("|---|---|---|---|")
    for name, cmd in rows:
        wall, rss = measure(cmd, args.runs)
        print(f"| {name} | {wall:.3f} | {rss / 2**20:.1f} | {rss / size:.3f} |")


if __name__ == "__main__":
    main()
