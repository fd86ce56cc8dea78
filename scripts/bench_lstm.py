#!/usr/bin/env python3
"""Benchmark lmzoo's LSTM plugin against PyTorch, side by side in one run (issue 6).

A pytorch/examples word_language_model RNNModel with random weights: 2 LSTM layers x 512 hidden,
embedding 512, vocabulary 10,000, untied decoder; scoring one sequence of 512 tokens.
  lmzoo    `lmzoo score DIR --ids-file F --repeat R --json`: timings.compute_s (the computation per
           repeat, without process start-up, loading or id parsing)
  PyTorch  torch.set_num_threads(2), no_grad: encoder -> rnn -> decoder -> log_softmax -> gather of the
           512-token sequence, the same weights (RNNModel.forward plus the scoring step)
Both with 2 threads (OPENBLAS_NUM_THREADS=2). Medians over --runs runs (each lmzoo run averages
--repeat scorings; PyTorch takes the median of --repeat forwards after one warm-up, per run).

    swift build -c release
    ~/.cache/lmzoo-venv/bin/python scripts/bench_lstm.py --lmzoo .build/release/lmzoo
"""
import argparse
import json
import os
import statistics
import subprocess
import time

os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.setdefault("OMP_NUM_THREADS", "2")
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RNNModel(torch.nn.Module):
    """pytorch/examples word_language_model RNNModel (LSTM, eval mode, so no dropout)."""

    def __init__(self, ntoken, ninp, nhid, nlayers):
        super().__init__()
        self.encoder = torch.nn.Embedding(ntoken, ninp)
        self.rnn = torch.nn.LSTM(ninp, nhid, nlayers)
        self.decoder = torch.nn.Linear(nhid, ntoken)

    def forward(self, ids):  # (T, 1) -> (T, 1, V) log-probabilities
        output, _ = self.rnn(self.encoder(ids))
        return torch.log_softmax(self.decoder(output), dim=-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=os.path.join(ROOT, ".build", "release", "lmzoo"))
    parser.add_argument("--dir", default="/tmp/lmzoo-bench-lstm")
    parser.add_argument("--vocab", type=int, default=10000)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = RNNModel(args.vocab, args.hidden, args.hidden, args.layers).eval()
    os.makedirs(args.dir, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(args.dir, "model.safetensors"))
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump({"model_type": "lstm", "vocab_size": args.vocab, "embedding_size": args.hidden,
                   "hidden_size": args.hidden, "num_layers": args.layers, "tie_weights": False}, f)
    ids = torch.randint(0, args.vocab, (args.tokens,))
    ids_file = os.path.join(args.dir, "ids.txt")
    with open(ids_file, "w") as f:
        f.write(",".join(map(str, ids.tolist())))

    def torch_score():
        with torch.no_grad():
            logprobs = model(ids.view(-1, 1))[:-1, 0, :]
            return logprobs.gather(1, ids[1:].view(-1, 1)).sum().item()

    lmzoo_times, torch_times = [], []
    lmzoo_logprob = torch_logprob = None
    for _ in range(args.runs):
        out = subprocess.run([args.lmzoo, "score", args.dir, "--ids-file", ids_file, "--repeat", str(args.repeat), "--json"],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out)
        lmzoo_times.append(result["timings"]["compute_s"])
        lmzoo_logprob = result["logprob"]
        torch_logprob = torch_score()  # warm-up
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            torch_score()
            samples.append(time.perf_counter() - start)
        torch_times.append(statistics.median(samples))

    n = args.tokens - 1  # scored tokens (2..n)
    lz, pt = statistics.median(lmzoo_times), statistics.median(torch_times)
    print(f"model: {args.layers} x {args.hidden} LSTM, vocab {args.vocab}, {args.tokens} tokens ({n} scored); torch {torch.__version__}")
    print(f"logprob: lmzoo {lmzoo_logprob:.4f}  torch {torch_logprob:.4f}  (|diff| {abs(lmzoo_logprob - torch_logprob):.2e})")
    print("| implementation | median s / sequence | tokens/s |")
    print("|---|---|---|")
    print(f"| lmzoo (BLAS, 2 threads) | {lz:.4f} | {args.tokens / lz:,.0f} |")
    print(f"| PyTorch torch.nn.LSTM (2 threads) | {pt:.4f} | {args.tokens / pt:,.0f} |")
    print(f"speed-up: {pt / lz:.2f}x")
    print("runs (s): lmzoo " + ", ".join(f"{t:.4f}" for t in lmzoo_times) + "; torch " + ", ".join(f"{t:.4f}" for t in torch_times))


if __name__ == "__main__":
    main()
