#!/usr/bin/env python3
"""Writes seed tar files for the tar reader's fuzz target into DIR (fuzz/run.sh): the formats
and entry kinds pg_basebackup and other writers produce, and hostile ones."""
import io
import os
import sys
import tarfile


def tar(fmt, members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=None, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o600
    info.uid, info.gid = 1000, 1000
    info.linkname = link
    if data is not None:
        info.size = len(data)
    return info, data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        "basebackup": (tarfile.GNU_FORMAT, [
            entry("backup_label", data=b"START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"),
            entry("base", tarfile.DIRTYPE), entry("base/1", tarfile.DIRTYPE),
            entry("base/1/1259", data=b"x" * 700),
            entry("pg_tblspc/16385", tarfile.SYMTYPE, link="/srv/ts"),
            entry("global/pg_control", data=bytes(range(256)))]),
        "gnu_long": (tarfile.GNU_FORMAT, [entry("d/" + "a" * 150, data=b"long"),
                                          entry("l", tarfile.SYMTYPE, link="t" * 120)]),
        "pax_long": (tarfile.PAX_FORMAT, [entry("p/" + "b" * 200, data=b"pax"),
                                          entry("q", tarfile.SYMTYPE, link="u" * 130)]),
        "ustar_prefix": (tarfile.USTAR_FORMAT, [entry("c" * 90 + "/" + "d" * 60, data=b"pre")]),
        "hostile": (tarfile.GNU_FORMAT, [
            entry("../escape", data=b"x"), entry("/abs", data=b"y"),
            entry("link", tarfile.SYMTYPE, link=".."), entry("link/through", data=b"z"),
            entry("hard", tarfile.LNKTYPE, link="/etc/passwd"),
            entry("fifo", tarfile.FIFOTYPE), entry("chr", tarfile.CHRTYPE)]),
    }
    for name, (fmt, members) in seeds.items():
        with open(os.path.join(out, "seed_" + name + ".tar"), "wb") as f:
            f.write(tar(fmt, members))


if __name__ == "__main__":
    main()
