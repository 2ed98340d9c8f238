#!/usr/bin/env bash
# Builds the tar reader's libFuzzer target with clang (ASan + UBSan) and runs it for a bounded
# time from a seed corpus of real tar files (GNU tar and Python's tarfile: GNU long names, pax
# records, ustar prefixes, links, devices, FIFOs). Exits non-zero if the fuzzer finds a crash,
# a leak or a broken invariant; the input that did it is left in the work directory.
#
#   bash fuzz/run.sh [--seconds N] [--work DIR] [-- LIBFUZZER_OPTIONS...]
#
# Defaults: 60 seconds, work directory build/fuzz. Needs clang and libFuzzer's runtime (Debian:
# clang-14, libclang-rt-14-dev; scripts/install-deps installs them).
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=60
work=$src/build/fuzz
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--seconds N] [--work DIR] [-- LIBFUZZER_OPTIONS...]" >&2; exit 2 ;;
  esac
done

cxx=
for c in clang++-14 clang++; do
  if command -v "$c" >/dev/null; then cxx=$c && break; fi
done
[[ -n $cxx ]] || { echo "fuzz/run.sh: clang++ not found (run scripts/install-deps)" >&2; exit 1; }

mkdir -p "$work/corpus" "$work/artifacts"
bin=$work/tar_reader_fuzz
sources=(fuzz/tar_reader_fuzz.cpp src/io/tar_reader.cpp src/restore/tar_extract.cpp
  src/io/error.cpp src/io/file.cpp src/io/tree.cpp)
if [[ ! -x $bin ]] || [[ -n $(cd "$src" && find "${sources[@]}" src/restore/*.h src/io/*.h -newer "$bin") ]]; then
  (cd "$src" && "$cxx" -std=c++20 -g -O1 -Wall -Wextra -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -Isrc "${sources[@]}" -o "$bin")
fi

python3 "$src/fuzz/make_seeds.py" "$work/corpus"
# The corpus grows across runs in the same work directory; -max_total_time bounds this one.
cd "$work"
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" "$work/corpus"
