#!/usr/bin/env python3
"""Make the adversarial corpus: one small file per rule each lmzoo reader enforces, plus zip / gzip
bombs, zip-slip names, HDF5 external links and virtual datasets, huge declared sizes and deep nesting.

    python Tests/Fixtures/make_adversarial.py      (needs numpy and h5py; everything else is stdlib)

Writes Tests/Fixtures/adversarial/<format>/<rule>.<ext> and adversarial/expected.json, which maps each
file (relative to adversarial/) to a substring of the one-line error `lmzoo` must print for it
(LMZooCLITests/AdversarialCorpusTests runs the CLI on every entry). Files are built from scratch
or from the committed valid fixtures (torch/mixed.pt, ngram/malformed/valid.arpa, hf/gpt2-tiny).
Files under tokenizer/ and config/ are installed into a copy of hf/gpt2-tiny by the test
(as tokenizer.json, vocab.json, merges.txt, vocab.txt or config.json: the name before the rule says which).
"""
import gzip
import json
import os
import shutil
import struct
import zipfile
import zlib

import h5py
import numpy as np

FIXTURES = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(FIXTURES, "adversarial")
EXPECTED = {}


def put(relative, data, expect):
    """Writes `data` (bytes) to adversarial/`relative` and records the error substring."""
    path = os.path.join(ROOT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    if expect is not None:
        EXPECTED[relative] = expect


def path(relative):
    full = os.path.join(ROOT, relative)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


def nested_json(depth):
    return "[" * depth + "]" * depth


# ------------------------------------------------------------------ safetensors
def safetensors(header, data=b"", size=None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if size is None else size) + text + data


def t(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


F8 = b"\0" * 8
S = "safetensors/"
put(S + "header_too_small.safetensors", b"\x05\0\0\0", "header too small")
put(S + "header_too_large.safetensors", safetensors({"a": t()}, F8, size=1 << 40), "header too large")
put(S + "header_length_past_end.safetensors", safetensors({"a": t()}, F8, size=4096), "invalid header length")
put(S + "header_not_utf8.safetensors", safetensors(b'{"\xff": 1}'), "header not UTF-8")
put(S + "header_start.safetensors", safetensors(b' {"a": 1}'), "header start")
put(S + "header_json.safetensors", safetensors(b'{"a": '), "header JSON")
put(S + "duplicate_key.safetensors", safetensors(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
                                                 b'"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', F8),
    "duplicate key")
put(S + "header_structure.safetensors", safetensors({"a": 1}), "header structure")
put(S + "deep_nesting.safetensors", safetensors(('{"a": ' + nested_json(10000) + "}").encode()), "nesting deeper")
put(S + "unknown_dtype.safetensors", safetensors({"a": t("F7")}, F8), "unknown dtype")
put(S + "offsets_not_contiguous.safetensors", safetensors({"a": t(offsets=(8, 16))}, F8 * 2), "offsets contiguous from 0")
put(S + "shape_overflow.safetensors", safetensors({"a": t(shape=(1 << 62, 1 << 62), offsets=(0, 8))}, F8), "shape overflow")
put(S + "size_mismatch.safetensors", safetensors({"a": t(shape=(3,), offsets=(0, 8))}, F8), "shape x dtype size equals byte span")
put(S + "huge_declared_tensor.safetensors", safetensors({"a": t(shape=(1 << 40,), offsets=(0, 1 << 42))}, F8),
    "data inside the file")
put(S + "trailing_data.safetensors", safetensors({"a": t()}, F8 * 2), "nothing after the last tensor")
put(S + "bad_alias.safetensors", safetensors({"__metadata__": {"lmzoo.aliases": '{"b": "missing"}'}, "a": t()}, F8), "aliases")

# Sharded: the index files share one valid shard.
put("sharded/shard.safetensors", safetensors({"w": t()}, F8), None)
for rule, index, expect in [
    ("no_weight_map", {"metadata": {}}, "no 'weight_map'"),
    ("shard_name_parent", {"weight_map": {"w": "../shard.safetensors"}}, "not a plain relative name"),
    ("shard_name_absolute", {"weight_map": {"w": "/etc/passwd"}}, "not a plain relative name"),
    ("missing_shard", {"weight_map": {"w": "nowhere.safetensors"}}, "does not exist"),
    ("tensor_not_in_shard", {"weight_map": {"w": "shard.safetensors", "v": "shard.safetensors"}}, "is not in shard"),
    ("index_deep_nesting", None, "nesting deeper"),
]:
    text = json.dumps(index).encode() if index is not None else ('{"weight_map": ' + nested_json(10000) + "}").encode()
    put(f"sharded/{rule}.index.json", text, expect)


# ------------------------------------------------------------------ GGUF
def gstr(text):
    data = text if isinstance(text, bytes) else text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf(kvs=b"", kv_count=0, infos=b"", tensor_count=0, data=b"", version=3, magic=b"GGUF", align=32):
    head = magic + struct.pack("<IQQ", version, tensor_count, kv_count) + kvs + infos
    pad = (-len(head)) % align
    return head + b"\0" * pad + data


def kv(key, type_id, payload):
    return gstr(key) + struct.pack("<I", type_id) + payload


def info(name, dims, type_id=0, offset=0, n_dims=None):
    return gstr(name) + struct.pack("<I", len(dims) if n_dims is None else n_dims) + b"".join(
        struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", type_id, offset)


G = "gguf/"
U32 = 4
good_kv = kv("general.architecture", 8, gstr("gpt2"))
put(G + "header_too_small.gguf", b"GGUF\x03\0\0\0", "header too small")
put(G + "magic.gguf", gguf(magic=b"GGML"), "magic")
put(G + "big_endian.gguf", b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "little-endian")
put(G + "version_1.gguf", gguf(version=1), "version")
put(G + "counts_exceed_file.gguf", gguf(tensor_count=1000, kv_count=1 << 60), "counts fit in the file")
put(G + "huge_tensor_count.gguf", gguf(tensor_count=1 << 60), "counts fit in the file")
put(G + "value_past_end.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + good_kv + gstr("k") + struct.pack("<I", 10) + b"\0" * 3,
    "header inside the file")
put(G + "string_past_end.gguf", gguf(kvs=kv("k", 8, struct.pack("<Q", 1 << 40) + b"x"), kv_count=1), "string inside the file")
put(G + "key_not_utf8.gguf", gguf(kvs=kv(b"\xff\xfe", U32, struct.pack("<I", 1)), kv_count=1), "UTF-8")
put(G + "duplicate_key.gguf", gguf(kvs=good_kv + good_kv, kv_count=2), "duplicate key")
put(G + "value_type.gguf", gguf(kvs=kv("k", 99, b"\0" * 8), kv_count=1), "value type")
put(G + "array_past_end.gguf", gguf(kvs=kv("k", 9, struct.pack("<IQ", 4, 1 << 50)), kv_count=1), "array inside the file")
deep = struct.pack("<IQ", 9, 1) * 40 + struct.pack("<IQ", 0, 0)
put(G + "array_nesting.gguf", gguf(kvs=kv("k", 9, deep), kv_count=1), "array nesting")
put(G + "bool_value.gguf", gguf(kvs=kv("k", 7, b"\x02"), kv_count=1), "bool is 0 or 1")
put(G + "alignment_type.gguf", gguf(kvs=kv("general.alignment", 8, gstr("32")), kv_count=1), "alignment")
put(G + "alignment_not_power_of_two.gguf", gguf(kvs=kv("general.alignment", U32, struct.pack("<I", 24)), kv_count=1),
    "alignment")
put(G + "duplicate_tensor_name.gguf", gguf(infos=info("w", [8]) + info("w", [8], offset=32), tensor_count=2, data=b"\0" * 64),
    "duplicate tensor name")
put(G + "too_many_dims.gguf", gguf(infos=info("w", [1] * 5), tensor_count=1, data=b"\0" * 32), "n_dims <= 4")
put(G + "huge_dims.gguf", gguf(infos=info("w", [1 << 40, 1 << 40]), tensor_count=1, data=b"\0" * 32), "shape overflow")
put(G + "tensor_type.gguf", gguf(infos=info("w", [8], type_id=77), tensor_count=1, data=b"\0" * 32), "tensor type")
put(G + "row_not_whole_blocks.gguf", gguf(infos=info("w", [33], type_id=8), tensor_count=1, data=b"\0" * 64),
    "rows are whole blocks")
put(G + "misaligned_offset.gguf", gguf(infos=info("w", [2], offset=4), tensor_count=1, data=b"\0" * 32), "offset aligned")
put(G + "offset_past_data.gguf", gguf(infos=info("w", [2], offset=1 << 20), tensor_count=1, data=b"\0" * 32),
    "offset inside the data section")
put(G + "truncated_data.gguf", gguf(infos=info("w", [64]), tensor_count=1, data=b"\0" * 32), "data inside the file")
put(G + "huge_declared_tensor.gguf", gguf(infos=info("w", [1 << 20, 1 << 20]), tensor_count=1, data=b"\0" * 32),
    "data inside the file")
# a: 64 bytes at 0, b at 32: overlap.
put(G + "overlapping_tensors.gguf", gguf(infos=info("a", [16]) + info("b", [8], offset=32), tensor_count=2, data=b"\0" * 64),
    "no overlap")


# ------------------------------------------------------------------ NumPy
def npy(header, data=b"", version=(1, 0), magic=b"\x93NUMPY", length=None):
    text = header if isinstance(header, bytes) else header.encode("latin1")
    size_format = "<H" if version[0] == 1 else "<I"
    prefix = magic + bytes(version)
    total = len(prefix) + struct.calcsize(size_format) + len(text) + 1
    text = text + b" " * ((-total) % 64) + b"\n"
    return prefix + struct.pack(size_format, len(text) if length is None else length) + text + data


def hdr(descr="<f4", shape="(2,)", fortran="False"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr if descr.startswith("[") else repr(descr), fortran, shape)


N = "numpy/"
put(N + "too_small.npy", b"\x93NUMPY\x01", "file too small")
put(N + "magic.npy", npy(hdr(), F8, magic=b"\x93NUMPZ"), "magic string")
put(N + "version.npy", npy(hdr(), F8, version=(9, 0)), "format version")
put(N + "header_too_large.npy", npy(hdr(), F8, version=(2, 0), length=1 << 30), "header too large")
put(N + "header_past_end.npy", npy(hdr(), F8, length=60000), "header inside the file")
put(N + "header_not_utf8.npy", npy(b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\xff': 1}", F8, version=(3, 0)),
    "header not UTF-8")
put(N + "header_dict.npy", npy("{'descr': '<f4', 'fortran_order': False}", F8), "header dict")
put(N + "header_deep_nesting.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 200 + ")" * 200 + "}"),
    "header dict")
put(N + "object_dtype.npy", npy(hdr("|O"), F8), "object dtype")
put(N + "structured_dtype.npy", npy(hdr("[('a', '<f4')]"), F8), "structured dtype")
put(N + "string_dtype.npy", npy(hdr("|S4"), F8), "string dtype")
put(N + "complex_dtype.npy", npy(hdr("<c8", "(1,)"), F8), "complex dtype")
put(N + "unknown_dtype.npy", npy(hdr("<f3"), F8), "unknown dtype")
put(N + "shape_overflow.npy", npy(hdr(shape="(4611686018427387904, 4611686018427387904)"), F8), "shape overflow")
put(N + "huge_declared_shape.npy", npy(hdr(shape="(1099511627776,)"), F8), "truncated")
put(N + "truncated.npy", npy(hdr(shape="(4,)"), F8), "truncated")
put(N + "trailing_data.npy", npy(hdr(), F8 * 2), "trailing")
GOOD_NPY = npy(hdr(), F8)


# ------------------------------------------------------------------ zip (as .npz)
def zip_bytes(members, method=zipfile.ZIP_STORED):
    from io import BytesIO
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members:
            zinfo = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zinfo.compress_type = method
            z.writestr(zinfo, data)
    return bytearray(buffer.getvalue())


def central(data):
    return data.index(b"PK\x01\x02")


Z = "zip/"
put(Z + "no_end_of_directory.npz", b"PK\x03\x04" + b"\0" * 100, "no end-of-central-directory")
bad = zip_bytes([("a.npy", GOOD_NPY)])
end = bad.rindex(b"PK\x05\x06")
bad[end + 16:end + 20] = struct.pack("<I", 1 << 30)
put(Z + "directory_past_end.npz", bytes(bad), "outside the file")
bad = zip_bytes([("a.npy", GOOD_NPY)])
bad[central(bad):central(bad) + 4] = b"PK\x09\x09"
put(Z + "bad_central_signature.npz", bytes(bad), "bad signature")
bad = zip_bytes([("a.npy", GOOD_NPY)])
bad[0:4] = b"XX\x03\x04"
put(Z + "bad_local_signature.npz", bytes(bad), "bad signature")
# Zip64 end record declaring two million entries.
bad = zip_bytes([("a.npy", GOOD_NPY)])
end = bad.rindex(b"PK\x05\x06")
cd_offset, cd_size = struct.unpack("<II", bad[end + 12:end + 20])
zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 2_000_000, 2_000_000, cd_size, cd_offset)
locator = struct.pack("<IIQI", 0x07064B50, 0, end, 1)
eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
put(Z + "too_many_entries.npz", bytes(bad[:end]) + zip64_end + locator + eocd, "entries exceed the limit")
for rule, name in [("slip_parent", "../x.npy"), ("slip_nested_parent", "a/../../x.npy"), ("absolute_path", "/etc/x.npy"),
                   ("backslash_parent", "..\\x.npy"), ("drive_letter", "C:/x.npy")]:
    put(Z + rule + ".npz", bytes(zip_bytes([(name, GOOD_NPY)])), "is absolute or contains '..'")
put(Z + "duplicate_name.npz", bytes(zip_bytes([("a.npy", GOOD_NPY), ("b.npy", GOOD_NPY)])).replace(b"b.npy", b"a.npy"),
    "appears twice")
bad = zip_bytes([("a.npy", GOOD_NPY)])
bad[central(bad) + 8] |= 1
put(Z + "encrypted.npz", bytes(bad), "is encrypted")
bad = zip_bytes([("a.npy", GOOD_NPY)])
bad[central(bad) + 10:central(bad) + 12] = struct.pack("<H", 12)
put(Z + "unsupported_method.npz", bytes(bad), "compression method 12")
bad = zip_bytes([("a.npy", GOOD_NPY)])
bad[central(bad) + 24:central(bad) + 28] = struct.pack("<I", 0xFFFFFF)
put(Z + "implausible_size.npz", bytes(bad), "sizes that cannot be right")
bad = zip_bytes([("a.npy", GOOD_NPY + b"\1" * 4000)], zipfile.ZIP_DEFLATED)
data_start = 30 + len("a.npy")
bad[data_start + 2:data_start + 40] = b"\xff" * 38
put(Z + "corrupt_deflate.npz", bytes(bad), "a.npy")
# Bombs: one member of 64 MiB of zeros (~64 KiB deflated, a ratio of ~1000), and many members whose
# declared sizes add up past the total limit are covered by the unit tests (a file that small cannot).
bomb_array = npy(hdr("<f4", "(16777216,)"), b"\0" * (64 << 20))
put(Z + "bomb_ratio.npz", bytes(zip_bytes([("a.npy", bomb_array)], zipfile.ZIP_DEFLATED)), "compression ratio")
put(Z + "bad_member.npz", bytes(zip_bytes([("a.npy", b"not an npy file at all")])), "magic string")


# ------------------------------------------------------------------ PyTorch (zip + pickle)
def pickle_tensor(key=b"0", storage=b"FloatStorage", numel=2, size=b"K\x02\x85", stride=b"K\x01\x85", offset=b"K\x00",
                  pid=None):
    pid = pid if pid is not None else (b"(X\x07\0\0\0storage" + b"ctorch\n" + storage + b"\n" + b"X" + struct.pack("<I", len(key))
                                       + key + b"X\x03\0\0\0cpu" + b"K" + bytes([numel]) + b"tQ")
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + offset + size + stride + b"\x89"
            + b"ccollections\nOrderedDict\n)RtR")


