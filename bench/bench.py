#!/usr/bin/env python3
"""pgbak benchmark driver (called by bench/run; python3 stdlib only).

Runs, one process per WAL segment as PostgreSQL does, alternating on the same segment (the
order rotates from segment to segment, the segment is read into the page cache first, as it is
when PostgreSQL has just written it):
  pgbak       `pgbak -D DIR archive-wal SEG`
  pgbackrest  `pgbackrest --stanza=bench archive-push SEG` (compress-type=zst, default level)
  floor       `sh -c 'zstd -q -3 -T2 -c SEG > OUT && sync OUT DIR'`: the same work as pgbak
              (level 3 on two threads, fsync of the file and of its directory) with nothing else
Every tool writes into its own fresh directory per pass. With --busy, every corpus runs a second
time while bench/load.sh keeps a pgbench server busy on both cores. Wall time is measured around
posix_spawn + wait4; CPU time (user+sys) and peak RSS come from the child's rusage.
Ratios are computed segment by segment (same segment, same pass) and summarised by their median.
"""
import argparse
import os
import platform
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
        # pgbak refuses to create a backup directory as root; one the running user owns is fine.
        os.makedirs(self.dir, mode=0o700)
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
        return ["sh", "-c", 'zstd -q -3 -T2 -c "$1" > "$2" && sync "$2" "$3"', "floor", seg, self.out(seg), self.dir]

    def stored(self, seg):
        return os.path.getsize(self.out(seg))

    def done(self):
        pass


def bench_archive(tools, segs, tag, results, load):
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
        load.sample()
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
        common = [(r, by_key[other][k]) for k, r in by_key[ref].items() if k in by_key[other]]
        ratios[other] = Spread([a["wall"] / b["wall"] for a, b in common], [a["cpu"] / b["cpu"] for a, b in common])
    return rows, ratios


class Spread:
    """Per-pair ratios (wall and CPU) of one tool against another, with their spread."""

    def __init__(self, wall, cpu):
        self.wall, self.cpu, self.n = wall, cpu, len(wall)
        self.median = statistics.median(wall)

    def row(self, label):
        w, c = self.wall, self.cpu
        return (f"| {label} | {min(w):.3f} | {self.median:.3f} | {pct(w, 95):.3f} | {max(w):.3f} | "
                f"{statistics.median(c):.3f} | {self.n} |\n")

    header = ("| pair (per segment) | wall min | wall median | wall p95 | wall max | CPU median | pairs |\n"
              "|---|---:|---:|---:|---:|---:|---:|\n")


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


def bench_restore(pgbak, pgbr, segs, tag, work, load):
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
        load.sample()
    return res


