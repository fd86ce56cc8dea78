#!/usr/bin/env python3
"""Interop check run by the Swift tests: gguf-py's GGUFReader must read a GGUF file that lmzoo
wrote and find exactly the expected key/values and tensors.

    python check_gguf_interop.py FILE EXPECTED.json

EXPECTED.json is shaped as make_gguf_fixtures.py writes it:
  {"kv": [{"key", "type", "value"} | {"key", "type": "ARRAY", "element_type", "value": [...]}],
   "tensors": {name: {"dtype", "shape" (outermost first), "hex"}}}
Integers are decimal strings. Nested arrays are compared the way GGUFReader exposes them: the
type chain of the first element and the flattened contents. Exits 0 when everything matches,
else prints the first difference and exits 1.
"""
import json
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    expected = json.load(f)

reader = GGUFReader(path)


def type_chain(value):
    """[ARRAY, ARRAY, ..., leaf type] following first elements, as ReaderField.types records it."""
    chain = [value["type"]]
    while chain[-1] == "ARRAY":
        chain.append(value["element_type"])
        if value["element_type"] != "ARRAY":
            break
        if not value["value"]:
            break
        value = value["value"][0]
    return chain


def flatten(value):
    if value["type"] != "ARRAY":
        return [value["value"]]
    if value["element_type"] == "ARRAY":
        return [x for inner in value["value"] for x in flatten(inner)]
    return list(value["value"])


def normalise(x):
    if isinstance(x, str):
        try:
            return int(x)
        except ValueError:
            return x
    return x


fields = [(k, v) for k, v in reader.fields.items() if not k.startswith("GGUF.")]
if [k for k, _ in fields] != [kv["key"] for kv in expected["kv"]]:
    sys.exit(f"keys differ: {[k for k, _ in fields]} != {[kv['key'] for kv in expected['kv']]}")
for (key, field), want in zip(fields, expected["kv"]):
    types = [t.name for t in field.types]
    if types != type_chain(want):
        sys.exit(f"{key}: types {types} != {type_chain(want)}")
    got = field.contents()
    got = got if isinstance(got, list) else [got]
    wanted = [normalise(x) for x in flatten(want)] if want["type"] != "STRING" else [want["value"]]
    if want["type"] == "ARRAY" and want["element_type"] == "STRING":
        wanted = list(want["value"])
    if len(got) != len(wanted) or any(g != w and not (isinstance(g, float) and np.float32(g) == np.float32(w))
                                       for g, w in zip(got, wanted)):
        sys.exit(f"{key}: {got[:10]} != {wanted[:10]}")

names = [t.name for t in reader.tensors]
if names != list(expected["tensors"]):
    sys.exit(f"tensor names differ: {names} != {list(expected['tensors'])}")
for tensor in reader.tensors:
    want = expected["tensors"][tensor.name]
    if tensor.tensor_type.name != want["dtype"]:
        sys.exit(f"{tensor.name}: type {tensor.tensor_type.name} != {want['dtype']}")
    shape = [int(d) for d in reversed(tensor.shape.tolist())]
    if shape != want["shape"]:
        sys.exit(f"{tensor.name}: shape {shape} != {want['shape']}")
    if tensor.data_offset % reader.alignment != 0:
        sys.exit(f"{tensor.name}: data offset {tensor.data_offset} not aligned to {reader.alignment}")
    if np.asarray(tensor.data).tobytes().hex() != want["hex"]:
        sys.exit(f"{tensor.name}: bytes differ")
print("ok", len(fields), "key/values", len(names), "tensors")
