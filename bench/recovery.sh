#!/usr/bin/env bash
# Recovery time of a real PostgreSQL over the same pgbench WAL, side by side (issue 12, "Speed"):
#   local      pgbak restore, then start: restore_command = pgbak restore-wal, local generation
#   remote     the same from a directory holding only scripts/fetch and scripts/backup.env: base
#              and WAL come through the fetch script: scripts/backup-rsync against a private sshd
#              on 127.0.0.1 (every call through the ssh connection it shares), or with --remote rclone
#              scripts/backup-rclone against `rclone serve sftp` on 127.0.0.1
#   floor      the physical limit: the same base, every segment already decompressed in pg_wal/,
#              no restore_command (plain crash recovery from backup_label)
#   cp, ln     restore_command = cp (or ln) of the plain segments: the limits of any
#              restore_command (ln: not even a byte to write)
#   staged     every segment already in pg_wal/, archive recovery (recovery.signal) with
#              restore_command = false: the limit of archive recovery through any restore_command
#              (staged-nohs: the same with hot_standby = off)
#   standby    every segment already in pg_wal/, standby.signal, no restore_command at all: archive
#              recovery with nothing to call, timed until it replayed the others' end LSN (list a
#              variant that ends recovery before it); ~2.9x the floor here, not understood
#              (bench/RECOVERY.md)
#   pgbr       pgbackrest archive-get (synchronous) from a repository holding the same segments
#   pgbr-async the same with archive-async=y (its own spool, cleared every round)
#   local-base, remote-base   local and remote with another pgbak binary, PGBAK_BASE_BIN (e.g.
#              the previous version), for a before/after comparison in the same run
#
#   bench/recovery.sh [--segments N] [--rounds R] [--scale S] [--variants 'local remote ...']
#                     [--pgbak-conf 'key = value; ...'] [--remote rsync|rclone]
#
# Defaults: 100 segments past the base, 5 rounds, scale 20, all variants. Every
# round runs each variant once, the order rotating from round to round (round r starts with
# variant r mod V). Time = from `pg_ctl start` to the server log's "redo done" line (its %m
# timestamp): the end of replay, before the end-of-recovery checkpoint the floor does and the
# promotion the others do. Before each start the data directory is ready, `sync` has run and the
# stored files are in the page cache (they were just read): every variant starts from the same
# state. Prints each run, then per variant the min / median / max seconds and, per round, the
# ratio to the floor of that round (min / median / max of those ratios), with the 1-minute load
# average sampled before every run. The summary is also written to bench/cache/recovery.md, which
# bench/run puts into bench/RESULTS.md.
#
# Needs root (or a user that can run PostgreSQL servers), PostgreSQL 15, sshd and rsync (or
# rclone), pgbackrest, zstd.
# PGBAK_BIN: the binary to measure (default: build-rel/pgbak, built here as Release);
# PGBAK_BASE_BIN: the one of the -base variants.
set -Eeuo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
COMMAND="bench/recovery.sh${*:+ $*}"

segments=100 rounds=5 scale=20 variants="local remote floor pgbr pgbr-async" pgbak_conf="" remote=rsync
while (($#)); do
  case $1 in
  --segments) segments=$2 && shift ;;
  --rounds) rounds=$2 && shift ;;
  --scale) scale=$2 && shift ;;
  --variants) variants=$2 && shift ;;
  --pgbak-conf) pgbak_conf=$2 && shift ;;
  --remote) remote=$2 && shift ;;
  -h | --help) sed -n '2,/^set -E/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' && exit 0 ;;
  *) echo "bench/recovery.sh: unknown argument $1" >&2 && exit 2 ;;
  esac
  shift
done
read -r -a variants <<<"$variants"

for tool in pgbackrest zstd ssh-keygen; do
  command -v "$tool" >/dev/null || { echo "bench/recovery.sh: $tool is required" >&2; exit 1; }