def state_dict(*items):
    body = b"".join(b"X" + struct.pack("<I", len(name)) + name + value for name, value in items)
    return b"\x80\x02}(" + body + b"u."


def torch_zip(pickle, records=None, byteorder=b"little", version=b"3\n", prefix="archive", extra=()):
    records = records if records is not None else {"0": b"\0" * 8}
    members = [(f"{prefix}/data.pkl", pickle)]
    if byteorder is not None:
        members.append((f"{prefix}/byteorder", byteorder))
    members += [(f"{prefix}/data/{key}", data) for key, data in records.items()]
    members.append((f"{prefix}/version", version))
    members += list(extra)
    return bytes(zip_bytes(members))


T = "torch/"
VALID_PICKLE = state_dict((b"w", pickle_tensor()))
for rule, pkl, expect in [
    ("truncated_pickle", VALID_PICKLE[:-1], "pickle inside data.pkl"),
    ("unknown_opcode", b"\x80\x02\xfe.", "known opcodes"),
    ("protocol", b"\x80\x09}.", "protocol 2 to 5"),
    ("global_os_system", b"\x80\x02cos\nsystem\nX\x02\0\0\0idtR.", "allowed globals"),
    ("global_builtins_eval", b"\x80\x02cbuiltins\neval\nX\x01\0\0\01\x85R.", "allowed globals"),
    ("unsupported_torch_type", state_dict((b"w", pickle_tensor(storage=b"ComplexFloatStorage"))), "supported torch types"),
    ("stack_underflow", b"\x80\x02R.", "stack underflow"),
    ("missing_mark", b"\x80\x02K\x01t.", "MARK before pop-to-mark"),
    ("missing_memo", b"\x80\x02h\x05.", "memo defined before use"),
    ("mark_nesting", b"\x80\x02" + b"(" * 5000 + b".", "size limits"),
    ("global_name_length", b"\x80\x02c" + b"a" * 5000 + b"\nb\n.", "size limits"),
    ("string_not_utf8", b"\x80\x02X\x02\0\0\0\xff\xfe.", "strings are UTF-8"),
    ("integer_too_large", b"\x80\x02\x8a\x09" + b"\x01" * 9 + b".", "integers fit 64 bits"),
    ("operand_types", b"\x80\x02}K\x01a.", "operand types"),
    ("rebuild_arguments", state_dict((b"w", pickle_tensor(size=b"K\x02"))), "rebuild arguments"),
    ("persistent_id", state_dict((b"w", pickle_tensor(pid=b"X\x03\0\0\0fooQ"))), "persistent ids are storages"),
    ("not_a_state_dict", b"\x80\x02K\x01.", "root is a state dict"),
    ("storage_key", state_dict((b"w", pickle_tensor(key=b"a/b"))), "storage keys"),
    ("missing_record", state_dict((b"w", pickle_tensor(key=b"7"))), "storage records present"),
    ("storage_record_size", state_dict((b"w", pickle_tensor(numel=3, size=b"K\x03\x85"))), "storage record size"),
    ("storage_dtype_conflict", state_dict((b"w", pickle_tensor()), (b"v", pickle_tensor(storage=b"DoubleStorage", numel=1,
                                                                                      size=b"K\x01\x85"))),
     "one dtype per storage"),
    ("size_stride_mismatch", state_dict((b"w", pickle_tensor(stride=b"K\x01K\x01\x86"))), "rebuild arguments"),
    ("shape_overflow", state_dict((b"w", pickle_tensor(size=(b"\x8a\x06" + (1 << 40).to_bytes(6, "little")) * 2 + b"\x86",
                                                      stride=b"K\x01K\x01\x86"))), "tensor views"),
    ("view_outside_storage", state_dict((b"w", pickle_tensor(offset=b"K\x05"))), "views inside their storage"),
]:
    put(T + rule + ".pt", torch_zip(pkl), expect)
