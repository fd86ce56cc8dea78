#!/usr/bin/env python3
"""Make the zip fixtures with Python's zipfile (standard library only).

    python Tests/Fixtures/make_zip_fixtures.py

Writes into Tests/Fixtures/zip/:
  deflated.zip   two deflated members and one stored member, as np.savez_compressed / zipfile write them
  slip.zip       a member named '../evil.txt' (zip-slip)
  absolute.zip   a member named '/etc/evil.txt'
"""
import os
import zipfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zip")
os.makedirs(HERE, exist_ok=True)


def fixed(name):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    return info


with zipfile.ZipFile(os.path.join(HERE, "deflated.zip"), "w") as z:
    for name, text, method in [("a.txt", b"hello " * 200, zipfile.ZIP_DEFLATED),
                               ("dir/b.bin", bytes(range(256)) * 4, zipfile.ZIP_DEFLATED),
                               ("stored.txt", b"stored bytes", zipfile.ZIP_STORED)]:
        info = fixed(name)
        info.compress_type = method
        z.writestr(info, text)

for file, member in [("slip.zip", "../evil.txt"), ("absolute.zip", "/etc/evil.txt")]:
    with zipfile.ZipFile(os.path.join(HERE, file), "w") as z:
        z.writestr(fixed(member), b"evil")
print("wrote", HERE)
