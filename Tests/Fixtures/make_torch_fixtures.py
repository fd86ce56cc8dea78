#!/usr/bin/env python3
"""Make the PyTorch checkpoint fixtures with torch itself, and verify lmzoo's writer against torch.load.

    swift build --scratch-path .build-torch --product lmzoo      # the golden files need the CLI
    ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_torch_fixtures.py [path/to/lmzoo]

torch is far too heavy for CI, so the outputs are committed and the Swift tests run without Python.
Writes into Tests/Fixtures/torch/:
  tiny_gpt2.bin       a GPT-2-shaped nn.Module's state_dict() (torch.save): lm_head.weight and
                      transformer.wte.weight share one storage; the OrderedDict carries _metadata (BUILD)
  mixed.pt            f32/f16/bf16/f64/i64/i32/i16/i8/u8/bool and uint16 (_rebuild_tensor_v3 +
                      UntypedStorage) tensors, a 0-d and an empty tensor, a transposed view, a slice
                      with a storage offset, a column slice and an expanded (stride 0) view
  nested.pt           {"state_dict": {...}, "layers": [t, t], "epoch": 3, ...} (dotted names, metadata)
  proto4.pt           mixed-like tensors saved with pickle_protocol=4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
  bigendian.pt        mixed-like tensors re-packed as a big-endian machine would save them
                      (byteorder = "big", every record byte-swapped)
  malicious.pt        a zip laid out like torch's whose data.pkl calls os.system (posix.system)
                      via __reduce__; lmzoo must refuse it and never run it
  legacy.pt           torch.save(..., _use_new_zipfile_serialization=False): the pre-1.6 raw pickle
  *.json              expected tensors {"metadata", "tensors": {name: {dtype, shape, hex}}, "aliases"}
  golden_gpt2.bin     `lmzoo convert tiny_gpt2.bin golden_gpt2.bin`, accepted by torch.load(weights_only=True)
  golden_mixed.pt     `lmzoo convert mixed.pt golden_mixed.pt`, likewise; the Swift tests check that
                      lmzoo's writer still produces both byte for byte (torch's acceptance, without torch)

Manual check of any file lmzoo writes:
    python -c "import torch; print(torch.load('out.bin', weights_only=True))"
"""
import collections
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LMZOO = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build-torch", "debug", "lmzoo")
os.makedirs(HERE, exist_ok=True)
torch.manual_seed(1234)

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64",
          torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
          torch.uint16: "U16", torch.uint32: "U32", torch.uint64: "U64"}


def c_bytes(t):
    """The tensor's values as C-contiguous little-endian bytes."""
    return bytes(t.detach().contiguous().reshape(-1).view(torch.uint8).tolist())


def flatten(obj, prefix=""):
    """Dotted names as lmzoo flattens nested dicts and lists; scalar leaves become text metadata."""
    tensors, metadata = {}, {}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, torch.Tensor):
            tensors[name] = value
        elif isinstance(value, (dict, list, tuple)):
            t, m = flatten(value, name)
            tensors.update(t)
            metadata.update(m)
        elif isinstance(value, bool):
            metadata[name] = "True" if value else "False"
        elif value is None or isinstance(value, (int, float, str)):
            metadata[name] = "None" if value is None else str(value)
    return tensors, metadata


def write_expected(name, obj):
    tensors, metadata = flatten(obj)
    aliases, seen = [], {}
    for tname, t in tensors.items():
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype)
        if t.numel() > 0 and key in seen:
            aliases.append([tname, seen[key]])
        seen.setdefault(key, tname)
    expected = {"metadata": metadata, "aliases": aliases,
                "tensors": {n: {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "hex": c_bytes(t).hex()} for n, t in tensors.items()}}
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(expected, f, indent=1)


# --- tiny GPT-2: names and tying as transformers' GPT2LMHeadModel ---------------------------------
class Block(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(d)
        self.attn = torch.nn.Module()
        self.attn.c_attn = torch.nn.Linear(d, 3 * d)
        self.attn.c_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d)
        self.mlp = torch.nn.Module()
        self.mlp.c_fc = torch.nn.Linear(d, 4 * d)
        self.mlp.c_proj = torch.nn.Linear(4 * d, d)


