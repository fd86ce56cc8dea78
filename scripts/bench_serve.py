#!/usr/bin/env python3
"""Load figures of `lmzoo serve` (release build) on loopback: requests/s and p50/p99 latency for
/v1/embeddings (all-MiniLM-L6-v2, one sentence) and greedy /v1/completions (fortunes-gpt2, a short
prompt, max_tokens 16) at 1, 4 and 16 connections, with the result cache off (every request runs the
model). The load comes from wrk (Debian's package) when installed, else scripts/serve_load.py (standard
library only). Beside it, the model alone without HTTP (`lmzoo embed --repeat`, `lmzoo generate`) for
reference. Prints a Markdown table.

    python3 scripts/bench_serve.py [--seconds 10] [--client wrk|python]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[%s]==]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("JSON {\\"requests\\":%%d,\\"failed\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d,\\"duration_us\\":%%d}\\n",
    summary.requests, e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50), latency:percentile(99), summary.duration))
end
"""


def run_wrk(port, path, body, connections, seconds):
    """wrk's figures as serve_load.py reports them."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % json.dumps(body))
    try:
        out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
                              "-s", script.name, f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    report = json.loads(out[out.index("JSON ") + 5:].splitlines()[0])
    return {"requests_per_s": round(report["requests"] / (report["duration_us"] / 1e6), 1), "p50_ms": round(report["p50_us"] / 1000, 2),
            "p99_ms": round(report["p99_us"] / 1000, 2), "failures": {"failed": report["failed"]} if report["failed"] else {}}


def run_python(port, path, body, connections, seconds):
    out = subprocess.run([sys.executable, LOAD, "--port", str(port), "--path", path, "--body", json.dumps(body),
                          "--connections", str(connections), "--seconds", str(seconds)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def model_alone():
    """The same work without HTTP, with the server's 1 BLAS thread: sentences/s embedding one sentence 50 times;
    a greedy generation's ms per token."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    embed = json.loads(subprocess.run([LMZOO, "embed", "all-minilm-l6-v2", "--text", CASES[0][2]["input"], "--repeat", "50", "--json"],
                                      check=True, capture_output=True, text=True, env=env).stdout)
    body = CASES[1][2]
    generate = json.loads(subprocess.run([LMZOO, "generate", "fortunes-gpt2", "--prompt", body["prompt"], "--max-tokens", str(body["max_tokens"]),
                                          "--greedy", "--json"], check=True, capture_output=True, text=True, env=env).stdout)
    per_token = generate["timings"]["decode_ms_per_token"]
    return embed["timings"]["sentences_per_s"], per_token


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", default="1,4,16")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the table shows each figure's median")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    load_before = os.getloadavg()
    run = run_wrk if args.client == "wrk" else run_python
    process, port = start_server([model for _, model, _ in CASES])
    rows = []
    try:
        for path, model, body in CASES:
            for connections in [int(c) for c in args.connections.split(",")]:
                run(port, path, body, connections, 1)  # warm-up
                reports = [run(port, path, body, connections, int(args.seconds)) for _ in range(args.runs)]
                report = {key: statistics.median(r[key] for r in reports) for key in ("requests_per_s", "p50_ms", "p99_ms")}
                report["failures"] = {"failed": sum(sum(r["failures"].values()) for r in reports)}
                rows.append((path, model, connections, report))
                print(f"{path} {connections}: {json.dumps(report)[:200]}", file=sys.stderr)
    finally:
        process.terminate()
        process.wait(timeout=30)
    sentences_per_s, ms_per_token = model_alone()
    load = os.getloadavg()
    print(f"Client: {args.client}; {os.cpu_count()} cores shared by server and client; load average (1/5/15 min) "
          f"before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.")
    print(f"The model alone, no HTTP, 1 BLAS thread as the server: MiniLM embeds {sentences_per_s:.1f} sentences/s (`lmzoo embed --repeat 50`); "
          f"fortunes-gpt2 decodes at {ms_per_token:.2f} ms/token (`lmzoo generate --greedy`).")
    print()
    print(f"Medians of {args.runs} runs of {args.seconds:g} s each; the result cache is off (every request runs the model).")
    print()
    print("| route | model | connections | requests/s | p50 ms | p99 ms | failed (all runs) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for path, model, connections, report in rows:
        failed = sum(report["failures"].values())
        print(f"| `{path}` | {model} | {connections} | {report['requests_per_s']} | {report['p50_ms']} | {report['p99_ms']} | {failed} |")


if __name__ == "__main__":
    main()
