#!/usr/bin/env python3
"""Training throughput: `lmzoo train` against PyTorch doing the same steps, side by side in one run (issue 9).

Both train the same architecture on the same corpus with the same batch shapes and optimizer (AdamW,
weight decay 0.01, gradient clipping at 1, warm-up + cosine), 2 threads (OPENBLAS_NUM_THREADS=2,
torch.set_num_threads(2)); figure: training tokens per second (B * T * steps / training seconds),
median over --runs runs.
  lstm  character-level word_language_model LSTM: embedding 64, 1 layer x 256 hidden, B=16, T=64
        lmzoo: `lmzoo train lstm ... --json` field tokens_per_s (the training loop, without corpus
        reading and writing); PyTorch: nn.Embedding -> nn.LSTM -> nn.Linear, cross_entropy, backward, step
  gpt2  GPT-2 of n_embd 128, 2 layers, 4 heads, context 64, BPE vocabulary 512, B=16
        lmzoo: `lmzoo train gpt2 ... --json`; PyTorch: transformers GPT2LMHeadModel (no dropout) on the
        ids of lmzoo's own BPE vocabulary (the model's files), same loss/optimizer

    swift build -c release
    ~/.cache/lmzoo-venv/bin/python scripts/bench_train.py --lmzoo .build/release/lmzoo --corpus ../shared/corpora/tinyshakespeare.txt
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time

os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.setdefault("OMP_NUM_THREADS", "2")
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lmzoo_train(lmzoo, arch, corpus, out, args):
    result = subprocess.run([lmzoo, "train", arch, "--corpus", corpus, "--out", out, "--quiet", "--json"] + args,
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def torch_train(model, ids, steps, B, T, lr, forward):
    torch.manual_seed(0)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}], lr=lr)
    warmup = max(steps // 20, 1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warmup if s < warmup else
                                              0.1 + 0.45 * (1 + math.cos(math.pi * min((s - warmup) / max(steps - warmup, 1), 1))))
    data = torch.tensor(ids)
    start = time.perf_counter()
    for _ in range(steps):
        starts = torch.randint(0, len(ids) - T, (B,))
        windows = torch.stack([data[s:s + T + 1] for s in starts])
        logits = forward(windows[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    return B * T * steps / (time.perf_counter() - start), loss.item()


def interleaved(args, arch, corpus, out, train_args):
    """tokens/s of --runs `lmzoo train` runs, and of the --baseline binary's runs interleaved with them."""
    ours, base = [], []
    for _ in range(args.runs):
        ours.append(lmzoo_train(args.lmzoo, arch, corpus, out, train_args + ["--force"])["tokens_per_s"])
        if args.baseline:
            base.append(lmzoo_train(args.baseline, arch, corpus, out, train_args + ["--force"])["tokens_per_s"])
    return ours, base


class RNNModel(torch.nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.encoder = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, L)
        self.decoder = torch.nn.Linear(H, V)

    def forward(self, ids_bt):
        out, _ = self.rnn(self.encoder(ids_bt.t()))
        return self.decoder(out).transpose(0, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lmzoo", default=os.path.join(ROOT, ".build", "release", "lmzoo"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpora", "tinyshakespeare.txt"))
    parser.add_argument("--bytes", type=int, default=200_000, help="corpus prefix to train on")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="an older lmzoo binary timed in the same run (before/after); adds a column")
    args = parser.parse_args()
    torch.set_num_threads(2)
    work = tempfile.mkdtemp(prefix="bench-train-")
    corpus = os.path.join(work, "corpus.txt")
    with open(args.corpus, "rb") as f:
        text = f.read(args.bytes).decode("utf-8", "ignore")
    with open(corpus, "w") as f:
        f.write(text)
    B, T = 16, 64
    rows = []

    # LSTM, character level
    lstm_args = ["--embedding-size", "64", "--hidden-size", "256", "--layers", "1", "--steps", str(args.steps),
                 "--batch-size", str(B), "--context", str(T), "--learning-rate", "3e-3"]
    ours, base = interleaved(args, "lstm", corpus, os.path.join(work, "lstm"), lstm_args)
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index[c] for c in text]
    model = RNNModel(len(vocab), 64, 256, 1)
    theirs = [torch_train(model, ids, args.steps, B, T, 3e-3, model)[0] for _ in range(args.runs)]
    rows.append(("lstm E64 H256 x1, char", statistics.median(ours), statistics.median(theirs), base))

    # GPT-2, BPE 512
    gpt_args = ["--vocab-size", "512", "--embedding-size", "128", "--layers", "2", "--heads", "4", "--steps", str(args.steps),
                "--batch-size", str(B), "--context", str(T), "--learning-rate", "1e-3"]
    out = os.path.join(work, "gpt")
    ours, base = interleaved(args, "gpt2", corpus, out, gpt_args)
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel
    ids = ByteLevelBPETokenizer(os.path.join(out, "vocab.json"), os.path.join(out, "merges.txt")).encode(text).ids
    config = GPT2Config(vocab_size=512, n_positions=T, n_embd=128, n_layer=2, n_head=4, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
    gpt = GPT2LMHeadModel(config)
    theirs = [torch_train(gpt, ids, args.steps, B, T, 1e-3, lambda x: gpt(input_ids=x).logits)[0] for _ in range(args.runs)]
    rows.append(("gpt2 d128 x2 h4, BPE 512", statistics.median(ours), statistics.median(theirs), base))

    print(f"load: {os.getloadavg()}, steps {args.steps}, B={B} T={T}, runs {args.runs}, 2 threads")
    print("| model | lmzoo tokens/s | PyTorch tokens/s | lmzoo / PyTorch |" + (" baseline lmzoo tokens/s | lmzoo / baseline |" if args.baseline else ""))
    print("|---|---:|---:|---:|" + ("---:|---:|" if args.baseline else ""))
    for name, a, b, base in rows:
        extra = f" {statistics.median(base):,.0f} | {a / statistics.median(base):.2f}x |" if base else ""
        print(f"| {name} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |" + extra)


if __name__ == "__main__":
    main()
