#!/usr/bin/env python3
"""Make the NumPy fixtures with NumPy itself (pip: numpy).

    python Tests/Fixtures/make_numpy_fixtures.py

Writes into Tests/Fixtures/numpy/ (np.save / np.savez / np.savez_compressed / np.lib.format):
  <code>.npy              one array per numeric dtype numpy writes: f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1
  scalar.npy, empty.npy   a 0-d f4 array and a (0, 4) f4 array
  aligned_header.npy      an empty array whose header needs NumPy's full-64-byte padding case
  fortran.npy             a (3, 4) f8 array in Fortran order; fortran3d.npy a (2, 3, 4) i2 one
  big_endian.npy          a (2, 3) >i4 array; big_endian_fortran.npy a (3, 2) >f8 array in Fortran order
  version2.npy/version3.npy  the same f4 array with format version 2.0 / 3.0 headers
  savez.npz               np.savez of several arrays (stored members), names with dots and a slash
  savez_compressed.npz    the same arrays through np.savez_compressed (deflated members)
  with_text_member.npz    savez.npz plus a 'README.txt' member (readers ignore non-.npy members)
  object.npy              an object array (np.save(..., allow_pickle=True): a pickle, never read)
  structured.npy, complex.npy, unicode.npy, bytes.npy   dtypes lmzoo refuses
  truncated.npy           f4.npy cut short by 4 bytes
  expected.json           {"tensors": {file name: {"dtype", "shape", "hex"}}} for every readable .npy
  npz.json                {"tensors": {name: {"dtype", "shape", "hex"}}} for both .npz files
"hex" is the C-order, little-endian bytes of the array, as lmzoo must hand them out.
"""
import json
import os
import zipfile

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(4321)

SAFETENSORS_NAMES = {"float16": "F16", "float32": "F32", "float64": "F64", "int8": "I8", "uint8": "U8",
                     "int16": "I16", "uint16": "U16", "int32": "I32", "uint32": "U32", "int64": "I64",
                     "uint64": "U64", "bool": "BOOL"}


def expected_entry(array):
    """dtype, shape and C-order little-endian bytes of `array`."""
    little = array.astype(array.dtype.newbyteorder("<"), order="C")
    return {"dtype": SAFETENSORS_NAMES[array.dtype.name], "shape": list(array.shape), "hex": little.tobytes().hex()}


def integers(dtype, shape):
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    values.flat[0] = info.min
    values.flat[-1] = info.max
    return values


arrays = {
    "f2.npy": np.array([0.0, -0.0, 1.0, 65504.0, 6e-8, np.inf, -np.inf, np.nan], dtype=np.float16),
    "f4.npy": rng.standard_normal((2, 3)).astype(np.float32),
    "f8.npy": np.array([[np.pi, -1e300], [5e-324, np.inf]], dtype=np.float64),
    "i1.npy": integers(np.int8, (5,)),
    "u1.npy": integers(np.uint8, (2, 2)),
    "i2.npy": integers(np.int16, (3,)),
    "u2.npy": integers(np.uint16, (1, 3)),
    "i4.npy": integers(np.int32, (2, 2)),
    "u4.npy": integers(np.uint32, (3,)),
    "i8.npy": integers(np.int64, (2,)),
    "u8.npy": integers(np.uint64, (2, 1)),
    "b1.npy": np.array([[True, False, True], [False, False, True]]),
    "scalar.npy": np.array(2.5, dtype=np.float32),
    "empty.npy": np.zeros((0, 4), dtype=np.float32),
    "fortran.npy": np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4) / 8),
    "fortran3d.npy": np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 12),
    "big_endian.npy": np.array([[1, -2, 3], [2**31 - 1, -(2**31), 0x01020304]], dtype=">i4"),
    "big_endian_fortran.npy": np.asfortranarray(np.array([[1.5, -2.25], [3e10, -0.0], [np.inf, 1e-310]], dtype=">f8")),
    # magic + length + dict + growth spaces + newline is a multiple of 64: NumPy then pads a full 64 spaces
    "aligned_header.npy": np.zeros((0,) * 13 + (100,), dtype=np.float32),
}
assert arrays["fortran.npy"].flags.f_contiguous and not arrays["fortran.npy"].flags.c_contiguous
for name, array in arrays.items():
    np.save(os.path.join(HERE, name), array)

for version in [(2, 0), (3, 0)]:
    name = f"version{version[0]}.npy"
    arrays[name] = arrays["f4.npy"]
    with open(os.path.join(HERE, name), "wb") as f:
        np.lib.format.write_array(f, arrays[name], version=version)

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"tensors": {name: expected_entry(a) for name, a in arrays.items()}}, f, indent=1, sort_keys=True)

npz_arrays = {
    "wte.weight": rng.standard_normal((4, 3)).astype(np.float32),
    "h.0.ln.bias": rng.standard_normal(3).astype(np.float16),
    "model/step": np.array(1000, dtype=np.int64),
    "mask": np.array([True, False]),
    "empty": np.zeros((0,), dtype=np.uint8),
    "fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
}
np.savez(os.path.join(HERE, "savez.npz"), **npz_arrays)
np.savez_compressed(os.path.join(HERE, "savez_compressed.npz"), **npz_arrays)
with open(os.path.join(HERE, "npz.json"), "w") as f:
    json.dump({"tensors": {name: expected_entry(a) for name, a in npz_arrays.items()}}, f, indent=1, sort_keys=True)

with zipfile.ZipFile(os.path.join(HERE, "savez.npz")) as source, \
        zipfile.ZipFile(os.path.join(HERE, "with_text_member.npz"), "w") as target:
    for info in source.infolist():
        target.writestr(info, source.read(info))
    target.writestr(zipfile.ZipInfo("README.txt", date_time=(2024, 1, 1, 0, 0, 0)), b"not an array")

np.save(os.path.join(HERE, "object.npy"), np.array([1, "two", None], dtype=object), allow_pickle=True)
np.save(os.path.join(HERE, "structured.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i8")]))
np.save(os.path.join(HERE, "complex.npy"), np.array([1 + 2j], dtype=np.complex64))
np.save(os.path.join(HERE, "unicode.npy"), np.array(["abc"]))
np.save(os.path.join(HERE, "bytes.npy"), np.array([b"abc"]))

with open(os.path.join(HERE, "f4.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(HERE, "truncated.npy"), "wb") as f:
    f.write(whole[:-4])
print("wrote", HERE)
