#!/usr/bin/env python3
"""Make the GGUF fixtures with the reference writer, gguf-py (pip: gguf numpy).

    ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_gguf_fixtures.py

Writes into Tests/Fixtures/gguf/ (files written by gguf.GGUFWriter, llama.cpp's own Python writer):
  python_all_types.gguf   every GGUF value type (u8 i8 u16 i16 u32 i32 f32 bool string u64 i64 f64),
                          arrays of each, nested arrays, a 300-entry string array (a stand-in for a
                          vocabulary); tensors F32 F16 BF16 Q8_0 Q4_0 I8 I16 I32 I64 F64, 0-d to 4-d;
                          default alignment (32)
  python_all_types.json   the expected key/values in file order and every tensor's dtype, shape
                          (lmzoo order: outermost first) and hex bytes
  python_aligned.gguf     general.alignment = 64 and tensor sizes that are not multiples of it
  python_aligned.json     as above
  q8_source.json          F32 input (hex) and gguf.quants.quantize(Q8_0) output (hex) of a [4, 64]
                          tensor whose blocks include exact .5 ties, the llama.cpp rounding check

Malformed files (one per validation rule) are built by the Swift tests
(Tests/LMZooTestSupport/MalformedGGUF.swift).
"""
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gguf")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(4321)


def kv_json(value, vtype, sub_type=None):
    """The expected typed value: {"type", "value"} and for arrays {"element_type", "value": [...]}.
    Integers are written as decimal strings (u64 does not fit a JSON double)."""
    if vtype == V.ARRAY:
        if sub_type is None:
            sub_type = V.get_type(value[0])
        items = [kv_json(item, sub_type)["value"] if sub_type != V.ARRAY else kv_json(item, V.ARRAY)
                 for item in value]
        return {"type": "ARRAY", "element_type": sub_type.name, "value": items}
    if vtype in (V.UINT8, V.INT8, V.UINT16, V.INT16, V.UINT32, V.INT32, V.UINT64, V.INT64):
        return {"type": vtype.name, "value": str(int(value))}
    if vtype == V.FLOAT32:
        return {"type": vtype.name, "value": float(np.float32(value))}
    return {"type": vtype.name, "value": value}


TYPE_NAMES = {T.F32: "F32", T.F16: "F16", T.BF16: "BF16", T.Q8_0: "Q8_0", T.Q4_0: "Q4_0", T.I8: "I8",
              T.I16: "I16", T.I32: "I32", T.I64: "I64", T.F64: "F64"}


class Fixture:
    """A GGUFWriter that also records what a reader must find."""

    def __init__(self, name, arch, alignment=None):
        self.name = name
        self.writer = gguf.GGUFWriter(os.path.join(HERE, name + ".gguf"), arch)
        # GGUFWriter adds general.architecture first.
        self.kv = [{"key": "general.architecture", **kv_json(arch, V.STRING)}]
        self.tensors = {}
        if alignment is not None:
            self.writer.add_custom_alignment(alignment)
            self.kv.append({"key": "general.alignment", **kv_json(alignment, V.UINT32)})

    def add(self, key, value, vtype, sub_type=None):
        self.writer.add_key_value(key, value, vtype, sub_type=sub_type)
        self.kv.append({"key": key, **kv_json(value, vtype, sub_type)})

    def tensor(self, name, array, qtype=None, shape=None):
        """`array` as written; `shape` (outermost first) for quantized byte arrays."""
        if qtype is None:
            self.writer.add_tensor(name, array)
            qtype = {np.dtype(np.float32): T.F32, np.dtype(np.float16): T.F16, np.dtype(np.float64): T.F64,
                     np.dtype(np.int8): T.I8, np.dtype(np.int16): T.I16, np.dtype(np.int32): T.I32,
                     np.dtype(np.int64): T.I64}[array.dtype]
            shape = list(array.shape)
        else:
            self.writer.add_tensor(name, array, raw_dtype=qtype)
        self.tensors[name] = {"dtype": TYPE_NAMES[qtype], "shape": shape, "hex": array.tobytes().hex()}

    def finish(self):
        self.writer.write_header_to_file()
        self.writer.write_kv_data_to_file()
        self.writer.write_tensors_to_file()
        self.writer.close()
        with open(os.path.join(HERE, self.name + ".json"), "w") as f:
            json.dump({"kv": self.kv, "tensors": self.tensors}, f, indent=1)
            f.write("\n")


