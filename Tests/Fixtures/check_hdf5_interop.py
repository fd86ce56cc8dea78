#!/usr/bin/env python3
"""Checks with h5py that an HDF5 file lmzoo wrote holds the expected datasets (pip: h5py numpy).

    python Tests/Fixtures/check_hdf5_interop.py OUT.h5 EXPECTED.json

EXPECTED.json: {"metadata": {key: value}, "tensors": {"a.b.c": {"dtype", "shape", "hex"}}}; tensor
`a.b.c` must be the dataset `a/b/c` with that shape, an h5py dtype matching lmzoo's dtype (BF16:
2-byte opaque with the attribute dtype="bfloat16", as Keras 3 writes it) and those little-endian
bytes; every metadata entry must be a string attribute of the root. Exit status 0 when all match.
"""
import json
import sys

import h5py
import numpy as np

NUMPY = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "|i1", "U8": "|u1", "I16": "<i2", "U16": "<u2",
         "I32": "<i4", "U32": "<u4", "I64": "<i8", "U64": "<u8", "BOOL": "|b1"}

out, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))
problems = []
with h5py.File(out, "r") as f:
    for key, value in expected.get("metadata", {}).items():
        got = f.attrs.get(key)
        if got != value:
            problems.append(f"attribute {key}: {got!r} != {value!r}")
    seen = set()
    f.visititems(lambda name, obj: seen.add(name) if isinstance(obj, h5py.Dataset) else None)
    for name, want in expected["tensors"].items():
        path = name.replace(".", "/")
        seen.discard(path)
        if path not in f:
            problems.append(f"{path}: missing")
            continue
        d = f[path]
        if list(d.shape) != want["shape"]:
            problems.append(f"{path}: shape {d.shape} != {want['shape']}")
        if want["dtype"] == "BF16":
            ok = d.dtype.kind == "V" and d.dtype.itemsize == 2 and d.attrs.get("dtype") == "bfloat16"
            data = np.asarray(d[()]).view("<u2") if d.size else np.zeros(0, "<u2")
        else:
            ok = np.dtype(d.dtype) == np.dtype(NUMPY[want["dtype"]])
            data = np.asarray(d[()])
        if not ok:
            problems.append(f"{path}: dtype {d.dtype} does not match {want['dtype']}")
        if np.ascontiguousarray(data).tobytes().hex() != want["hex"]:
            problems.append(f"{path}: bytes differ")
    if seen:
        problems.append(f"unexpected datasets: {sorted(seen)}")
print("\n".join(problems) or "ok")
sys.exit(1 if problems else 0)
