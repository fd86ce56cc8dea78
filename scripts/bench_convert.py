#!/usr/bin/env python3
"""Benchmark: `lmzoo convert` of a ~500 MB GPT-2-shaped safetensors checkpoint into each container,
side by side with the equivalent Python script using the reference libraries, in the same run.
Reports median wall time, and peak anonymous memory (RssAnon: what a conversion allocates, as
opposed to file pages it maps) against the largest tensor.

    python scripts/bench_convert.py [--size-mb 500] [--runs 3] [--dir /tmp/lmzoo-bench] [--only h5,torch,...]

Needs: a release build (.build/release/lmzoo); Python with numpy, safetensors, h5py, gguf and torch
(../shared/tools/ref-venv.sh makes one). Python runs with 2 threads (OMP/MKL/OPENBLAS_NUM_THREADS=2).
"""
import argparse
import os
import sys

from benchlib import LMZOO, gpt2_like_checkpoint, median_run

PY = {
    "safetensors-f16": """
import sys, numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file
with safe_open(sys.argv[1], "numpy") as f:
    out = {k: f.get_tensor(k).astype(np.float16) for k in f.keys()}
save_file(out, sys.argv[2], metadata={"format": "pt"})
""",
    "h5": """
import sys, h5py
from safetensors import safe_open
with safe_open(sys.argv[1], "numpy") as f, h5py.File(sys.argv[2], "w") as h:
    for k in f.keys():
        h.create_dataset(k.replace(".", "/"), data=f.get_tensor(k))
""",
    "npz": """
import sys, numpy as np
from safetensors import safe_open
with safe_open(sys.argv[1], "numpy") as f:
    np.savez(sys.argv[2], **{k: f.get_tensor(k) for k in f.keys()})
""",
    "torch": """
import sys, torch
from safetensors.torch import load_file
torch.save(load_file(sys.argv[1]), sys.argv[2])
""",
    "gguf-llama": """
import sys, gguf, numpy as np
from safetensors import safe_open
# As llama.cpp's convert_hf_to_gguf.py does for GPT-2: Conv1D weights transposed to [out, in].
conv1d = (".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")
w = gguf.GGUFWriter(sys.argv[2], "gpt2")
with safe_open(sys.argv[1], "numpy") as f:
    for k in f.keys():
        t = f.get_tensor(k)
        w.add_tensor(k, np.ascontiguousarray(t.T) if k.endswith(conv1d) else t)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
""",
    "gguf": """
import sys, gguf
from safetensors import safe_open
w = gguf.GGUFWriter(sys.argv[2], "gpt2")
with safe_open(sys.argv[1], "numpy") as f:
    for k in f.keys():
        w.add_tensor(k, f.get_tensor(k))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
""",
}
# lmzoo fsyncs what it writes before renaming it into place; the same script made equally durable:
FSYNC = """
import os
fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)
"""
EXTENSION = {"safetensors-f16": "safetensors", "h5": "h5", "npz": "npz", "torch": "bin", "gguf": "gguf", "gguf-llama": "gguf"}
# Plain GGUF keeps the names (--layout hf); gguf-llama re-maps to llama.cpp names with the Conv1D transposes.
LMZOO_FLAGS = {"safetensors-f16": ["--dtype", "f16"], "gguf": ["--layout", "hf"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/lmzoo-bench")
    ap.add_argument("--only", default=",".join(PY))
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    src = gpt2_like_checkpoint(os.path.join(args.dir, f"gpt2-like-{args.size_mb}mb.safetensors"), args.size_mb)
    largest = 50257 * 1024 * 4
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    print(f"source: {src} ({os.path.getsize(src) / 2**20:.0f} MiB, largest tensor {largest / 2**20:.0f} MiB); median of {args.runs} runs\n")
    print("| conversion | lmzoo s | Python s | Python + fsync s | speed-up vs Python | vs Python + fsync | lmzoo peak RssAnon MiB | x largest tensor | Python peak RssAnon MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for target in args.only.split(","):
        out = os.path.join(args.dir, f"out.{EXTENSION[target]}")
        ref = os.path.join(args.dir, f"ref.{EXTENSION[target]}")

        def clean():
            for p in (out, ref):
                if os.path.exists(p):
                    os.remove(p)
            os.sync()  # start each run with no dirty pages from the previous one

        ours = median_run([LMZOO, "convert", src, out, "--force"] + LMZOO_FLAGS.get(target, []), args.runs, env, clean)
        theirs = median_run([sys.executable, "-c", PY[target], src, ref], args.runs, env, clean)
        durable = median_run([sys.executable, "-c", PY[target] + FSYNC, src, ref], args.runs, env, clean)
        print(f"| safetensors -> {target} | {ours[0]:.2f} | {theirs[0]:.2f} | {durable[0]:.2f} | {theirs[0] / ours[0]:.1f}x | "
              f"{durable[0] / ours[0]:.1f}x | {ours[1] / 2**20:.0f} | {ours[1] / largest:.2f} | {theirs[1] / 2**20:.0f} |", flush=True)
        clean()


if __name__ == "__main__":
    main()