deep = b"".join(b"}X\x01\0\0\0a" for _ in range(100)) + pickle_tensor() + b"s" * 100
put(T + "dict_nesting.pt", torch_zip(b"\x80\x02" + deep + b"."), "size limits")
put(T + "legacy_format.pt", bytes([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + b"\0" * 64,
    "zip format")
put(T + "no_data_pkl.pt", bytes(zip_bytes([("archive/other", b"x")])), "data.pkl present")
put(T + "two_data_pkl.pt", bytes(zip_bytes([("a/data.pkl", VALID_PICKLE), ("b/data.pkl", VALID_PICKLE)])), "one data.pkl")
put(T + "torchscript.pt", torch_zip(VALID_PICKLE, extra=[("archive/constants.pkl", b"\x80\x02).")]), "not TorchScript")
put(T + "byteorder.pt", torch_zip(VALID_PICKLE, byteorder=b"middle"), "byteorder")
put(T + "version.pt", torch_zip(VALID_PICKLE, version=b"three\n"), "version")


# ------------------------------------------------------------------ HDF5 and .keras
H = "hdf5/"
small = np.arange(6, dtype="<f4")
put(H + "not_hdf5.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 200, "cannot open")
put(H + "external_target.h5", b"", None)
with h5py.File(path(H + "external_target.h5"), "w") as f:
    f.create_dataset("w", data=small)
with h5py.File(path(H + "external_link.h5"), "w") as f:
    f["remote"] = h5py.ExternalLink("external_target.h5", "/w")
EXPECTED[H + "external_link.h5"] = "external"
with h5py.File(path(H + "external_link_absolute.h5"), "w") as f:
    f["remote"] = h5py.ExternalLink("/etc/passwd", "/w")
EXPECTED[H + "external_link_absolute.h5"] = "external"
with h5py.File(path(H + "external_storage.h5"), "w") as f:
    f.create_dataset("w", shape=(6,), dtype="<f4", external=[("/dev/zero", 0, small.nbytes)])
EXPECTED[H + "external_storage.h5"] = "external"
with h5py.File(path(H + "virtual_dataset.h5"), "w") as f:
    f.create_dataset("source", data=small)
    layout = h5py.VirtualLayout(shape=(6,), dtype="<f4")
    layout[:] = h5py.VirtualSource("external_target.h5", "w", shape=(6,))
    f.create_virtual_dataset("v", layout)
EXPECTED[H + "virtual_dataset.h5"] = "virtual"
with h5py.File(path(H + "lzf_filter.h5"), "w") as f:
    f.create_dataset("w", data=small, chunks=(6,), compression="lzf")
EXPECTED[H + "lzf_filter.h5"] = "filter"
with h5py.File(path(H + "odd_float.h5"), "w") as f:
    odd = h5py.h5t.IEEE_F32LE.copy()
    odd.set_ebias(100)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    h5py.h5d.create(f.id, b"w", odd, h5py.h5s.create_simple((2,)), dcpl=dcpl)
EXPECTED[H + "odd_float.h5"] = "numeric types"
with h5py.File(path(H + "link_cycle.h5"), "w") as f:
    f.create_dataset("g/w", data=small)
    f["g/loop"] = f["g"]
EXPECTED[H + "link_cycle.h5"] = "cycle"
with h5py.File(path(H + "dangling_soft_link.h5"), "w") as f:
    f.create_dataset("w", data=small)
    f["broken"] = h5py.SoftLink("/nowhere")
EXPECTED[H + "dangling_soft_link.h5"] = "soft link"
with h5py.File(path(H + "huge_shape.h5"), "w") as f:
    f.create_dataset("w", shape=(2**40, 2**40), dtype="<f8", chunks=(1, 1))
EXPECTED[H + "huge_shape.h5"] = "shape overflow"
with h5py.File(path(H + "dataset_too_large.h5"), "w") as f:
    f.create_dataset("w", shape=(2**33,), dtype="<f8", chunks=(1024,))
EXPECTED[H + "dataset_too_large.h5"] = "dataset size limit"
with h5py.File(path(H + "compression_bomb.h5"), "w") as f:
    f.create_dataset("w", shape=(2**31,), dtype="<f4", chunks=(1 << 20,), compression="gzip")
    f["w"][0:1 << 20] = 0
EXPECTED[H + "compression_bomb.h5"] = "compression ratio"
with h5py.File(path(H + "data_outside_file.h5"), "w") as f:
    offset = f.create_dataset("w", data=np.arange(64, dtype=np.float32)).id.get_offset()
raw = bytearray(open(path(H + "data_outside_file.h5"), "rb").read())
needle = offset.to_bytes(8, "little") + (64 * 4).to_bytes(8, "little")
assert raw.count(needle) == 1
raw[raw.index(needle):raw.index(needle) + 8] = (1 << 40).to_bytes(8, "little")
put(H + "data_outside_file.h5", bytes(raw), "inside the file")


def legacy_keras(name, layer_names, weight_names, datasets):
    with h5py.File(path(H + name), "w") as f:
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = layer_names
        lg = g.create_group("dense")
        lg.attrs["weight_names"] = weight_names
        for dataset in datasets:
            lg.create_dataset(dataset, data=small)


legacy_keras("keras_missing_weight.h5", np.array([b"dense"]), np.array([b"dense/kernel:0", b"dense/bias:0"]), ["dense/kernel:0"])
EXPECTED[H + "keras_missing_weight.h5"] = "dense/bias:0"
legacy_keras("keras_bad_attribute.h5", np.array([1, 2], dtype=np.int32), np.array([b"dense/kernel:0"]), ["dense/kernel:0"])
EXPECTED[H + "keras_bad_attribute.h5"] = "layer_names"

K = "keras/"
weights = open(path(H + "external_target.h5"), "rb").read()
put(K + "no_weights.keras", bytes(zip_bytes([("config.json", b"{}"), ("metadata.json", b"{}")])), "model.weights.h5")
put(K + "no_config.keras", bytes(zip_bytes([("model.weights.h5", weights), ("metadata.json", b"{}")])), "config.json")
put(K + "config_not_json.keras", bytes(zip_bytes([("config.json", b"{"), ("model.weights.h5", weights)])), "not valid JSON")
put(K + "config_deep_nesting.keras", bytes(zip_bytes([("config.json", nested_json(10000).encode()), ("model.weights.h5", weights)])),
    "nesting deeper")
put(K + "slip.keras", bytes(zip_bytes([("config.json", b"{}"), ("../model.weights.h5", weights)])), "is absolute or contains '..'")


# ------------------------------------------------------------------ ARPA (+ .arpa.gz)
A = "arpa/"
valid = open(os.path.join(FIXTURES, "ngram", "malformed", "valid.arpa"), "rb").read()


def arpa(old, new):
    assert old in valid, old
    return valid.replace(old, new, 1)


for rule, data, expect in [
    ("no_data", b"hello\n", "no \\data\\"),
    ("count_line", arpa(b"ngram 2=2", b"ngram two"), "ngram N=COUNT"),
    ("order_gap", arpa(b"ngram 2=2", b"ngram 3=2"), "where order 2 was expected"),
    ("no_counts", b"\\data\\\n\n\\end\\\n", "declares no n-gram counts"),
    ("order_too_high", b"\\data\\\n" + b"".join(b"ngram %d=1\n" % n for n in range(1, 20)), "above the supported maximum"),
    ("count_huge", arpa(b"ngram 2=2", b"ngram 2=99999999999999999999"), "bad n-gram count"),
    ("missing_section", arpa(b"\\2-grams:", b"\\3-grams:"), "2-grams"),
    ("too_few", arpa(b"-0.4\ta </s>\n", b""), "declares 2"),
    ("too_many", arpa(b"-0.4\ta </s>\n", b"-0.4\ta </s>\n-0.3\ta a\n"), "more entries than"),
    ("field_count", arpa(b"-0.4\ta </s>", b"-0.4\ta"), "field(s)"),
    ("bad_number", arpa(b"-0.4\ta </s>", b"nan\ta </s>"), "finite number"),
    ("backoff_on_highest", arpa(b"-0.4\ta </s>", b"-0.4\ta </s>\t-0.1"), "highest order cannot have a backoff"),
    ("unknown_word", arpa(b"-0.4\ta </s>", b"-0.4\ta zzz"), "zzz"),
    ("duplicate", arpa(b"-0.4\ta </s>", b"-0.2\t<s> a"), "duplicate n-gram"),
    ("no_end", valid.replace(b"\\end\\", b""), "\\end\\"),
    ("stray_line_at_end", valid.replace(b"\\end\\", b"\\fin\\"), "fin"),
]:
    put(A + rule + ".arpa", data, expect)
put(A + "corrupt.arpa.gz", gzip.compress(valid, mtime=0)[:-12] + b"\xff" * 12, "gzip")
put(A + "not_gzip_data.arpa.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 64, "gzip")
compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
bomb = compressor.compress(valid[:-6]) + compressor.compress(b"\n" * (64 << 20)) + compressor.flush()
put(A + "bomb_ratio.arpa.gz", bomb, "compression ratio")


# ------------------------------------------------------------------ tokenizer files and config.json
TK = "tokenizer/"
tiny = os.path.join(FIXTURES, "hf", "gpt2-tiny")
tokenizer = json.load(open(os.path.join(tiny, "tokenizer.json")))


def variant(change):
    copy = json.loads(json.dumps(tokenizer))
    change(copy)
    return json.dumps(copy).encode()


def dup_id(t):
    vocab = t["model"]["vocab"]
    first, second = list(vocab)[:2]
    vocab[second] = vocab[first]


def gap(t):
    vocab = t["model"]["vocab"]
    vocab[list(vocab)[-1]] = 10**6


put(TK + "tokenizer.json.model_type", variant(lambda t: t["model"].update(type="Unigram")), "model.type")
put(TK + "tokenizer.json.no_vocab", variant(lambda t: t["model"].pop("vocab")), "model.vocab")
put(TK + "tokenizer.json.duplicate_id", variant(dup_id), "used twice")
put(TK + "tokenizer.json.ids_not_contiguous", variant(gap), "not contiguous")
put(TK + "tokenizer.json.negative_id", variant(lambda t: t["model"]["vocab"].update({"zz": -1})), "non-negative")
put(TK + "tokenizer.json.bad_merge", variant(lambda t: t["model"].update(merges=[1])), "merge")
put(TK + "tokenizer.json.added_token", variant(lambda t: t.update(added_tokens=[{"id": 1}])), "added token")
put(TK + "tokenizer.json.not_json", b'{"model": ', "tokenizer.json")
put(TK + "tokenizer.json.deep_nesting", ('{"model": ' + nested_json(10000) + "}").encode(), "nesting deeper")
put(TK + "vocab.json.not_object", b"[1, 2]", "not a {token: id} object")
put(TK + "vocab.json.duplicate_key", b'{"a": 0, "a": 1}', "duplicate")
put(TK + "merges.txt.not_utf8", b"#version: 0.2\n\xff \xfe\n", "not UTF-8")
put(TK + "vocab.txt.not_utf8", b"[PAD]\n\xff\n", "not UTF-8")

C = "config/"
put(C + "config.json.not_json", b'{"model_type": "gpt2", ', "config.json")
put(C + "config.json.not_object", b"[1]", "not an object")
put(C + "config.json.deep_nesting", ('{"a": ' + nested_json(10000) + "}").encode(), "nesting deeper")
put(C + "config.json.duplicate_key", b'{"model_type": "gpt2", "model_type": "bert"}', "duplicate")

with open(os.path.join(ROOT, "expected.json"), "w") as out:
    json.dump(dict(sorted(EXPECTED.items())), out, indent=1)
    out.write("\n")
total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
print(f"wrote {len(EXPECTED)} adversarial files ({total} bytes) under {ROOT}")
