#!/usr/bin/env python3
"""A bounded HTTP load on an `lmzoo serve` on loopback (standard library only): N keep-alive connections
POST the same JSON body to one route for S seconds (and at most --max-requests in all). Prints one JSON
document: requests, failures by reason, requests/s, latency p50/p99 (ms), and how many answers came from
each model version with which text (`versions`: {version: {answer: count}}), which the reload test reads.

    python3 scripts/serve_load.py --port 8080 --path /v1/completions --connections 8 --seconds 30 \
        --body '{"model":"fortunes-gpt2","prompt":"The","max_tokens":16,"temperature":0}'
"""
import argparse
import http.client
import json
import threading
import time


def answer_of(path, document):
    """The part of a response that says what the model computed (volatile fields such as ids left out)."""
    if path == "/v1/completions":
        return document["choices"][0]["text"]
    if path == "/v1/embeddings":
        return json.dumps([round(x, 5) for x in document["data"][0]["embedding"][:8]])
    return json.dumps(document)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--body", required=True, help="the JSON body every request sends")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("serve_load.py only loads servers on loopback")
    body = args.body.encode()
    lock = threading.Lock()
    latencies, failures, versions = [], {}, {}
    sent = [0]
    deadline = time.perf_counter() + args.seconds

    def fail(reason):
        with lock:
            failures[reason] = failures.get(reason, 0) + 1

    def worker():
        connection = http.client.HTTPConnection(args.host, args.port, timeout=60)
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= args.max_requests:
                    break
                sent[0] += 1
            start = time.perf_counter()
            try:
                connection.request("POST", args.path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
            except Exception as error:  # a dropped connection counts as a failure; reconnect
                fail(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection(args.host, args.port, timeout=60)
                continue
            elapsed = time.perf_counter() - start
            if response.status != 200:
                fail(f"status {response.status}")
                continue
            try:
                answer = answer_of(args.path, json.loads(data))
            except (ValueError, KeyError, IndexError):
                fail("bad body")
                continue
            version = response.getheader("X-LMZoo-Model-Version", "?")
            with lock:
                latencies.append(elapsed)
                answers = versions.setdefault(version, {})
                answers[answer] = answers.get(answer, 0) + 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    print(json.dumps({"requests": len(latencies) + sum(failures.values()), "ok": len(latencies), "failures": failures,
                      "seconds": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1),
                      "p50_ms": percentile(0.50), "p99_ms": percentile(0.99), "versions": versions}))


if __name__ == "__main__":
    main()
