#!/usr/bin/env python3
"""Make the HDF5 and Keras fixtures with h5py and Keras 3 (pip: h5py numpy keras torch).

    KERAS_BACKEND=torch python Tests/Fixtures/make_hdf5_fixtures.py [path/to/lmzoo]

Writes into Tests/Fixtures/hdf5/:
  generic.h5 / generic.json   nested groups, every numeric dtype, 0-d and empty datasets, a chunked
                              gzip+shuffle+fletcher32 dataset, big-endian datasets, a compact one,
                              bfloat16 as Keras 3 stores it (2-byte opaque + dtype="bfloat16") and as
                              uint16 + dtype="bfloat16", a hard and a soft link, a string dataset
                              (skipped by lmzoo), string attributes on the root and on groups
  model.keras / model.weights.h5 / keras.json
                              Keras 3: Embedding(50, 8) -> LSTM(16, return_sequences=True) -> Dense(50)
  legacy.h5 / legacy.json     legacy Keras 2 layout (model_weights, layer_names, weight_names), by h5py
  refusals: external_link.h5 (+ external_target.h5), external_storage.h5 (+ external_storage.bin),
            virtual.h5, lzf.h5 (unsupported filter), odd_float.h5, cycle.h5, dangling.h5, huge.h5
            (shape overflows), bad_offset.h5 (contiguous data address past the end of the file),
            legacy_missing.h5 (weight_names lists a weight that is not there)
  lmzoo_written.keras         model.keras converted by lmzoo (`lmzoo convert model.keras out.keras`,
                              when the lmzoo binary is given or found in .build-hdf5/debug); the
                              script loads it with keras.saving.load_model and records in keras.json
                              whether Keras accepted it and its largest output difference.
"""
import json
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import h5py
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hdf5")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(5)

NAMES = {"float32": "F32", "float16": "F16", "float64": "F64", "int8": "I8", "uint8": "U8", "int16": "I16",
         "uint16": "U16", "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64", "bool": "BOOL"}


def entry(a, dtype=None):
    little = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
    return {"dtype": dtype or NAMES[little.dtype.name], "shape": list(a.shape), "hex": np.ascontiguousarray(little).tobytes().hex()}


def path(name):
    return os.path.join(HERE, name)


# ---------------------------------------------------------------- generic.h5
tensors = {}
with h5py.File(path("generic.h5"), "w") as f:
    f.attrs["format"] = "lmzoo-fixture"
    f.attrs["note"] = "ünïcode"
    f.attrs["version"] = 3  # numeric attributes are not kept
    model = f.create_group("model")
    model.attrs["layer_list"] = np.array([b"encoder", b"decoder"])
    encoder = model.create_group("encoder")
    encoder.attrs["name"] = "encoder"
    arrays = {
        "model/encoder/layer0/weight": rng.standard_normal((3, 4)).astype(np.float32),
        "model/encoder/layer0/bias": np.array([0.5, -1.0, 65504.0, np.inf], dtype=np.float16),
        "model/decoder/w": np.array([[np.pi, -1e300], [0.0, -0.0]], dtype=np.float64),
        "ints/i8": np.array([-128, 0, 127], dtype=np.int8),
        "ints/u8": np.array([0, 255], dtype=np.uint8),
        "ints/i16": np.array([-32768, 32767], dtype=np.int16),
        "ints/u16": np.array([65535, 1], dtype=np.uint16),
        "ints/i32": np.array([[-(2**31), 2**31 - 1]], dtype=np.int32),
        "ints/u32": np.array([2**32 - 1], dtype=np.uint32),
        "ints/i64": np.array([-(2**63), 2**63 - 1], dtype=np.int64),
        "ints/u64": np.array([2**64 - 1], dtype=np.uint64),
        "flags": np.array([True, False, True, True, False]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "empty_i64": np.zeros((2, 0, 3), dtype=np.int64),
        "big_endian/i32": np.array([1, -2, 70000], dtype=">i4"),
        "big_endian/f64": np.array([1.5, -2.25], dtype=">f8"),
        "big_endian/f16": np.array([1.0, -0.5], dtype=">f2"),
    }
    for name, a in arrays.items():
        f.create_dataset(name, data=a)
        tensors[name.replace("/", ".")] = entry(a)
    gz = (np.arange(24 * 16, dtype=np.float32).reshape(24, 16) % 7) * 0.25
    f.create_dataset("compressed/gzip", data=gz, chunks=(8, 8), compression="gzip", shuffle=True, fletcher32=True)
    tensors["compressed.gzip"] = entry(gz)
    # A compact dataset (data inside the object header).
    compact = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((3,))
    h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl).write(h5py.h5s.ALL, h5py.h5s.ALL, compact)
    tensors["compact"] = entry(compact)
    # bfloat16 the way Keras 3 saves it (h5py stores ml_dtypes.bfloat16 as 2-byte opaque) and as uint16.
    bf16_bits = np.array([0x3F80, 0xC049, 0x7F80, 0x0001], dtype=np.uint16)
    keras_bf16 = f.create_dataset("bf16/keras", data=bf16_bits.view("V2"))
    keras_bf16.attrs["dtype"] = "bfloat16"
    u16_bf16 = f.create_dataset("bf16/uint16", data=bf16_bits)
    u16_bf16.attrs["dtype"] = "bfloat16"
    tensors["bf16.keras"] = entry(bf16_bits, "BF16")
    tensors["bf16.uint16"] = entry(bf16_bits, "BF16")
    # Links inside the file: both names read as the same tensor.
    f["links/hard"] = f["model/decoder/w"]
    f["links/soft"] = h5py.SoftLink("/scalar")
    tensors["links.hard"] = tensors["model.decoder.w"]
    tensors["links.soft"] = tensors["scalar"]
    f.create_dataset("text", data=np.array([b"not", b"numbers"]))
