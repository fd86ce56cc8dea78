"""Shared helpers of lmzoo's benchmark scripts (run them with a Python that has numpy + safetensors)."""
import os
import statistics
import subprocess
import threading
import time

import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMZOO = os.path.join(ROOT, ".build", "release", "lmzoo")


def gpt2_like_checkpoint(path, size_mb, d=1024):
    """A GPT-2-shaped safetensors file of about size_mb MiB of F32 (random values, fixed seed)."""
    if os.path.exists(path) and abs(os.path.getsize(path) - size_mb * 2**20) < 2**26:
        return path
    rng = np.random.default_rng(0)
    tensors = {"wte.weight": rng.standard_normal((50257, d), dtype=np.float32),
               "wpe.weight": rng.standard_normal((1024, d), dtype=np.float32)}
    layer = 0
    while sum(t.nbytes for t in tensors.values()) < size_mb * 2**20:
        p = f"h.{layer}."
        for name, shape in [("attn.c_attn.weight", (d, 3 * d)), ("attn.c_attn.bias", (3 * d,)),
                            ("attn.c_proj.weight", (d, d)), ("attn.c_proj.bias", (d,)),
                            ("mlp.c_fc.weight", (d, 4 * d)), ("mlp.c_fc.bias", (4 * d,)),
                            ("mlp.c_proj.weight", (4 * d, d)), ("mlp.c_proj.bias", (d,)),
                            ("ln_1.weight", (d,)), ("ln_1.bias", (d,)), ("ln_2.weight", (d,)), ("ln_2.bias", (d,))]:
            tensors[p + name] = rng.standard_normal(shape, dtype=np.float32)
        layer += 1
    tensors["ln_f.weight"] = np.ones(d, np.float32)
    tensors["ln_f.bias"] = np.zeros(d, np.float32)
    save_file(tensors, path, metadata={"format": "pt"})
    return path


def run_measured(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RssAnon bytes, peak RSS bytes) polling /proc every 2 ms."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak_anon = peak_rss = 0
    stop = False

    def poll():
        nonlocal peak_anon, peak_rss
        while not stop:
            try:
                with open(f"/proc/{process.pid}/status") as f:
                    for line in f:
                        if line.startswith("RssAnon:"):
                            peak_anon = max(peak_anon, int(line.split()[1]) * 1024)
                        elif line.startswith("VmRSS:"):
                            peak_rss = max(peak_rss, int(line.split()[1]) * 1024)
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=poll)
    watcher.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    stop = True
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {err.decode()[-2000:]}")
    return wall, peak_anon, peak_rss


def median_run(cmd, runs, env=None, before=None):
    """Median wall time and median peaks over runs (before() is called before each run, e.g. to delete outputs)."""
    results = []
    for _ in range(runs):
        if before:
            before()
        results.append(run_measured(cmd, env))
    return tuple(statistics.median(r[i] for r in results) for i in range(3))