# --- every value type, every tensor type -------------------------------------------------------
f = Fixture("python_all_types", "lmzootest")
f.add("test.u8", 255, V.UINT8)
f.add("test.i8", -128, V.INT8)
f.add("test.u16", 65535, V.UINT16)
f.add("test.i16", -32768, V.INT16)
f.add("test.u32", 2**32 - 1, V.UINT32)
f.add("test.i32", -(2**31), V.INT32)
f.add("test.f32", 0.1, V.FLOAT32)
f.add("test.bool_true", True, V.BOOL)
f.add("test.bool_false", False, V.BOOL)
f.add("test.string", "héllo, \"GGUF\" ✓", V.STRING)
f.add("test.string_empty", "", V.STRING)
f.add("test.u64", 2**64 - 1, V.UINT64)
f.add("test.i64", -(2**63), V.INT64)
f.add("test.f64", -1e300, V.FLOAT64)
for sub, values in [(V.UINT8, [0, 1, 255]), (V.INT8, [-128, 127]), (V.UINT16, [65535]), (V.INT16, [-2, 2]),
                    (V.UINT32, [7, 2**32 - 1]), (V.INT32, [-5, 0, 5]), (V.FLOAT32, [1.5, -0.25, 3.0e38]),
                    (V.BOOL, [True, False, True]), (V.STRING, ["a", "", "ünï"]), (V.UINT64, [2**64 - 1, 0]),
                    (V.INT64, [-(2**63), 2**63 - 1]), (V.FLOAT64, [2.5, -1e-300])]:
    f.add("test.array." + sub.name.lower(), values, V.ARRAY, sub_type=sub)
f.add("test.array.nested_int", [[1, 2], [3], [4, 5, 6]], V.ARRAY)
f.add("test.array.nested_string", [["x", "y"], ["z"]], V.ARRAY)
f.add("test.array.nested_deep", [[[1.5], [2.5, 3.5]], [[True]]], V.ARRAY)
f.add("tokenizer.ggml.tokens", [f"tok{i}" for i in range(300)], V.ARRAY, sub_type=V.STRING)

f.tensor("f32.matrix", rng.standard_normal((3, 64)).astype(np.float32))
f.tensor("f32.bias", rng.standard_normal(5).astype(np.float32))
f.tensor("f32.scalar", np.array(2.5, dtype=np.float32))
f.tensor("f32.4d", rng.standard_normal((2, 1, 3, 2)).astype(np.float32))
f.tensor("f16.values", np.array([[0.0, -0.0, 1.0, 65504.0], [6e-8, np.inf, -np.inf, np.nan]], dtype=np.float16))
bf16_source = rng.standard_normal((2, 8)).astype(np.float32)
f.tensor("bf16.values", gguf.quants.quantize(bf16_source, T.BF16), T.BF16, [2, 8])
q8_source = rng.standard_normal((4, 64)).astype(np.float32)
f.tensor("q8_0.weight", gguf.quants.quantize(q8_source, T.Q8_0), T.Q8_0, [4, 64])
q4_source = rng.standard_normal((2, 64)).astype(np.float32)
f.tensor("q4_0.weight", gguf.quants.quantize(q4_source, T.Q4_0), T.Q4_0, [2, 64])
f.tensor("i8.values", np.array([-128, 0, 127], dtype=np.int8))
f.tensor("i16.values", np.array([[-32768], [32767]], dtype=np.int16))
f.tensor("i32.values", np.array([-(2**31), 2**31 - 1], dtype=np.int32))
f.tensor("i64.values", np.array([-(2**63), 2**63 - 1], dtype=np.int64))
f.tensor("f64.values", np.array([np.pi, -1e300], dtype=np.float64))
f.finish()

# --- a non-default alignment -------------------------------------------------------------------
a = Fixture("python_aligned", "lmzootest", alignment=64)
a.add("test.note", "aligned to 64", V.STRING)
a.tensor("odd.f16", rng.standard_normal((3, 5)).astype(np.float16))
a.tensor("odd.i8", np.arange(7, dtype=np.int8))
a.tensor("odd.f32", rng.standard_normal((2, 3)).astype(np.float32))
a.finish()

# --- Q8_0 reference rounding -------------------------------------------------------------------
# Block 0: max 127 (d = 1 exactly), values on .5 ties: llama.cpp's roundf rounds them away from zero.
source = rng.standard_normal((4, 64)).astype(np.float32)
source[0, :32] = np.array([127.0, -126.5, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5] + [float(i) + 0.5 for i in range(24)],
                          dtype=np.float32)
source[1, 32:] = 0.0  # an all-zero block: d = 0
with open(os.path.join(HERE, "q8_source.json"), "w") as out:
    json.dump({"shape": [4, 64], "f32_hex": source.tobytes().hex(),
               "q8_0_hex": gguf.quants.quantize(source, T.Q8_0).tobytes().hex()}, out, indent=1)
    out.write("\n")