metadata = {"format": "lmzoo-fixture", "note": "ünïcode", "/model@layer_list": '["encoder","decoder"]',
            "/model/encoder@name": "encoder", "hdf5.skipped": '{"/text":"string"}'}
with open(path("generic.json"), "w") as out:
    json.dump({"metadata": metadata, "tensors": tensors}, out, indent=1, sort_keys=True, ensure_ascii=False)

# ---------------------------------------------------------------- legacy Keras 2 layout
legacy_weights = {
    "embedding": {"embedding/embeddings:0": rng.standard_normal((10, 4)).astype(np.float32)},
    "lstm": {"lstm/lstm_cell/kernel:0": rng.standard_normal((4, 12)).astype(np.float32),
             "lstm/lstm_cell/recurrent_kernel:0": rng.standard_normal((3, 12)).astype(np.float32),
             "lstm/lstm_cell/bias:0": rng.standard_normal(12).astype(np.float32)},
    "dense": {"dense/kernel:0": rng.standard_normal((3, 10)).astype(np.float32),
              "dense/bias:0": rng.standard_normal(10).astype(np.float32)},
}


def write_legacy(filename, weights, extra_weight=None):
    with h5py.File(path(filename), "w") as f:
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"name": "sequential"}}).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"input_1"] + [name.encode() for name in weights])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.13.1"
        g.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
        for layer, values in weights.items():
            lg = g.create_group(layer)
            names = list(values) + ([extra_weight] if extra_weight and layer == "dense" else [])
            lg.attrs["weight_names"] = np.array([n.encode() for n in names])
            for name, a in values.items():
                lg.create_dataset(name, data=a)
        f.create_group("optimizer_weights").create_dataset("iterations", data=np.array(7, dtype=np.int64))


write_legacy("legacy.h5", legacy_weights)
write_legacy("legacy_missing.h5", legacy_weights, extra_weight="dense/missing:0")
legacy_expected = {}
for layer, values in legacy_weights.items():
    for name, a in values.items():
        legacy_expected[name.split(":")[0].replace("/", ".")] = entry(a)
with open(path("legacy.json"), "w") as out:
    json.dump({"metadata": {"keras.format": "legacy-h5", "keras.keras_version": "2.13.1", "keras.backend": "tensorflow",
                            "keras.layer_names": '["input_1","embedding","lstm","dense"]'},
               "tensors": legacy_expected}, out, indent=1, sort_keys=True)

# ---------------------------------------------------------------- files lmzoo refuses
small = np.arange(6, dtype=np.float32)
with h5py.File(path("external_target.h5"), "w") as f:
    f.create_dataset("w", data=small)
