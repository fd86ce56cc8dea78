#!/usr/bin/env python3
"""Interop check run by the Swift tests: NumPy's `np.load` must read a `.npz` or `.npy` file that
lmzoo wrote and find exactly the expected arrays.

    python check_numpy_interop.py FILE EXPECTED.json

EXPECTED.json: {"tensors": {name: {"dtype", "shape", "hex"}}} (dtype spelled as safetensors
does, hex = C-order little-endian bytes). For a .npy file it holds one entry. Exits 0 when
everything matches, else prints the first difference and exits 1.
"""
import json
import sys

import numpy as np

NAMES = {"float16": "F16", "float32": "F32", "float64": "F64", "int8": "I8", "uint8": "U8", "int16": "I16",
         "uint16": "U16", "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64", "bool": "BOOL"}

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)["tensors"]

if path.endswith(".npy"):
    arrays = {next(iter(expected)): np.load(path, allow_pickle=False)}
else:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}

if sorted(arrays) != sorted(expected):
    sys.exit(f"array names differ: {sorted(arrays)} != {sorted(expected)}")
for name, array in arrays.items():
    want = expected[name]
    if NAMES.get(array.dtype.name) != want["dtype"] or array.dtype.byteorder not in "=<|":
        sys.exit(f"{name}: dtype {array.dtype.str} != {want['dtype']}")
    if list(array.shape) != want["shape"]:
        sys.exit(f"{name}: shape {list(array.shape)} != {want['shape']}")
    if not array.flags.c_contiguous:
        sys.exit(f"{name}: not C order")
    if array.tobytes().hex() != want["hex"]:
        sys.exit(f"{name}: bytes differ")
print("ok", len(arrays), "arrays")