class TinyGPT2(torch.nn.Module):
    def __init__(self, vocab=32, positions=8, d=8):
        super().__init__()
        self.transformer = torch.nn.Module()
        self.transformer.wte = torch.nn.Embedding(vocab, d)
        self.transformer.wpe = torch.nn.Embedding(positions, d)
        self.transformer.h = torch.nn.ModuleList([Block(d)])
        self.transformer.ln_f = torch.nn.LayerNorm(d)
        self.lm_head = torch.nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as GPT-2 does


gpt2 = TinyGPT2().state_dict()
assert gpt2["lm_head.weight"].untyped_storage().data_ptr() == gpt2["transformer.wte.weight"].untyped_storage().data_ptr()
torch.save(gpt2, os.path.join(HERE, "tiny_gpt2.bin"))
write_expected("tiny_gpt2.json", gpt2)

# --- every dtype and view kind ----------------------------------------------------------------------
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 4
row = torch.arange(10, dtype=torch.float32)
mixed = collections.OrderedDict([
    ("f32", torch.randn(2, 3)),
    ("f16", torch.tensor([0.0, -0.0, 1.0, 65504.0, 6e-8, float("inf"), float("-inf"), float("nan")], dtype=torch.float16)),
    ("bf16", torch.tensor([1.0, -3.140625, float("inf"), 1e-38, float("nan")], dtype=torch.bfloat16)),
    ("f64", torch.tensor([3.141592653589793, -1e300], dtype=torch.float64)),
    ("i64", torch.tensor([-(2**63), 2**63 - 1, 7], dtype=torch.int64)),
    ("i32", torch.tensor([[-(2**31), 2**31 - 1]], dtype=torch.int32)),
    ("i16", torch.tensor([-32768, 32767], dtype=torch.int16)),
    ("i8", torch.tensor([-128, 0, 127], dtype=torch.int8)),
    ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
    ("bool", torch.tensor([True, False, True])),
    ("u16", torch.tensor([0, 1, 65535], dtype=torch.uint16)),
    ("scalar", torch.tensor(2.5)),
    ("empty", torch.zeros(0, 4)),
    ("transposed", base.t()),                 # stride (1, 6)
    ("slice", row[3:7]),                      # storage offset 3
    ("column", base[:, 2]),                   # stride (6,), offset 2
    ("expanded", torch.arange(3.0).expand(2, 3)),  # stride (0, 1)
])
assert not mixed["transposed"].is_contiguous() and mixed["slice"].storage_offset() == 3
torch.save(mixed, os.path.join(HERE, "mixed.pt"))
write_expected("mixed.json", mixed)

# --- nesting and non-tensor leaves --------------------------------------------------------------------
shared = torch.randn(3)
nested = {"state_dict": {"encoder": {"weight": torch.randn(2, 2), "bias": shared}, "head": shared},
          "layers": [torch.ones(2, dtype=torch.float16), torch.zeros(1, dtype=torch.int64)],
          "epoch": 3, "lr": 0.5, "name": "tiny", "best": True, "note": None}
torch.save(nested, os.path.join(HERE, "nested.pt"))
write_expected("nested.json", nested)

# --- pickle protocol 4 --------------------------------------------------------------------------------
proto4 = collections.OrderedDict([("w", torch.randn(3, 2)), ("h", torch.randn(2).half()), ("t", torch.randn(2, 3).t()),
                                  ("ids", torch.tensor([5, 6], dtype=torch.int64))])
torch.save(proto4, os.path.join(HERE, "proto4.pt"), pickle_protocol=4)
with zipfile.ZipFile(os.path.join(HERE, "proto4.pt")) as z:
    pkl = z.read("proto4/data.pkl")
    assert pkl[:2] == b"\x80\x04" and b"\x95" in pkl[:3] and b"\x93" in pkl and b"\x94" in pkl
write_expected("proto4.json", proto4)

