#!/usr/bin/env python3
"""Make the safetensors fixtures with the reference library (pip: safetensors numpy).

    python Tests/Fixtures/make_safetensors_fixtures.py

Writes into Tests/Fixtures/safetensors/:
  python_mixed.safetensors   every dtype lmzoo supports (bf16 through TensorSpec), a 0-d and an
                             empty tensor, metadata {"format": "pt"}; written by safetensors.serialize_file
  python_mixed.json          the expected dtype, shape and hex bytes of every tensor
  sharded/                   a Hugging Face sharded checkpoint (index + 2 shards + config.json)
"""
import json
import os

import numpy as np
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
os.makedirs(os.path.join(HERE, "sharded"), exist_ok=True)
rng = np.random.default_rng(1234)

arrays = {
    "f32.matrix": rng.standard_normal((2, 3)).astype(np.float32),
    "f16.specials": np.array([0.0, -0.0, 1.0, 65504.0, 6e-8, np.inf, -np.inf, np.nan], dtype=np.float16),
    "f64.vector": np.array([np.pi, -1e300], dtype=np.float64),
    "i8.values": np.array([-128, 0, 127], dtype=np.int8),
    "u8.values": np.array([0, 255], dtype=np.uint8),
    "i16.values": np.array([-32768, 32767], dtype=np.int16),
    "u16.values": np.array([65535], dtype=np.uint16),
    "i32.values": np.array([[-(2**31), 2**31 - 1]], dtype=np.int32),
    "u32.values": np.array([2**32 - 1], dtype=np.uint32),
    "i64.values": np.array([-(2**63), 2**63 - 1], dtype=np.int64),
    "u64.values": np.array([2**64 - 1], dtype=np.uint64),
    "bool.mask": np.array([True, False, True]),
    "scalar": np.array(2.5, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
# bfloat16 has no NumPy dtype: hand the raw bit patterns to the reference serializer.
bf16_bits = np.array([0x3F80, 0xC049, 0x7F80, 0x0001, 0x7FC0], dtype=np.uint16)

specs = {
    name: TensorSpec(dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
    for name, a in arrays.items()
}
specs["bf16.values"] = TensorSpec(dtype="bfloat16", shape=[5], data_ptr=bf16_bits.ctypes.data, data_len=bf16_bits.nbytes)
serialize_file(specs, os.path.join(HERE, "python_mixed.safetensors"), metadata={"format": "pt"})

names = {"float32": "F32", "float16": "F16", "float64": "F64", "int8": "I8", "uint8": "U8", "int16": "I16",
         "uint16": "U16", "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64", "bool": "BOOL"}
expected = {name: {"dtype": names[a.dtype.name], "shape": list(a.shape), "hex": a.tobytes().hex()} for name, a in arrays.items()}
expected["bf16.values"] = {"dtype": "BF16", "shape": [5], "hex": bf16_bits.tobytes().hex()}
with open(os.path.join(HERE, "python_mixed.json"), "w") as f:
    json.dump({"metadata": {"format": "pt"}, "tensors": expected}, f, indent=1, sort_keys=True)

# A sharded checkpoint as transformers' save_pretrained(max_shard_size=...) lays it out.
shard_tensors = [
    {"wte.weight": rng.standard_normal((8, 4)).astype(np.float32), "h.0.attn.bias": rng.standard_normal(4).astype(np.float32)},
    {"h.0.mlp.weight": rng.standard_normal((4, 4)).astype(np.float16), "ln_f.weight": np.ones(4, dtype=np.float32)},
]
weight_map = {}
for i, tensors in enumerate(shard_tensors):
    shard = f"model-{i + 1:05d}-of-{len(shard_tensors):05d}.safetensors"
    save_file(tensors, os.path.join(HERE, "sharded", shard), metadata={"format": "pt"})
    weight_map.update({name: shard for name in tensors})
total = sum(a.nbytes for t in shard_tensors for a in t.values())
with open(os.path.join(HERE, "sharded", "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
with open(os.path.join(HERE, "sharded", "config.json"), "w") as f:
    json.dump({"model_type": "gpt2", "n_embd": 4, "vocab_size": 8}, f, indent=2)
expected_sharded = {name: {"dtype": names[a.dtype.name], "shape": list(a.shape), "hex": a.tobytes().hex()}
                    for t in shard_tensors for name, a in t.items()}
with open(os.path.join(HERE, "sharded.json"), "w") as f:
    json.dump({"tensors": expected_sharded}, f, indent=1, sort_keys=True)
print("wrote", HERE)
