#!/usr/bin/env python3
"""Writes a synthetic WAL segment whose long page header matches its name, for input tests.

usage: make_segment.py PATH NAME [--sysid N] [--magic 0xD110] [--size BYTES] [--pageaddr-delta N]
"""
import argparse
import os
import struct

p = argparse.ArgumentParser()
p.add_argument("path")
p.add_argument("name")
p.add_argument("--sysid", type=int, default=7300000000000000001)
p.add_argument("--magic", type=lambda v: int(v, 0), default=0xD110)
p.add_argument("--size", type=int, default=16 << 20)
p.add_argument("--header-size", type=int, default=None, help="segment size written in the header")
p.add_argument("--pageaddr-delta", type=int, default=0)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

seg_size = a.header_size or a.size
tli, log, seg = int(a.name[0:8], 16), int(a.name[8:16], 16), int(a.name[16:24], 16)
pageaddr = (log << 32) + seg * seg_size + a.pageaddr_delta
header = struct.pack("<HHIQIIQII", a.magic, 0x0002, tli, pageaddr, 0, 0, a.sysid, seg_size, 8192)
body = bytearray(a.size)
body[: len(header)] = header
# Some varying content so that compression has work to do and copies differ by seed.
for off in range(8192, a.size, 8192):
    body[off : off + 16] = struct.pack("<QQ", off, a.seed)
with open(a.path, "wb") as f:
    f.write(body)
os.chmod(a.path, 0o644)
