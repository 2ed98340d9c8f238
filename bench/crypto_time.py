#!/usr/bin/env python3
"""Times `pgbak archive-wal` over a corpus of segments, plain vs encrypted. Each round archives
every segment into two fresh backup directories, one per arm, back to back with the order
alternating, so both arms see the same load. Prints per-arm medians, the median of the per-round
ratios and of the per-segment ratios, and optionally callgrind instruction counts. Used by
bench/crypto.sh."""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def timed(*args):
    """Runs a command; returns (wall seconds, CPU seconds of the process itself)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{args}: exit {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def stop_leftovers(path):
    """Background syncs that archive-wal started for backup directories under path."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if path.encode() + b"/" in cmdline:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--workdir", required=True)
    p.add_argument("--callgrind", type=int, default=0,
                   help="also count instructions under valgrind for this many segments (load-independent)")
    a = p.parse_args()

    segments = sorted(os.path.join(a.corpus, f) for f in os.listdir(a.corpus))
    if not segments:
        sys.exit("no segments in " + a.corpus)
    work = os.path.abspath(a.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    keydir = os.path.join(work, "keys")
    os.mkdir(keydir, 0o700)
    key = os.path.join(keydir, "bench.key")
    run(a.bin, "keygen", "-q", key)
    confs = {}
    for arm, extra in (("plain", ""), ("encrypted", f"encryption-key-file = {key}\n")):
        confs[arm] = os.path.join(work, arm + ".conf")
        with open(confs[arm], "w") as f:
            f.write("pg-bindir = /nonexistent\n" + extra)

    totals = {"plain": [], "encrypted": []}
    per_segment = {"plain": [], "encrypted": []}
    cpu_per_segment = {"plain": [], "encrypted": []}
    ratios = []
    cpu_ratios = []
    sizes = {}
    pair_ratios = []
    for r in range(a.rounds):
        # Both arms archive each segment back to back (alternating which goes first), so that
        # load from elsewhere on the machine hits both alike.
        dirs = {arm: os.path.join(work, f"{arm}-{r}") for arm in confs}
        for d in dirs.values():
            run(a.bin, "-D", d, "init")
        this_round = {"plain": 0.0, "encrypted": 0.0, "plain cpu": 0.0, "encrypted cpu": 0.0}
        for i, seg in enumerate(segments):
            arms = ["plain", "encrypted"] if (i + r) % 2 == 0 else ["encrypted", "plain"]
            pair = {}
            for arm in arms:
                dt, cpu = timed(a.bin, "-D", dirs[arm], "-c", confs[arm], "archive-wal", seg)
                pair[arm] = dt
                this_round[arm] += dt
                this_round[arm + " cpu"] += cpu
                per_segment[arm].append(dt)
                cpu_per_segment[arm].append(cpu)
            pair_ratios.append(pair["encrypted"] / pair["plain"])
        for arm, d in dirs.items():
            wal = os.path.join(d, "current", "pg_wal")
            names = os.listdir(wal)
            want = ".zst.enc" if arm == "encrypted" else ".zst"
            assert len(names) == len(segments) and all(n.endswith(want) for n in names), names[:3]
            sizes[arm] = sum(os.path.getsize(os.path.join(wal, n)) for n in names)
            totals[arm].append(this_round[arm])
            stop_leftovers(d)
            shutil.rmtree(d)
        ratios.append(this_round["encrypted"] / this_round["plain"])
        cpu_ratios.append(this_round["encrypted cpu"] / this_round["plain cpu"])
        print(f"round {r + 1:2}: plain {this_round['plain']:.3f}s  encrypted {this_round['encrypted']:.3f}s"
              f"  ratio {ratios[-1]:.3f}  (CPU ratio {cpu_ratios[-1]:.3f})", file=sys.stderr)
    instructions = {}
    if a.callgrind:
        for arm in ("plain", "encrypted"):
            d = os.path.join(work, f"{arm}-callgrind")
            run(a.bin, "-D", d, "init")
            instructions[arm] = 0
            for seg in segments[: a.callgrind]:
                out = os.path.join(work, "callgrind.out")
                r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                    a.bin, "-D", d, "-c", confs[arm], "archive-wal", seg],
                                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                instructions[arm] += int(r.stderr.split("Collected : ")[1].split()[0])
            stop_leftovers(d)
    stop_leftovers(work)
    shutil.rmtree(work, ignore_errors=True)

    n = len(segments)
    med = {arm: statistics.median(v) * 1000 for arm, v in per_segment.items()}
    cpu_med = {arm: statistics.median(v) * 1000 for arm, v in cpu_per_segment.items()}
    ratio = statistics.median(ratios)
    cpu_ratio = statistics.median(cpu_ratios)
    print(f"segments: {n} x {os.path.getsize(segments[0]) >> 20} MiB, rounds: {a.rounds}, workdir: {work}")
    print(f"stored bytes: plain {sizes['plain']}, encrypted {sizes['encrypted']} "
          f"(+{sizes['encrypted'] - sizes['plain']})")
    print(f"median archive-wal per segment: plain {med['plain']:.2f} ms, encrypted {med['encrypted']:.2f} ms")
    print(f"median archive-wal CPU (user+sys) per segment: plain {cpu_med['plain']:.2f} ms, "
          f"encrypted {cpu_med['encrypted']:.2f} ms")
    print(f"median per-round ratio encrypted/plain, wall: {ratio:.4f} ({(ratio - 1) * 100:+.1f}%)"
          f"  [min {min(ratios):.3f}, max {max(ratios):.3f}]")
    print(f"median per-segment ratio encrypted/plain, wall: {statistics.median(pair_ratios):.4f}")
    print(f"median per-round ratio encrypted/plain, CPU:  {cpu_ratio:.4f} ({(cpu_ratio - 1) * 100:+.1f}%)"
          f"  [min {min(cpu_ratios):.3f}, max {max(cpu_ratios):.3f}]")
    if instructions:
        i = instructions["encrypted"] / instructions["plain"]
        print(f"instructions (callgrind, {a.callgrind} segments): plain {instructions['plain']}, "
              f"encrypted {instructions['encrypted']}, ratio {i:.4f} ({(i - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