# --- big-endian: what torch.save writes on a big-endian machine ---------------------------------------
little = collections.OrderedDict([("f32", torch.randn(2, 3)), ("f16", torch.randn(4).half()), ("i64", torch.arange(3)),
                                  ("u8", torch.tensor([1, 2, 3], dtype=torch.uint8)), ("transposed", torch.randn(2, 3).t())])
buffer = io.BytesIO()
torch.save(little, buffer)
sizes = {"f32": 4, "f16": 2, "i64": 8, "u8": 1, "transposed": 4}
with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(os.path.join(HERE, "bigendian.pt"), "w") as target:
    keys = [n for n in little]  # storage keys are assigned in order of first appearance
    for info in source.infolist():
        data = source.read(info)
        if info.filename.endswith("/byteorder"):
            data = b"big"
        elif "/data/" in info.filename and not info.filename.endswith("serialization_id"):
            size = sizes[keys[int(info.filename.rsplit("/", 1)[1])]]
            data = b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))
        target.writestr(info.filename, data)
reloaded = torch.load(os.path.join(HERE, "bigendian.pt"), weights_only=True)
assert all(torch.equal(reloaded[n], little[n]) for n in little), "torch does not byte-swap it back"
write_expected("bigendian.json", little)


# --- malicious: __reduce__ -> os.system, inside a zip laid out like torch's ----------------------------
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/lmzoo-pwned",))


with zipfile.ZipFile(os.path.join(HERE, "malicious.pt"), "w") as z:
    z.writestr("malicious/data.pkl", pickle.dumps({"weight": Evil()}, protocol=2))
    z.writestr("malicious/byteorder", "little")
    z.writestr("malicious/version", "3\n")
with zipfile.ZipFile(os.path.join(HERE, "malicious.pt")) as z:
    assert b"posix\nsystem" in z.read("malicious/data.pkl") or b"os\nsystem" in z.read("malicious/data.pkl")
try:
    torch.load(os.path.join(HERE, "malicious.pt"), weights_only=True)
    raise SystemExit("torch.load(weights_only=True) accepted the malicious file")
except pickle.UnpicklingError:
    pass

# --- legacy (pre-1.6) format ------------------------------------------------------------------------
torch.save({"w": torch.ones(2)}, os.path.join(HERE, "legacy.pt"), _use_new_zipfile_serialization=False)

# --- golden files written by lmzoo, checked by torch ----------------------------------------------------
for source, golden, reference in [("tiny_gpt2.bin", "golden_gpt2.bin", gpt2), ("mixed.pt", "golden_mixed.pt", mixed)]:
    out = os.path.join(HERE, golden)
    subprocess.run([LMZOO, "convert", os.path.join(HERE, source), out, "--force"], check=True)
    loaded = torch.load(out, weights_only=True)
    assert isinstance(loaded, collections.OrderedDict) and list(loaded) == list(reference), list(loaded)
    for name, value in reference.items():
        got = loaded[name]
        assert got.dtype == value.dtype and got.shape == value.shape and got.is_contiguous(), name
        assert c_bytes(got) == c_bytes(value), name
    mapped = torch.load(out, weights_only=True, mmap=True)
    assert all(c_bytes(mapped[n]) == c_bytes(reference[n]) for n in reference)
    # data.pkl is what torch.save writes for the same state dict, opcode for opcode.
    again = io.BytesIO()
    torch.save(loaded, again)
    with zipfile.ZipFile(again) as theirs, zipfile.ZipFile(out) as ours:
        assert theirs.read("archive/data.pkl") == ours.read("archive/data.pkl"), f"{golden}: data.pkl differs from torch.save's"
    print(f"{golden}: torch.load(weights_only=True) reads it back identically; data.pkl equals torch.save's")
g = torch.load(os.path.join(HERE, "golden_gpt2.bin"), weights_only=True)
assert g["lm_head.weight"].untyped_storage().data_ptr() == g["transformer.wte.weight"].untyped_storage().data_ptr()
print("golden_gpt2.bin: lm_head.weight and transformer.wte.weight share one storage")
print("total fixture bytes:", sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE)))
