#!/usr/bin/env python3
"""Load figures of `lmzoo serve` (release build) on loopback: requests/s and p50/p99 latency for
/v1/embeddings (all-MiniLM-L6-v2, one sentence) and greedy /v1/completions (fortunes-gpt2, a short
prompt, max_tokens 16) at 1, 4 and 16 connections, with the result cache off (every request runs the
model). Uses scripts/serve_load.py (standard library only). Prints a Markdown table.

    python3 scripts/bench_serve.py [--seconds 10]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMZOO = os.path.join(ROOT, ".build", "release", "lmzoo")
LOAD = os.path.join(ROOT, "scripts", "serve_load.py")

CASES = [
    ("/v1/embeddings", "all-minilm-l6-v2", {"model": "all-minilm-l6-v2", "input": "A man is eating food."}),
    ("/v1/completions", "fortunes-gpt2", {"model": "fortunes-gpt2", "prompt": "The fool doth think", "max_tokens": 16, "temperature": 0}),
]


def start_server(models):
    process = subprocess.Popen([LMZOO, "serve", "--port", "0", "--cache-bytes", "0", "--queue-depth", "256", "--models", *models],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            break
    process.kill()
    sys.exit(f"lmzoo serve did not start: {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", default="1,4,16")
    args = parser.parse_args()
    process, port = start_server([model for _, model, _ in CASES])
    rows = []
    try:
        for path, model, body in CASES:
            for connections in [int(c) for c in args.connections.split(",")]:
                # A short warm-up, then the measured run.
                subprocess.run([sys.executable, LOAD, "--port", str(port), "--path", path, "--body", json.dumps(body),
                                "--connections", str(connections), "--seconds", "1"], check=True, capture_output=True)
                out = subprocess.run([sys.executable, LOAD, "--port", str(port), "--path", path, "--body", json.dumps(body),
                                      "--connections", str(connections), "--seconds", str(args.seconds)],
                                     check=True, capture_output=True, text=True).stdout
                report = json.loads(out)
                rows.append((path, model, connections, report))
                print(f"{path} {connections}: {out.strip()[:200]}", file=sys.stderr)
    finally:
        process.terminate()
        process.wait(timeout=30)
    load = os.getloadavg()
    print(f"Load average before/after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min); {os.cpu_count()} cores")
    print()
    print("| route | model | connections | requests/s | p50 ms | p99 ms | failed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for path, model, connections, report in rows:
        failed = sum(report["failures"].values())
        print(f"| `{path}` | {model} | {connections} | {report['requests_per_s']} | {report['p50_ms']} | {report['p99_ms']} | {failed} |")


if __name__ == "__main__":
    main()