done
if [[ -z ${PGBAK_BIN:-} ]]; then
  echo "bench: building build-rel/pgbak (Release)" >&2
  cmake -S "$ROOT" -B "$ROOT/build-rel" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-rel" -j2 --target pgbak >/dev/null
  export PGBAK_BIN=$ROOT/build-rel/pgbak
fi

source "$ROOT/tests/e2e/lib.sh"
e2e_init
source "$ROOT/tests/e2e/upload_lib.sh"
source "$ROOT/tests/e2e/restore_lib.sh"
say() { echo "bench: $*" >&2; }
if [[ " ${variants[*]} " == *-base* ]]; then
  [[ -x ${PGBAK_BASE_BIN:-} ]] || fail "the -base variants need PGBAK_BASE_BIN"
  mkdir -p "$T/bin" && cp "$PGBAK_BASE_BIN" "$T/bin/pgbak-base" && chmod 755 "$T/bin/pgbak-base"
fi

# ---- the remote on 127.0.0.1, as tests/e2e/test_upload_*.sh set them up
mkdir -m 700 "$T/remote"
if [[ $remote == rclone ]]; then
  # rclone serve sftp of $T/remote; a client config the PostgreSQL user can read.
  mkdir -m 700 "$T/rclone"
  ssh-keygen -q -t ed25519 -N '' -f "$T/rclone/host_key" -C pgbak-bench-host
  : >"$T/rclone/server.conf"
  port=$(free_tcp_port)
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
  start_server "$T/rclone-serve.log" rclone serve sftp "$T/remote" --config "$T/rclone/server.conf" \
    --addr "127.0.0.1:$port" --user pgbak --pass "$password" --key "$T/rclone/host_key" \
    --cache-dir "$T/rclone/server-cache" --log-level ERROR
  wait_tcp "$port" 20 "$SERVER_PID"
  cat >"$T/rclone/pg.conf" <<EOF
[t]
type = sftp
host = 127.0.0.1
port = $port
user = pgbak
pass = $(rclone obscure "$password")
EOF
  cat >"$T/backup.env" <<EOF
PGBAK_RCLONE_REMOTE=t:bench
PGBAK_RCLONE_CONFIG='$T/rclone/pg.conf'
RCLONE_CACHE_DIR='$T/rclone/pg-cache'
export RCLONE_CACHE_DIR
EOF
  chmod 600 "$T/rclone/pg.conf"
  if ((EUID == 0)); then chown -R postgres: "$T/rclone"; fi
  SCRIPT=$(pg_reachable "$ROOT/scripts/backup-rclone")
  REMOTE_FILES=$T/remote/bench
else
  # A private sshd accepting the PostgreSQL user's key; rsync over ssh, every fetch through the
  # one connection that backup-rsync shares by itself (PGBAK_RSYNC_PERSIST, docs/upload.md).
  command -v rsync >/dev/null || fail "no rsync"
  # The login on the server side is the invoking user's (sshd refuses the locked postgres
  # account); the fetch script is the PostgreSQL user's, with its own key.
  user=$(id -un)
  mkdir -m 755 "$T/ssh"
  ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key" -C pgbak-bench-host
  ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client_key" -C pgbak-bench-client
  cp "$T/ssh/client_key.pub" "$T/ssh/authorized_keys"
  port=$(free_tcp_port)
  cat >"$T/ssh/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/ssh/host_key
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $T/ssh/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 64
# bash sources ~/.bashrc for a command run by sshd unless it is a nested shell: the invoking
# user's .bashrc may be slow (root's runs pyenv init here: seconds a login under load), a cost of
# that account, not of pgbak, that a backup host's own account (rrsync) does not have.
SetEnv SHLVL=1
EOF
  if ((EUID == 0)); then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
  start_server "$T/sshd.log" "$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$T/ssh/sshd_config"
  wait_tcp "$port" 20 "$SERVER_PID"
  if ((EUID == 0)); then chown postgres: "$T/ssh" "$T/ssh/client_key" "$T/ssh/authorized_keys"; fi
  ssh_cmd="ssh -F /dev/null -p $port -i $T/ssh/client_key -o IdentitiesOnly=yes -o BatchMode=yes"
  ssh_cmd+=" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
  as_pg $ssh_cmd "$user@127.0.0.1" true || fail "cannot log in to the bench sshd"
  cat >"$T/backup.env" <<EOF
