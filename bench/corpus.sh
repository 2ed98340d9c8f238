#!/usr/bin/env bash
# Builds the benchmark's WAL corpus into bench/cache/ (once; reused while complete):
#   cache/corpus/pgbench/<SEGMENT>   >= 64 real 16 MiB segments written by pgbench (TPC-B-like)
#   cache/corpus/random/<SEGMENT>    >= 32 segments of inserts of random bytea (less compressible)
#   cache/pgdata/global/pg_control   the throwaway cluster's control file (pgBackRest's pg1-path)
#   cache/pgbackrest-stanza/         repo skeleton left by `pgbackrest stanza-create` (archive.info,
#                                    backup.info), copied into every fresh pgBackRest repo
# The segments come from a throwaway cluster's archive (archive_command copies files out), so they
# are exactly what PostgreSQL hands to an archive_command. Called by bench/run; may be run alone.
# Usage: bench/corpus.sh [--force]
set -Eeuo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=$BENCH/cache
N_PGBENCH=${N_PGBENCH:-64}
N_RANDOM=${N_RANDOM:-32}
STANZA=bench

say() { echo "corpus: $*" >&2; }

complete() {
  [[ -f $CACHE/corpus/.complete ]] &&
    (($(ls "$CACHE/corpus/pgbench" | wc -l) >= N_PGBENCH)) &&
    (($(ls "$CACHE/corpus/random" | wc -l) >= N_RANDOM)) &&
    [[ -f $CACHE/pgdata/global/pg_control && -f $CACHE/pgbackrest-stanza/archive/$STANZA/archive.info ]]
}

if [[ ${1:-} != --force ]] && complete 2>/dev/null; then
  say "reusing $CACHE/corpus ($(ls "$CACHE/corpus/pgbench" | wc -l) pgbench + $(ls "$CACHE/corpus/random" | wc -l) random segments)"
  exit 0
fi

