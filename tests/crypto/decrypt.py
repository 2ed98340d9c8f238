#!/usr/bin/env python3
"""An independent decryptor (and encryptor) for pgbak's encrypted files, written from
docs/format.md alone with python3-cryptography, to prove that document right.

  decrypt.py [--key KEYFILE]... [--identity ID] IN OUT   decrypt IN into OUT ('-': stdout)
  decrypt.py --encrypt --key KEYFILE [--identity ID] [--format-version 1|2] [--salt HEX]
             [--nonce-prefix HEX] [--chunk-shift N] IN OUT
  decrypt.py --key-id KEYFILE                 print the key id of a key file

ID is the identity a version 2 file is bound to, GENERATION/NAME (NAME relative to the
generation: base.tzst.enc, pg_wal/SEGMENT.zst.enc). Without --identity it is taken from the
path of the stored file (IN when decrypting, OUT when encrypting): its generation directory and
the name below it.

Exit status 1 with "authentication failed: ..." on stderr when a file does not verify; OUT is
then not written at all.
"""
import argparse
import hashlib
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PGBAKENC"
VERSION = 2  # what --encrypt writes by default; both 1 and 2 are read
HEADER_SIZE = 44
TAG_SIZE = 16


class AuthError(Exception):
    pass


def read_key(path):
    data = open(path, "rb").read()
    if len(data) == 32:
        return data
    if len(data) == 65 and data.endswith(b"\n"):
        data = data[:64]
    if len(data) == 64:
        return bytes.fromhex(data.decode("ascii"))
    raise SystemExit(f"{path}: not a key file")


def key_id(key):
    return hashlib.sha256(b"pgbak key id v1" + key).digest()[:8]


def file_key(key, salt, version):
    info = b"pgbak file key v%d" % version
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def identity_of(path):
    """GENERATION/NAME of a stored file's path: .../GEN/base.tzst.enc, .../GEN/pg_wal/X.zst.enc"""
    parts = os.path.realpath(path).split(os.sep)
    return "/".join(parts[-3:] if len(parts) >= 3 and parts[-2] == "pg_wal" else parts[-2:])


def aad(header, identity, index, final):
    bound = b""
    if header[8] == 2:
        name = identity.encode("utf-8")
        bound = len(name).to_bytes(4, "big") + name
    return header + bound + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def parse_header(header):
    if len(header) < HEADER_SIZE:
        raise AuthError("truncated header")
    if header[0:8] != MAGIC:
        raise AuthError("bad magic")
    if header[8] not in (1, 2):
        raise AuthError(f"unsupported version {header[8]}")
    shift = header[9]
    if not 12 <= shift <= 20 or header[10:12] != b"\0\0":
        raise AuthError("bad header")
    return shift, header[12:20], header[20:36], header[36:44]


def decrypt(blob, keys, identity):
    header = blob[:HEADER_SIZE]
    shift, kid, salt, prefix = parse_header(header)
    if kid not in keys:
        raise AuthError(f"no key with id {kid.hex()}")
    aes = AESGCM(file_key(keys[kid], salt, header[8]))
    body = blob[HEADER_SIZE:]
    whole = (1 << shift) + TAG_SIZE
    if len(body) < TAG_SIZE:
        raise AuthError("truncated")
    count = -(-len(body) // whole)  # ceil
    out = []
    for i in range(count):
        sealed = body[i * whole:(i + 1) * whole]
        final = i == count - 1
        if len(sealed) < TAG_SIZE:
            raise AuthError("truncated inside a chunk")
        if final and len(sealed) == TAG_SIZE and i > 0:
            raise AuthError("empty final chunk after other chunks")
        nonce = prefix + i.to_bytes(4, "big")
        try:
            out.append(aes.decrypt(nonce, sealed, aad(header, identity, i, final)))
        except InvalidTag:
            raise AuthError(f"chunk {i} does not verify") from None
    return b"".join(out)


def encrypt(data, key, salt, prefix, shift, identity, version):
    header = MAGIC + bytes([version, shift, 0, 0]) + key_id(key) + salt + prefix
    assert len(header) == HEADER_SIZE
    aes = AESGCM(file_key(key, salt, version))
    size = 1 << shift
    # Full chunks, then a final one of 1..size bytes (0 only when the data is empty).
    count = max(1, -(-len(data) // size))
    out = [header]
    for i in range(count):
        final = i == count - 1
        nonce = prefix + i.to_bytes(4, "big")
        out.append(aes.encrypt(nonce, data[i * size:(i + 1) * size], aad(header, identity, i, final)))
    return b"".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--key", action="append", default=[])
    p.add_argument("--key-id")
    p.add_argument("--encrypt", action="store_true")
    p.add_argument("--salt")
    p.add_argument("--nonce-prefix")
    p.add_argument("--chunk-shift", type=int, default=16)
    p.add_argument("--identity")
    p.add_argument("--format-version", type=int, choices=(1, 2), default=VERSION)
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    if a.key_id:
        print(key_id(read_key(a.key_id)).hex())
        return 0
    if len(a.files) != 2 or not a.key:
        p.error("need IN, OUT and --key")
    src, dst = a.files
    data = sys.stdin.buffer.read() if src == "-" else open(src, "rb").read()
    if a.encrypt:
        salt = bytes.fromhex(a.salt) if a.salt else os.urandom(16)
        prefix = bytes.fromhex(a.nonce_prefix) if a.nonce_prefix else os.urandom(8)
        identity = a.identity if a.identity is not None else identity_of(dst)
        result = encrypt(data, read_key(a.key[0]), salt, prefix, a.chunk_shift, identity,
                         a.format_version)
    else:
        keys = {key_id(k): k for k in map(read_key, a.key)}
        try:
            result = decrypt(data, keys, a.identity if a.identity is not None else identity_of(src))
        except AuthError as e:
            print(f"decrypt.py: {src}: authentication failed: {e}", file=sys.stderr)
            return 1
    if dst == "-":
        sys.stdout.buffer.write(result)
    else:
        with open(dst, "wb") as f:
            f.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