PGBAK_RSYNC_TARGET='$user@127.0.0.1:$T/remote'
PGBAK_RSYNC_SSH='$ssh_cmd'
EOF
  SCRIPT=$(pg_reachable "$ROOT/scripts/backup-rsync")
  REMOTE_FILES=$T/remote
fi
chmod 600 "$T/backup.env"
if ((EUID == 0)); then chown postgres: "$T/backup.env"; fi

# ---- the source: a base, then pgbench until N segments past it, archived and uploaded
say "source cluster: pgbench -i -s $scale, base, then pgbench for $segments segments"
start_main "$scale" "max_wal_size = 1GB" "synchronous_commit = off"
ln -sfn "$SCRIPT" "$PGBAK/scripts/backup"
# pgBackRest's stanza now, while the server runs (afterwards it would add WAL the others lack).
as_pg mkdir -m 700 "$T/pgbr-repo" "$T/pgbr-log" "$T/pgbr-lock" "$T/pgbr-spool"
pgbr_conf() { # pgbr_conf DATA_DIR ASYNC
  cat <<EOF
[global]
repo1-path=$T/pgbr-repo
compress-type=zst
log-level-console=warn
log-level-file=off
lock-path=$T/pgbr-lock
log-path=$T/pgbr-log
spool-path=$T/pgbr-spool
archive-async=$2

[bench]
pg1-path=$1
pg1-socket-path=$T/main.sock
pg1-port=$(<"$T/main.port")
EOF
}
pgbr_conf "$T/main.data" n >"$T/pgbr-push.conf"
as_pg pgbackrest --config="$T/pgbr-push.conf" --stanza=bench stanza-create >/dev/null
as_pg install -m 600 "$T/backup.env" "$PGBAK/scripts/backup.env"
_e2e_with main pgbak_run -q full-sync || fail "pgbak full-sync failed"
gen=$(readlink "$PGBAK/current")
seg_no() { echo $((16#${1:8:8} * 256 + 16#${1:16:8})); }
current_seg() { seg_no "$(cluster_psql main -c 'SELECT pg_walfile_name(pg_current_wal_lsn())')"; }
start=$(current_seg)
while (($(current_seg) < start + segments)); do
  # A checkpoint before each run: WAL full of page images, as on a busy server.
  cluster_psql main -c CHECKPOINT
  cluster_pgbench main -c 4 -j 2 -T 10 -n >>"$T/pgbench.log" 2>&1
done
wait_archived main --no-failures --timeout 600
cluster_stop main
pgbak_run wait 600 >/dev/null || true
pgbak_run -q force-sync || fail "the upload (scripts/backup-rclone) failed"
mapfile -t wal < <(ls "$PGBAK/$gen/pg_wal" | sed -n 's/^\([0-9A-F]\{24\}\)\.zst$/\1/p' | sort)
say "generation $gen: ${#wal[@]} segments, uploaded through $(basename "$SCRIPT") to 127.0.0.1:$port"

# ---- a new host: only scripts/fetch (backup-rclone) and backup.env
NEW=$T/newdir
mkdir -m 700 "$NEW" "$NEW/scripts"
ln -s "$SCRIPT" "$NEW/scripts/fetch"
install -m 600 "$T/backup.env" "$NEW/scripts/backup.env"
if [[ -n $pgbak_conf ]]; then
  tr ';' '\n' <<<"$pgbak_conf" | sed 's/^ *//' >"$NEW/pgbak.conf"
  cat "$NEW/pgbak.conf" >>"$PGBAK/pgbak.conf"
fi
if ((EUID == 0)); then chown -hR postgres: "$NEW" "$PGBAK/pgbak.conf" 2>/dev/null || true; fi

# ---- pgBackRest: the same segments archive-pushed into the stanza made above
for w in "${wal[@]}"; do
  as_pg pgbackrest --config="$T/pgbr-push.conf" --stanza=bench archive-push "$T/main.plain/$w"
done
for a in n y; do
  pgbr_conf "$T/r.data" "$a" >"$T/pgbr-$a.conf"
  chmod 644 "$T/pgbr-$a.conf"
done

# ---- one run
run_variant() { # run_variant VARIANT: sets SECS (pg_ctl start to "redo done") and END (its LSN)
  local v=$1 dir=$PGBAK bin=$PGBAK_BIN t0 line ts deadline
  [[ $v == remote* ]] && dir=$NEW
  [[ $v == *-base ]] && bin=$T/bin/pgbak-base
  as_pg pg_ctl -D "$T/r.data" stop -m immediate -w >/dev/null 2>&1 || true
  rm -rf "$T/r.data" "$T/r.log"
  as_pg rm -rf "$T/pgbr-spool" && as_pg mkdir -m 700 "$T/pgbr-spool"
  "$bin" -D "$dir" restore "$T/r.data" >"$T/r.restore.out" || fail "pgbak restore ($v) failed"
  cluster_configure r "archive_mode = off" "log_line_prefix = '%m '" "log_min_messages = log"
  case $v in
  floor)
    rm -f "$T/r.data/recovery.signal"
    echo "restore_command = ''" >>"$T/r.data/postgresql.auto.conf"
    for w in "${wal[@]}"; do cp "$T/main.plain/$w" "$T/r.data/pg_wal/"; done
    if ((EUID == 0)); then chown postgres: "$T/r.data/pg_wal/"*; fi
    ;;
  standby)
    # Archive recovery without any restore_command: every segment in pg_wal, a standby with no
    # source to stream from. Timed until it has replayed what the others replay (the end LSN of
    # a run before; list a variant that ends recovery first).
    [[ -n $ends ]] || fail "standby: needs the end LSN of a variant run before it"
    rm -f "$T/r.data/recovery.signal"
    as_pg touch "$T/r.data/standby.signal"
    # A standby with no WAL at hand sleeps this long before it looks again (5 s by default).
    echo "wal_retrieve_retry_interval = 10ms" >>"$T/r.data/postgresql.auto.conf"
    for w in "${wal[@]}"; do cp "$T/main.plain/$w" "$T/r.data/pg_wal/"; done
    if ((EUID == 0)); then chown postgres: "$T/r.data/pg_wal/"*; fi
    ;;
  staged | staged-nohs)
    # The limit of replaying pg_wal in archive recovery: every segment already in pg_wal, and a
    # restore_command that has nothing (the call and the server's fallback to pg_wal remain).
    echo "restore_command = 'false'" >>"$T/r.data/postgresql.auto.conf"
    [[ $v == staged ]] || echo "hot_standby = off" >>"$T/r.data/postgresql.auto.conf"
    for w in "${wal[@]}"; do cp "$T/main.plain/$w" "$T/r.data/pg_wal/"; done
    if ((EUID == 0)); then chown postgres: "$T/r.data/pg_wal/"*; fi
    ;;
  cp | ln)
    # The limits of any restore_command: the plain segments copied (PostgreSQL then writes and
    # fsyncs 16 MiB a segment, as after any restore_command), or hard-linked (nothing to write:
    # what is left is the call and PostgreSQL's durable rename of each restored file). Linked,
    # a recycled segment would be written into through main.plain/: removed instead.
    echo "restore_command = '$v $T/main.plain/%f \"%p\"'" >>"$T/r.data/postgresql.auto.conf"
    [[ $v == cp ]] || echo "wal_recycle = off" >>"$T/r.data/postgresql.auto.conf"
    ;;
  pgbr | pgbr-async)
    local a=n
    [[ $v == pgbr-async ]] && a=y
    echo "restore_command = 'pgbackrest --config=$T/pgbr-$a.conf --stanza=bench archive-get %f \"%p\"'" \
      >>"$T/r.data/postgresql.auto.conf"
    ;;
  esac
  # The same starting state for everyone: nothing dirty, the stored files read once.
  cat "$dir"/*/pg_wal/* "$T/pgbr-repo"/archive/bench/*/*/* "$REMOTE_FILES"/*/pg_wal/* "$T/main.plain"/* \
    >/dev/null 2>&1 || true
  sync
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  t0=$(date +%s.%N)
  _e2e_with r as_pg pg_ctl -D "$T/r.data" -l "$T/r.log" start >/dev/null
  deadline=$((SECONDS + 900))
  if [[ $v == standby ]]; then
    until [[ $(cluster_psql r -c "SELECT pg_last_wal_replay_lsn() >= '$ends'" 2>/dev/null) == t ]]; do
      ((SECONDS < deadline)) || fail "$v: $ends not replayed after 900 s"
      sleep 0.05
    done
    ts=$(date +%s.%N)
    SECS=$(awk -v a="$t0" -v b="$ts" 'BEGIN { printf "%.3f\n", b - a }')
    END=$ends
    return
  fi
  until line=$(grep -m1 'redo done at' "$T/r.log" 2>/dev/null); do
    ((SECONDS < deadline)) || fail "$v: no 'redo done' after 900 s"
    grep -q 'FATAL\|PANIC' "$T/r.log" 2>/dev/null && fail "$v: $(grep -m1 'FATAL\|PANIC' "$T/r.log")"
    sleep 0.05
  done
  ts=$(date -d "$(cut -d' ' -f1-3 <<<"$line")" +%s.%N)
  grep -q "redo starts at" "$T/r.log" || fail "$v: no 'redo starts' in the log"
  SECS=$(awk -v a="$t0" -v b="$ts" 'BEGIN { printf "%.3f\n", b - a }')
  END=$(sed 's/.*redo done at \([0-9A-F/]*\).*/\1/' <<<"$line")
}