# Servers refuse to run as root: run them (and the archive_command) as postgres.
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV | head -n1)}
[[ -x $PG_BINDIR/initdb ]] || { say "no PostgreSQL bin directory (set PG_BINDIR)"; exit 1; }
PATH=$PG_BINDIR:$PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/pgbak-corpus.XXXXXX")
chmod 755 "$T"
((EUID != 0)) || chown postgres: "$T"
cleanup() {
  as_pg pg_ctl -D "$T/data" stop -m immediate -w >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

say "throwaway cluster in $T"
as_pg initdb -D "$T/data" --auth=trust >"$T/initdb.log" 2>&1 || { cat "$T/initdb.log" >&2; exit 1; }
as_pg mkdir "$T/sock" "$T/archive"
PORT=$((20000 + RANDOM % 40000))
cat >>"$T/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$T/sock'
wal_level = replica
archive_mode = on
archive_command = 'cp %p $T/archive/.%f.tmp && mv $T/archive/.%f.tmp $T/archive/%f'
max_wal_size = 1GB
synchronous_commit = off
log_min_messages = warning
EOF
as_pg pg_ctl -D "$T/data" -l "$T/server.log" -w -t 60 start >/dev/null
export PGHOST=$T/sock PGPORT=$PORT PGDATABASE=postgres
psql_() { as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE=postgres psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
pgbench_() { as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE=postgres pgbench "$@"; }

seg_no() { # segment number (log * 256 + seg) of a WAL file name
  local n=$1
  echo $((16#${n:8:8} * 256 + 16#${n:16:8}))
}
current_seg() { psql_ -c 'SELECT pg_walfile_name(pg_current_wal_lsn())'; }
switch_seg() { psql_ -c 'SELECT pg_walfile_name(pg_switch_wal())'; }

wait_archived() { # wait until segment $1 is in the archive
  for _ in $(seq 600); do
    [[ -f $T/archive/$1 ]] && return 0
    sleep 0.2
  done
  say "segment $1 was not archived"; exit 1
}

# collect DIR FROM COUNT: copy COUNT segments from number FROM on out of the archive.
collect() {
  local dir=$1 from=$2 count=$3 f n got=0
  rm -rf "$dir.new" && mkdir -p "$dir.new"
  for f in $(ls "$T/archive" | grep -E '^[0-9A-F]{24}$' | sort); do
    n=$(seg_no "$f")
    if ((n >= from && got < count)); then
      cp "$T/archive/$f" "$dir.new/"
      got=$((got + 1))
    fi
  done
  ((got == count)) || { say "only $got of $count segments for $dir"; exit 1; }
  rm -rf "$dir" && mv "$dir.new" "$dir"
}

mkdir -p "$CACHE/corpus"
rm -f "$CACHE/corpus/.complete"

# ---- pgbench: initialise, then run TPC-B until enough segments lie past the start.
say "pgbench -i -s 20"
pgbench_ -i -s 20 -q >"$T/pgbench-init.log" 2>&1
psql_ -c CHECKPOINT
start=$(($(seg_no "$(switch_seg)") + 1))
while (($(seg_no "$(current_seg)") < start + N_PGBENCH + 1)); do
  say "pgbench -c 4 -j 2 -T 20 (at segment $(($(seg_no "$(current_seg)") - start)) of $N_PGBENCH)"
  # A checkpoint before each run: the first change of every page after it is logged as a full-page
  # image, as on a busy server with frequent checkpoints; WAL is then mostly page images.
  psql_ -c CHECKPOINT
  pgbench_ -c 4 -j 2 -T 20 -n >>"$T/pgbench.log" 2>&1
done
last=$(switch_seg)
wait_archived "$last"
collect "$CACHE/corpus/pgbench" "$start" "$N_PGBENCH"

# ---- random: inserts of random bytea (pgcrypto's gen_random_bytes), hardly compressible rows.
psql_ -c 'CREATE EXTENSION IF NOT EXISTS pgcrypto' -c 'CREATE TABLE rnd (id bigserial, b bytea)'
start=$(($(seg_no "$(switch_seg)") + 1))
while (($(seg_no "$(current_seg)") < start + N_RANDOM + 1)); do
  say "random bytea inserts (at segment $(($(seg_no "$(current_seg)") - start)) of $N_RANDOM)"
  psql_ -c 'INSERT INTO rnd (b) SELECT gen_random_bytes(200 + (random() * 400)::int) FROM generate_series(1, 100000)'
done
last=$(switch_seg)
wait_archived "$last"
collect "$CACHE/corpus/random" "$start" "$N_RANDOM"

# ---- pgBackRest: a stanza created against this cluster, kept as a repo skeleton.
say "pgbackrest stanza-create"
as_pg mkdir "$T/repo" "$T/pgbr-log" "$T/pgbr-lock"
cat >"$T/pgbackrest.conf" <<EOF
[global]
repo1-path=$T/repo
compress-type=zst
log-level-console=warn
log-level-file=off
lock-path=$T/pgbr-lock
log-path=$T/pgbr-log

[$STANZA]
pg1-path=$T/data
pg1-socket-path=$T/sock
pg1-port=$PORT
EOF
chmod 644 "$T/pgbackrest.conf"
as_pg pgbackrest --config="$T/pgbackrest.conf" --stanza=$STANZA stanza-create >&2
rm -rf "$CACHE/pgbackrest-stanza" "$CACHE/pgdata"
cp -a "$T/repo" "$CACHE/pgbackrest-stanza"
mkdir -p "$CACHE/pgdata/global"
cp "$T/data/global/pg_control" "$CACHE/pgdata/global/"
cp "$T/data/PG_VERSION" "$CACHE/pgdata/"
chown -R "$(id -u):$(id -g)" "$CACHE"
chmod 700 "$CACHE/pgdata"
touch "$CACHE/corpus/.complete"
say "done: $(ls "$CACHE/corpus/pgbench" | wc -l) pgbench + $(ls "$CACHE/corpus/random" | wc -l) random segments"