with h5py.File(path("external_link.h5"), "w") as f:
    f.create_dataset("local", data=small)
    f["remote"] = h5py.ExternalLink("external_target.h5", "/w")
with open(path("external_storage.bin"), "wb") as raw:
    raw.write(small.tobytes())
with h5py.File(path("external_storage.h5"), "w") as f:
    f.create_dataset("w", shape=(6,), dtype="<f4", external=[("external_storage.bin", 0, small.nbytes)])
with h5py.File(path("virtual.h5"), "w") as f:
    f.create_dataset("source", data=small)
    layout = h5py.VirtualLayout(shape=(6,), dtype="<f4")
    layout[:] = h5py.VirtualSource(".", "source", shape=(6,))
    f.create_virtual_dataset("v", layout)
with h5py.File(path("lzf.h5"), "w") as f:
    f.create_dataset("w", data=small, chunks=(6,), compression="lzf")
with h5py.File(path("odd_float.h5"), "w") as f:
    odd = h5py.h5t.IEEE_F32LE.copy()
    odd.set_ebias(100)
    h5py.h5d.create(f.id, b"w", odd, h5py.h5s.create_simple((2,)))
with h5py.File(path("cycle.h5"), "w") as f:
    f.create_dataset("g/w", data=small)
    f["g/loop"] = f["g"]
with h5py.File(path("dangling.h5"), "w") as f:
    f.create_dataset("w", data=small)
    f["broken"] = h5py.SoftLink("/nowhere")
with h5py.File(path("huge.h5"), "w") as f:
    f.create_dataset("w", shape=(2**40, 2**40), dtype="<f8", chunks=(1, 1))
with h5py.File(path("bad_offset.h5"), "w") as f:
    d = f.create_dataset("w", data=np.arange(64, dtype=np.float32))
    offset = d.id.get_offset()
data = bytearray(open(path("bad_offset.h5"), "rb").read())
# The contiguous layout message holds the data address followed by the data size.
needle = offset.to_bytes(8, "little") + (64 * 4).to_bytes(8, "little")
assert data.count(needle) == 1, "the dataset's layout message should appear once"
position = data.index(needle)
data[position:position + 8] = (1 << 40).to_bytes(8, "little")
open(path("bad_offset.h5"), "wb").write(bytes(data))

# ---------------------------------------------------------------- Keras 3
import keras  # noqa: E402

keras.utils.set_random_seed(7)
model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(50, 8),
                          keras.layers.LSTM(16, return_sequences=True), keras.layers.Dense(50)])
model.save(path("model.keras"))
model.save_weights(path("model.weights.h5"))
keras_tensors = {}
for layer in model.layers:
    owner = layer.cell if isinstance(layer, keras.layers.LSTM) else layer
    prefix = f"layers.{layer.name}.cell.vars" if owner is not layer else f"layers.{layer.name}.vars"
    for i, v in enumerate(owner.weights):
        keras_tensors[f"{prefix}.{i}"] = entry(np.asarray(keras.ops.convert_to_numpy(v)))
ids = np.array([[1, 5, 9, 3, 49]], dtype=np.int32)
reference = np.asarray(keras.ops.convert_to_numpy(model(ids)))
acceptance = {"checked": False}
lmzoo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build-hdf5", "debug", "lmzoo")
if os.path.exists(lmzoo):
    written = path("lmzoo_written.keras")
    if os.path.exists(written):
        os.remove(written)
    subprocess.run([lmzoo, "convert", path("model.keras"), written, "--force"], check=True)
    try:
        loaded = keras.saving.load_model(written)
        difference = float(np.max(np.abs(np.asarray(keras.ops.convert_to_numpy(loaded(ids))) - reference)))
        acceptance = {"checked": True, "loads": True, "max_abs_difference": difference}
    except Exception as error:  # record the failure, the Swift test reports it
        acceptance = {"checked": True, "loads": False, "error": str(error)}
else:
    print("lmzoo binary not found; lmzoo_written.keras not regenerated:", lmzoo)
with open(path("keras.json"), "w") as out:
    json.dump({"tensors": keras_tensors, "layers": {l.name: type(l).__name__ for l in model.layers},
               "keras_version": keras.__version__, "lmzoo_written_keras": acceptance}, out, indent=1, sort_keys=True)
print("wrote", HERE, "keras acceptance:", acceptance)
