#!/usr/bin/env python3
"""pgbak benchmark driver (called by bench/run; python3 stdlib only).

Runs, one process per WAL segment as PostgreSQL does, alternating on the same segment (the
order rotates from segment to segment, the segment is read into the page cache first, as it is
when PostgreSQL has just written it):
  pgbak       `pgbak -D DIR archive-wal SEG`
  pgbackrest  `pgbackrest --stanza=bench archive-push SEG` (compress-type=zst, default level)
  floor       `sh -c 'zstd -q -3 -c SEG > OUT && sync OUT'`
Every tool writes into its own fresh directory per pass. Wall time is measured around
posix_spawn + wait4; CPU time (user+sys) and peak RSS come from the child's rusage.
Ratios are computed segment by segment (same segment, same pass) and summarised by their median.
"""
import argparse
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(BENCH, "cache")
STANZA = "bench"


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def run_measured(argv, env=None, stdout=None):
    """Spawn argv, wait for it; return (rc, wall_s, cpu_s, maxrss_kib)."""
    fa = []
    if stdout is not None:
        fa.append((os.POSIX_SPAWN_DUP2, stdout, 1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    fa.append((os.POSIX_SPAWN_DUP2, devnull, 0))
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, env if env is not None else os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    os.close(devnull)
    return os.waitstatus_to_exitcode(status), t1 - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.endswith(".zst") or f == "out":
                total += os.path.getsize(os.path.join(root, f))
    return total


def kill_syncs(pgbak_bin, under):
    """End background `pgbak sync` processes this benchmark started for backup dirs under `under`."""
    exe = os.path.realpath(pgbak_bin)
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.path.realpath(f"/proc/{p}/exe") != exe:
                continue
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read()
            if under.encode() in cmd:
                os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass


class Pgbak:
    def __init__(self, binary, work, extra=(), name="pgbak"):
        self.bin, self.work, self.extra, self.name = binary, work, list(extra), name

    def fresh(self, tag):
        self.dir = os.path.join(self.work, f"{self.name}-{tag}")
        subprocess.run([self.bin, "-D", self.dir, "init"], check=True, stdout=subprocess.DEVNULL)
        script = os.path.join(self.dir, "scripts", "backup")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n# benchmark: upload nothing\nexit 0\n")
        os.chmod(script, 0o700)
        # The background sync must not go looking for a real server during the benchmark.
        with open(os.path.join(self.dir, "pgbak.conf"), "a") as f:
            f.write("conninfo = host=/nonexistent port=1\n")

    def argv(self, seg):
        return [self.bin, "-D", self.dir, *self.extra, "archive-wal", seg]

    def stored(self, seg):
        p = os.path.join(self.dir, "current", "pg_wal", os.path.basename(seg) + ".zst")
        return os.path.getsize(p)

    def done(self):
        kill_syncs(self.bin, self.dir)


class PgBackRest:
    name = "pgbackrest"

    def __init__(self, work):
        self.work = work

    def fresh(self, tag):
        d = os.path.join(self.work, f"pgbr-{tag}")
        os.makedirs(d)
        self.repo = os.path.join(d, "repo")
        shutil.copytree(os.path.join(CACHE, "pgbackrest-stanza"), self.repo, symlinks=True)
        for sub in ("lock", "log", "spool"):
            os.makedirs(os.path.join(d, sub))
        self.conf = os.path.join(d, "pgbackrest.conf")
        with open(self.conf, "w") as f:
            f.write(
                "[global]\n"
                f"repo1-path={self.repo}\n"
                "compress-type=zst\n"
                "archive-async=n\n"
                "log-level-console=warn\n"
                "log-level-stderr=warn\n"
                "log-level-file=off\n"
                f"lock-path={d}/lock\n"
                f"log-path={d}/log\n"
                f"spool-path={d}/spool\n"
                f"\n[{STANZA}]\n"
                f"pg1-path={os.path.join(CACHE, 'pgdata')}\n"
            )

    def argv(self, seg):
        return ["pgbackrest", f"--config={self.conf}", f"--stanza={STANZA}", "archive-push", seg]

    def stored(self, seg):
        name = os.path.basename(seg)
        for root, _, files in os.walk(os.path.join(self.repo, "archive")):
            for f in files:
                if f.startswith(name + "-"):
                    return os.path.getsize(os.path.join(root, f))
        raise RuntimeError(f"pgbackrest: {name} not found in the repo")

    def done(self):
        pass


class Floor:
    name = "floor"

    def __init__(self, work):
        self.work = work

    def fresh(self, tag):
        self.dir = os.path.join(self.work, f"floor-{tag}")
        os.makedirs(self.dir)

    def out(self, seg):
        return os.path.join(self.dir, os.path.basename(seg) + ".zst")

    def argv(self, seg):
        return ["sh", "-c", 'zstd -q -3 -c "$1" > "$2" && sync "$2"', "floor", seg, self.out(seg)]

    def stored(self, seg):
        return os.path.getsize(self.out(seg))

    def done(self):
        pass


def bench_archive(tools, segs, tag, results):
    """One pass: every tool archives every segment, alternating, into fresh directories."""
    for t in tools:
        t.fresh(tag)
    for i, seg in enumerate(segs):
        warm(seg)
        order = tools[i % len(tools):] + tools[: i % len(tools)]
        for t in order:
            rc, wall, cpu, rss = run_measured(t.argv(seg), env=getattr(t, "env", None))
            if rc != 0:
                raise RuntimeError(f"{t.name} failed (exit {rc}) on {seg}: {' '.join(t.argv(seg))}")
            results.setdefault(t.name, []).append(
                {"seg": seg, "tag": tag, "wall": wall, "cpu": cpu, "rss": rss, "bytes": t.stored(seg)}
            )
    for t in tools:
        t.done()


def summarise(results, ref, others, insize):
    rows = []
    by_key = {name: {(r["tag"], r["seg"]): r for r in rs} for name, rs in results.items()}
    for name, rs in results.items():
        walls = [r["wall"] * 1000 for r in rs]
        row = {
            "tool": name,
            "n": len(rs),
            "median": statistics.median(walls),
            "p95": pct(walls, 95),
            "cpu": statistics.median(r["cpu"] * 1000 for r in rs),
            "rss_med": statistics.median(r["rss"] for r in rs) / 1024,
            "rss_max": max(r["rss"] for r in rs) / 1024,
            "bytes": sum(r["bytes"] for r in rs) / len(rs),
            "ratio_size": sum(r["bytes"] for r in rs) / insize,
        }
        rows.append(row)
    ratios = {}
    for other in others:
        if other not in by_key:
            continue
        pairs = [
            r["wall"] / by_key[other][k]["wall"]
            for k, r in by_key[ref].items()
            if k in by_key[other]
        ]
        ratios[other] = (statistics.median(pairs), pct(pairs, 95), len(pairs))
    return rows, ratios


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fs = subprocess.run(["df", "--output=fstype,source", BENCH], capture_output=True, text=True).stdout.split("\n")[1].split()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return (
        f"- nproc: {os.cpu_count()} ({cpu}), {mem:.1f} GiB RAM, load average at start {load[0]:.2f}\n"
        f"- kernel: {platform.release()}\n"
        f"- disk: {fs[0]} on {fs[1]} (work directory {os.path.join(BENCH, 'work')})\n"
    )


def tool_versions(pgbak_bin):
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return (
        f"- {out([pgbak_bin, '--version'])} ({pgbak_bin}, git {out(['git', '-C', BENCH, 'rev-parse', '--short', 'HEAD'])})\n"
        f"- {out(['pgbackrest', 'version'])}\n"
        f"- {out(['zstd', '--version'])}\n"
    )


def available(pgbak_bin, cmd):
    return subprocess.run([pgbak_bin, "help", cmd], capture_output=True).returncode == 0


def bench_restore(pgbak, pgbr, segs, tag, work):
    """restore-wal per segment against pgbackrest archive-get, alternating."""
    dest = os.path.join(work, f"restore-{tag}")
    os.makedirs(dest)
    res = {}
    for i, seg in enumerate(segs):
        name = os.path.basename(seg)
        cmds = [
            ("pgbak restore-wal", [pgbak.bin, "-D", pgbak.dir, "restore-wal", name, os.path.join(dest, "a-" + name)]),
            ("pgbackrest archive-get", ["pgbackrest", f"--config={pgbr.conf}", f"--stanza={STANZA}", "archive-get", name, os.path.join(dest, "b-" + name)]),
        ]
        if i % 2:
            cmds.reverse()
        for label, argv in cmds:
            rc, wall, cpu, rss = run_measured(argv)
            if rc != 0:
                raise RuntimeError(f"{label} failed (exit {rc}) on {name}")
            res.setdefault(label, []).append({"seg": seg, "tag": tag, "wall": wall, "cpu": cpu, "rss": rss, "bytes": 0})
        for p in ("a-", "b-"):
            os.unlink(os.path.join(dest, p + name))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgbak", required=True)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="segments per corpus (0 = all)")
    ap.add_argument("--pgbak-args", default="", help="extra global options for pgbak, e.g. '--compress-level 1'")
    ap.add_argument("--corpus", action="append", help="pgbench and/or random (default both)")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=BINARY[:ARGS] another pgbak build/setting, alternated with the rest (tuning)")
    ap.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--extra-md", action="append", default=[], help="markdown files appended to the report")
    args = ap.parse_args()

    work = os.path.join(BENCH, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    pgbak = Pgbak(os.path.abspath(args.pgbak), work, args.pgbak_args.split())
    pgbr = PgBackRest(work)
    floor = Floor(work)
    tools = [pgbak, pgbr, floor]
    for v in args.variant:
        name, spec = v.split("=", 1)
        spec, _, venv = spec.partition("@")
        binary, _, vargs = spec.partition(":")
        t = Pgbak(os.path.abspath(binary), work, vargs.split(), name)
        if venv:
            t.env = dict(os.environ, **dict(kv.split("=", 1) for kv in venv.split(",")))
        tools.append(t)
    can_restore = available(pgbak.bin, "restore-wal")
    can_verify = available(pgbak.bin, "verify")

    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    md = [
        "# pgbak benchmark results\n\n",
        f"Produced by `{args.command}` on {started}.\n",
        "\n## Machine\n\n",
        machine(),
        tool_versions(pgbak.bin),
        "\n## archive-wal, one process per 16 MiB segment\n\n",
        "Tools alternate on the same segment (rotating order, segment pre-read into the page cache), "
        f"each into fresh directories per pass; {args.passes} pass(es). "
        "Wall = spawn to exit; CPU = user+sys of the process; RSS = peak resident set (rusage maxrss). "
        "Ratios are per segment pair (same segment, same pass), median and p95 of the ratios. "
        f"pgbak options: `{args.pgbak_args or '(defaults)'}`; floor = `zstd -q -3 -c SEG > OUT && sync OUT`.\n",
    ]
    verdicts = []
    for corpus in args.corpus or ["pgbench", "random"]:
        cdir = os.path.join(CACHE, "corpus", corpus)
        segs = sorted(os.path.join(cdir, s) for s in os.listdir(cdir))
        if args.limit:
            segs = segs[: args.limit]
        insize = sum(os.path.getsize(s) for s in segs) * args.passes
        results = {}
        restore = {}
        verify = []
        for p in range(args.passes):
            tag = f"{corpus}-{p}"
            log(f"{corpus}: pass {p + 1}/{args.passes}, {len(segs)} segments")
            random.seed(p)
            bench_archive(tools, segs, tag, results)
            if can_restore:
                for k, v in bench_restore(pgbak, pgbr, segs, tag, work).items():
                    restore.setdefault(k, []).extend(v)
            if can_verify:
                rc, wall, cpu, rss = run_measured([pgbak.bin, "-D", pgbak.dir, "verify"], stdout=os.open(os.devnull, os.O_WRONLY))
                verify.append((rc, wall, sum(os.path.getsize(s) for s in segs)))
        rows, ratios = summarise(results, "pgbak", ["pgbackrest", "floor"] + [t.name for t in tools[3:]], insize)
        md.append(f"\n### corpus `{corpus}`: {len(segs)} segments × {args.passes} pass(es)\n\n")
        md.append("| tool | median ms | p95 ms | CPU ms (median) | peak RSS MiB (median / max) | compressed bytes per segment | of input |\n")
        md.append("|---|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            md.append(
                f"| {r['tool']} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | "
                f"{r['rss_med']:.1f} / {r['rss_max']:.1f} | {r['bytes']:,.0f} | {100 * r['ratio_size']:.2f}% |\n"
            )
        md.append("\n| pair (wall, per segment) | median ratio | p95 ratio | pairs |\n|---|---:|---:|---:|\n")
        for other, (med, p95, n) in ratios.items():
            md.append(f"| pgbak / {other} | {med:.3f} | {p95:.3f} | {n} |\n")
        by = {r["tool"]: r for r in rows}
        size_ok = by["pgbak"]["bytes"] <= by["pgbackrest"]["bytes"]
        md.append(
            f"\nCompressed size pgbak / pgBackRest: {by['pgbak']['bytes'] / by['pgbackrest']['bytes']:.4f}"
            f" ({'≤' if size_ok else '>'} 1).\n"
        )
        lim = 0.5 if corpus == "pgbench" else 0.7
        verdicts.append((f"{corpus}: archive-wal / pgBackRest ≤ {lim}", ratios["pgbackrest"][0], ratios["pgbackrest"][0] <= lim))
        if corpus == "pgbench":
            verdicts.append(("pgbench: archive-wal / floor ≤ 1.3", ratios["floor"][0], ratios["floor"][0] <= 1.3))
        verdicts.append((f"{corpus}: compressed size ≤ pgBackRest (ratio)", by["pgbak"]["bytes"] / by["pgbackrest"]["bytes"], size_ok))
        verdicts.append((f"{corpus}: peak RSS ≤ 32 MiB", by["pgbak"]["rss_max"], by["pgbak"]["rss_max"] <= 32))

        if can_restore:
            rrows, rratios = summarise(restore, "pgbak restore-wal", ["pgbackrest archive-get"], insize)
            md.append("\n#### restore-wal (alternating with pgbackrest archive-get)\n\n| tool | median ms | p95 ms | CPU ms | peak RSS MiB (max) |\n|---|---:|---:|---:|---:|\n")
            for r in rrows:
                md.append(f"| {r['tool']} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {r['rss_max']:.1f} |\n")
            med, p95, n = rratios["pgbackrest archive-get"]
            rw = by["pgbak"]["median"]
            rr = [r for r in rrows if r["tool"] == "pgbak restore-wal"][0]["median"]
            md.append(f"\npgbak restore-wal / archive-get (per pair): median {med:.3f}, p95 {p95:.3f}; restore-wal median / archive-wal median: {rr / rw:.3f}\n")
            verdicts.append((f"{corpus}: restore-wal median ≤ 0.5 × archive-wal", rr / rw, rr / rw <= 0.5))
        else:
            md.append("\nrestore-wal: not available yet (`pgbak help restore-wal` fails).\n")
        if can_verify:
            lines = [f"{mb / 2**20 / wall:.0f} MB/s (exit {rc}, {wall:.2f} s)" for rc, wall, mb in verify]
            md.append(f"\nverify of the pgbak directory: {'; '.join(lines)}\n")
        else:
            md.append("\nverify: not available yet (`pgbak help verify` fails).\n")

    for extra in args.extra_md:
        with open(extra) as f:
            md.append("\n" + f.read())
    md.append("\n## Targets\n\n| target | measured | met |\n|---|---:|---|\n")
    for what, val, ok in verdicts:
        md.append(f"| {what} | {val:.4f} | {'yes' if ok else '**no**'} |\n")
    with open(args.out, "w") as f:
        f.write("".join(md))
    log(f"wrote {args.out}")
    sys.stdout.write("".join(md))


if __name__ == "__main__":
    main()