class Load:
    """bench/load.sh running in the background (a pgbench server on both cores) while timing."""

    def __enter__(self):
        self.proc = subprocess.Popen([os.path.join(BENCH, "load.sh")], stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise RuntimeError("bench/load.sh did not start its pgbench load")
        log("busy: pgbench load running")
        return self

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait()


class LoadSampler:
    """The 1-minute load average, sampled after every segment: the figures' context."""

    def __init__(self):
        self.samples = [os.getloadavg()[0]]

    def sample(self):
        self.samples.append(os.getloadavg()[0])

    def text(self):
        s = self.samples
        return f"load average (1 min) during the run: min {min(s):.2f}, median {statistics.median(s):.2f}, max {max(s):.2f}"


def run_corpus(args, tools, pgbak, pgbr, corpus, condition, work, md, verdicts):
    """Every pass of one corpus under one condition (idle or busy); appends its tables to md."""
    cdir = os.path.join(CACHE, "corpus", corpus)
    segs = sorted(os.path.join(cdir, s) for s in os.listdir(cdir))
    if args.limit:
        segs = segs[: args.limit]
    insize = sum(os.path.getsize(s) for s in segs) * args.passes
    results, restore, load = {}, {}, LoadSampler()
    for p in range(args.passes):
        tag = f"{corpus}-{condition}-{p}"
        log(f"{corpus} ({condition}): pass {p + 1}/{args.passes}, {len(segs)} segments")
        bench_archive(tools, segs, tag, results, load)
        for k, v in bench_restore(pgbak, pgbr, segs, tag, work, load).items():
            restore.setdefault(k, []).extend(v)
    rows, ratios = summarise(results, "pgbak", ["pgbackrest", "floor"] + [t.name for t in tools[3:]], insize)
    md.append(f"\n### corpus `{corpus}`, {condition}: {len(segs)} segments × {args.passes} pass(es)\n\n{load.text()}.\n\n")
    md.append("| tool | median ms | p95 ms | CPU ms (median) | peak RSS MiB (median / max) | compressed bytes per segment | of input |\n")
    md.append("|---|---:|---:|---:|---:|---:|---:|\n")
    for r in rows:
        md.append(
            f"| {r['tool']} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | "
            f"{r['rss_med']:.1f} / {r['rss_max']:.1f} | {r['bytes']:,.0f} | {100 * r['ratio_size']:.2f}% |\n"
        )
    md.append("\n" + Spread.header)
    for other, spread in ratios.items():
        md.append(spread.row(f"pgbak / {other}"))
    by = {r["tool"]: r for r in rows}
    size = by["pgbak"]["bytes"] / by["pgbackrest"]["bytes"]
    md.append(f"\nCompressed size pgbak / pgBackRest: {size:.4f} ({'≤' if size <= 1 else '>'} 1).\n")
    lim = 0.5 if corpus == "pgbench" else 0.7
    key = f"{corpus}, {condition}"
    verdicts.append((f"{key}: archive-wal / pgBackRest ≤ {lim} (median per pair)", ratios["pgbackrest"].median,
                     ratios["pgbackrest"].median <= lim))
    if corpus == "pgbench":
        verdicts.append((f"{key}: archive-wal / floor ≤ 1.3", ratios["floor"].median, ratios["floor"].median <= 1.3))
    verdicts.append((f"{key}: compressed size ≤ pgBackRest (ratio)", size, size <= 1))
    verdicts.append((f"{key}: peak RSS ≤ 32 MiB", by["pgbak"]["rss_max"], by["pgbak"]["rss_max"] <= 32))

    rrows, rratios = summarise(restore, "pgbak restore-wal", ["pgbackrest archive-get"], insize)
    md.append("\n#### restore-wal (alternating with pgbackrest archive-get)\n\n"
              "| tool | median ms | p95 ms | CPU ms | peak RSS MiB (max) |\n|---|---:|---:|---:|---:|\n")
    for r in rrows:
        md.append(f"| {r['tool']} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {r['rss_max']:.1f} |\n")
    md.append("\n" + Spread.header + rratios["pgbackrest archive-get"].row("pgbak restore-wal / archive-get"))
    rr = [r for r in rrows if r["tool"] == "pgbak restore-wal"][0]["median"] / by["pgbak"]["median"]
    md.append(f"\nrestore-wal median / archive-wal median: {rr:.3f}\n")
    verdicts.append((f"{key}: restore-wal median ≤ 0.5 × archive-wal", rr, rr <= 0.5))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgbak", required=True)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="segments per corpus (0 = all)")
    ap.add_argument("--pgbak-args", default="", help="extra global options for pgbak, e.g. '--compress-level 1'")
    ap.add_argument("--corpus", action="append", help="pgbench and/or random (default both)")
    ap.add_argument("--busy", action="store_true", help="run every corpus again under bench/load.sh's pgbench load")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=BINARY[:ARGS] another pgbak build/setting, alternated with the rest (tuning)")
    ap.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--extra-md", action="append", default=[], help="markdown files appended to the report")
    args = ap.parse_args()

    work = os.path.join(BENCH, "work", "archive")
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
        "Ratios are per segment pair (same segment, same pass): min, median, p95 and max of the wall "
        "ratios, median of the CPU ratios. "
        f"pgbak options: `{args.pgbak_args or '(defaults)'}`; floor = `zstd -q -3 -T2 -c SEG > OUT && "
        "sync OUT DIR` (two threads, fsync of the file and its directory, as pgbak). *idle*: nothing else "
        "of the benchmark's runs; *busy*: `bench/load.sh` keeps a server under `pgbench -c 4 -j 2` "
        "(TPC-B-like) on both cores while the tools alternate.\n",
    ]
    verdicts = []
    conditions = ["idle", "busy"] if args.busy else ["idle"]
    for condition in conditions:
        for corpus in args.corpus or ["pgbench", "random"]:
            if condition == "busy":
                with Load():
                    run_corpus(args, tools, pgbak, pgbr, corpus, condition, work, md, verdicts)
            else:
                run_corpus(args, tools, pgbak, pgbr, corpus, condition, work, md, verdicts)

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