# Every variant must replay exactly the same WAL: the same end LSN.
LOADS=()
declare -A secs
ends=""
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[$(((i + r) % ${#variants[@]}))]}
    run_variant "$v"
    say "round $((r + 1)) $v: ${SECS}s (redo done at $END, load ${LOADS[-1]})"
    [[ -z $ends || $END == "$ends" ]] || fail "$v ended replay at $END, others at $ends"
    ends=$END
    secs[$v]+="$SECS "
  done
done
as_pg pg_ctl -D "$T/r.data" stop -m immediate -w >/dev/null 2>&1 || true

# ---- summary, also kept in bench/cache/recovery.md (bench/run adds it to bench/RESULTS.md)
mkdir -p "$BENCH/cache"
{
  echo "## recovery: ${#wal[@]} pgbench segments (scale $scale), $rounds rounds"
  echo
  echo "\`$COMMAND\` on $(date -u '+%Y-%m-%d %H:%M UTC'), pgbak $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)," \
    "$(pgbackrest version), $(nproc) CPUs; replay ends at $ends."
  echo "Load average (1 min) before the runs: $(printf '%s\n' "${LOADS[@]}" | sort -g |
    awk '{a[NR] = $1} END {printf "min %s, median %s, max %s", a[1], a[int((NR + 1) / 2)], a[NR]}')."
  echo
  echo "| variant | min s | median s | max s | / floor, per round: min | median | max |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for v in "${variants[@]}"; do
    python3 - "$v" "${secs[$v]}" "${secs[floor]:-}" <<'EOF'
import statistics, sys
v, mine, floor = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
row = f"| {v} | {min(mine):.2f} | {statistics.median(mine):.2f} | {max(mine):.2f} |"
if floor:
    ratios = [a / b for a, b in zip(mine, floor)]
    row += f" {min(ratios):.3f} | {statistics.median(ratios):.3f} | {max(ratios):.3f} |"
else:
    row += " | | |"
print(row)
EOF
  done
  echo
} | tee "$BENCH/cache/recovery.md"
