# Helpers for the sync end-to-end tests (test_sync_*.sh), sourced after lib.sh.

# write_backup_script BODY: make $PGBAK/scripts/backup a /bin/sh script with BODY.
write_backup_script() {
  printf '#!/bin/sh\n%s\n' "$1" >"$PGBAK/scripts/backup.new"
  chmod 755 "$PGBAK/scripts/backup.new"
  mv -f "$PGBAK/scripts/backup.new" "$PGBAK/scripts/backup"
}

# write_conf LINE...: replace $PGBAK/pgbak.conf with the lines.
write_conf() {
  printf '%s\n' "$@" >"$PGBAK/pgbak.conf"
  chmod 644 "$PGBAK/pgbak.conf"
}

# state_byte: the state byte of pgbak.lock in hex ("00" when empty).
state_byte() {
  local b
  b=$(od -An -tx1 -N1 "$PGBAK/pgbak.lock" | tr -d ' \n')
  echo "${b:-00}"
}

# sync_pid: pid of the running sync from sync.status (empty if none).
sync_pid() {
  local p
  p=$(sed -n 's/^pid=//p' "$PGBAK/sync.status" 2>/dev/null)
  [[ ${p:-0} != 0 ]] && echo "$p"
  return 0
}

# has_new_generation OLD: true once `current` names a generation other than OLD that has its
# base backup.
has_new_generation() {
  local cur
  cur=$(readlink "$PGBAK/current")
  [[ $cur != "$1" && -f $PGBAK/$cur/base.tzst ]]
}

# gone PID: true once no process PID exists.
gone() { ! kill -0 "$1" 2>/dev/null; }

# sync_running: true while the pid in sync.status is a running pgbak sync (that pid stays in the
# file after a kill, and may be reused).
sync_running() {
  local pid
  pid=$(sync_pid)
  [[ -n $pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'pgbak.* sync\b'
}

# stop_sync [SIGNAL]: wait for a running sync, send it SIGNAL (TERM) and wait until it is gone.
stop_sync() {
  local pid
  wait_for sync_running
  pid=$(sync_pid)
  kill "-${1:-TERM}" "$pid"
  wait_for gone "$pid"
}

# backup_start_segment GENDIR: the WAL file named by START WAL LOCATION in the backup_label of
# GENDIR/base.tzst.
backup_start_segment() {
  zstd -qdc "$1/base.tzst" | tar -xOf - backup_label |
    sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]\{24\}\))$/\1/p'
}

# next_segment NAME: the segment after NAME (16 MiB segments).
next_segment() {
  local tli=${1:0:8} log=$((16#${1:8:8})) seg=$((16#${1:16:8}))
  seg=$((seg + 1))
  if ((seg > 255)); then
    seg=0
    log=$((log + 1))
  fi
  printf '%s%08X%08X\n' "$tli" "$log" "$seg"
}

# check_gap_free GENDIR: every segment from the base backup's start to the newest one in
# GENDIR/pg_wal is there. Prints the count checked.
check_gap_free() {
  local gen=$1 start last s n=0
  start=$(backup_start_segment "$gen")
  [[ -n $start ]] || fail "$gen/base.tzst has no backup_label START WAL LOCATION"
  last=$(find "$gen/pg_wal" -name '[0-9A-F]*.zst' -printf '%f\n' | grep -E '^[0-9A-F]{24}\.zst$' |
    sort | tail -n 1)
  last=${last%.zst}
  [[ -n $last ]] || fail "$gen holds no WAL segment"
  [[ ! $last < $start ]] || fail "$gen: newest segment $last is older than the backup start $start"
  s=$start
  while :; do
    [[ -f $gen/pg_wal/$s.zst ]] || fail "$gen: segment $s missing (backup starts at $start, newest $last)"
    n=$((n + 1))
    [[ $s == "$last" ]] && break
    s=$(next_segment "$s")
  done
  echo "$n"
}

# restore_by_hand GENDIR DATADIR: what README describes: extract base.tzst, decompress the WAL
# into pg_wal/.
restore_by_hand() {
  local gen=$1 data=$2 f
  mkdir -m 700 "$data"
  zstd -qdc "$gen/base.tzst" | tar -xf - -C "$data"
  mkdir -p "$data/pg_wal"
  for f in "$gen"/pg_wal/*.zst; do
    zstd -qdc "$f" >"$data/pg_wal/$(basename "${f%.zst}")"
  done
  if ((EUID == 0)); then chown -R postgres: "$data"; fi
  chmod 700 "$data"
}

# fake_generation NAME: a current generation with a stand-in base.tzst, for tests that exercise
# the backup script without a server (snapshot heuristics must be switched off in pgbak.conf).
fake_generation() {
  mkdir -p "$PGBAK/$1/pg_wal"
  echo "not a real base backup" | zstd -q >"$PGBAK/$1/base.tzst"
  ln -sfn "$1" "$PGBAK/current"
  chmod 700 "$PGBAK/$1" "$PGBAK/$1/pg_wal"
  chmod 600 "$PGBAK/$1/base.tzst"
  if ((EUID == 0)); then chown -R postgres: "$PGBAK"; fi
}

# history_file N: write $T/hist/0000000N.history (timeline N, written as 8 hex digits) and print
# its path; archive-wal takes .history files without a page header check.
history_file() {
  local f
  mkdir -p "$T/hist"
  f=$T/hist/$(printf '%08X' "$1").history
  printf '%d\t0/%X\tno recovery target specified\n' "$(($1 - 1))" "$(($1 * 4096))" >"$f"
  chmod 644 "$f"
  echo "$f"
}
