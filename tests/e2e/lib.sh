# Sourced by every end-to-end test (tests/e2e/test_*.sh). A test looks like:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   e2e_init                      # private $T (also the working directory), cleanup on exit
#   pgbak_init                    # pgbak init of $PGBAK (default $T/pgbak)
#   cluster_init main             # initdb + archive_command through pgbak
#   cluster_start main
#   cluster_pgbench main -i -s 2 -q
#   wait_archived main --no-failures
#   assert_exit 0 pgbak_run status
#   ok "archived"
#
# Environment: PGBAK_BIN (default $PGBAK_SRC/build/pgbak), PGBAK_SRC (default:
# the repository holding this file), PG_BINDIR (PostgreSQL bin directory, found
# otherwise), KEEP_TMP=1 (leave $T behind; servers are stopped regardless).
#
# Files of cluster NAME, all under $T: NAME.data/ (PGDATA), NAME.sock/ (socket
# directory), NAME.port, NAME.log (server log), NAME.archive.sh (archive_command
# wrapper, re-read on every call, so a test may rewrite it), NAME.plain/ (a plain
# copy of every file PostgreSQL handed to archive_command).
#
# Servers refuse to run as root: as root, servers, psql, pgbench and pgbak run
# as user postgres (see as_pg); $T belongs to postgres then.

# shellcheck disable=SC2034 # LAST_STDOUT, LAST_SWITCH_WAL are for the tests
set -Eeuo pipefail

PGBAK_SRC=$(cd "${PGBAK_SRC:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
PGBAK_BIN=${PGBAK_BIN:-$PGBAK_SRC/build/pgbak}
[[ $PGBAK_BIN == /* ]] || PGBAK_BIN=$PWD/$PGBAK_BIN
export PGBAK_SRC PGBAK_BIN
_E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh
_E2E_CWD=$PWD
_E2E_LIB_AS=${BASH_SOURCE[0]} # as functions' BASH_SOURCE shows it

# ---- assertions -------------------------------------------------------------

# fail MSG...: report a failed check and end the test (cleanup runs on exit).
fail() {
  _E2E_FAILED=1
  echo "FAIL: $*" >&2
  exit 1
}

# ok MSG...: report a passed check.
ok() { echo "ok - $*"; }

# assert_eq EXPECTED ACTUAL [MSG]
assert_eq() {
  [[ $1 == "$2" ]] || fail "${3:-values differ}: expected '$1', got '$2'"
}

# assert_match REGEX STRING [MSG]: bash =~ (extended regular expression).
assert_match() {
  [[ $2 =~ $1 ]] || fail "${3:-no match}: '$2' does not match /$1/"
}

# assert_file FILE [MSG]: FILE exists and is a regular file.
assert_file() {
  [[ -f $1 ]] || fail "${2:-missing file}: $1"
}

# assert_no_file PATH [MSG]: nothing (not even a dangling symlink) at PATH.
assert_no_file() {
  [[ ! -e $1 && ! -L $1 ]] || fail "${2:-unexpected file}: $1"
}

# assert_exit CODE CMD...: run CMD (a command or function), require exit status
# CODE. Its output is captured into LAST_STDOUT and LAST_STDERR, not printed.
assert_exit() {
  local want=$1 rc=0
  shift
  "$@" >"$T/.last_stdout" 2>"$T/.last_stderr" || rc=$?
  LAST_STDOUT=$(<"$T/.last_stdout")
  LAST_STDERR=$(<"$T/.last_stderr")
  ((rc == want)) || fail "exit status $rc, expected $want: $*${LAST_STDERR:+ (stderr: $LAST_STDERR)}"
}

# ---- setup and cleanup ------------------------------------------------------

# pg_bindir: print the PostgreSQL bin directory, the one holding initdb.
# (Debian's pg_config may say /usr/bin, where initdb and pg_ctl are not.)
pg_bindir() {
  local d
  for d in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)" \
    $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV) /usr/lib/postgresql/15/bin; do
    if [[ -n $d && -x $d/initdb ]]; then
      echo "$d"
      return
    fi
  done
  fail "no PostgreSQL bin directory with initdb (install postgresql or set PG_BINDIR)"
}

# e2e_init: create the private directory $T, make it the working directory, set
# PGBAK=$T/pgbak and arrange that servers and pgbak processes started under $T
# are stopped and $T is removed when the test ends, however it ends.
e2e_init() {
  [[ -x $PGBAK_BIN ]] || fail "PGBAK_BIN=$PGBAK_BIN is not executable (run scripts/build)"
  PATH=$(pg_bindir):$PATH
  T=$(mktemp -d "${TMPDIR:-/tmp}/pgbak-e2e.XXXXXX")
  chmod 755 "$T"
  if ((EUID == 0)); then chown postgres: "$T"; fi
  PGBAK=$T/pgbak
  export PATH T PGBAK
  trap '_e2e_err "$BASH_COMMAND"' ERR
  trap '_e2e_exit $?' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  as_pg test -w "$T" || fail "user postgres cannot write $T (set TMPDIR)"
  if ! as_pg test -x "$PGBAK_BIN"; then
    # The server's user cannot reach the binary (e.g. a checkout under /root).
    mkdir "$T/bin"
    cp "$PGBAK_BIN" "$T/bin/pgbak"
    PGBAK_BIN=$T/bin/pgbak
  fi
  # The EXIT trap does not run when the test is SIGKILLed (ctest's timeout):
  # a detached watchdog then cleans up once this shell is gone.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid -f bash -c 'source "$1" && _e2e_watchdog "$2" "$3"' _ "$_E2E_LIB" "$$" "$T" \
    </dev/null >/dev/null 2>&1
  cd "$T"
}

# mkseg PATH NAME [make_segment.py options]: a synthetic WAL file NAME (a segment with a valid
# long page header, 16 MiB unless --size) at PATH, written as user postgres.
mkseg() { as_pg python3 "$PGBAK_SRC/tests/e2e/make_segment.py" "$@"; }

# state_bits: pending|running work bits of pgbak.lock's state byte, ORed (so a sync that already
# picked the work up still shows it).
state_bits() { local b; b=$(od -An -tu1 -N1 "$PGBAK/pgbak.lock" | tr -d ' '); echo $(((b & 15) | (b >> 4))); }

# dir_listing DIR [--all]: every entry under DIR (path, type, size, mode, owner, mtime, link
# target), sorted, to compare before and after a command that must change nothing. Without
# --all, the state, log and status files (rewritten by every sync) are left out.
dir_listing() {
  local skip=(! -name pgbak.lock ! -name sync.log ! -name sync.status)
  [[ ${2:-} == --all ]] && skip=()
  find "$1" -mindepth 1 "${skip[@]}" -printf '%P %y %s %m %u %T@ %l\n' | sort
}

# as_pg CMD...: run CMD (an executable, not a shell function) as user postgres
# when root, directly otherwise. Passes the variables tests rely on; pass
# others with `as_pg env VAR=value CMD...`.
as_pg() {
  if ((EUID != 0)); then
    "$@"
    return
  fi
  local v vars=()
  for v in PATH PGHOST PGPORT PGDATA PGDATABASE PGUSER PGBAK PGBAK_BIN PGBAK_SRC T TZ LANG LC_ALL; do
    if [[ -v $v ]]; then vars+=("$v=${!v}"); fi
  done
  runuser -u postgres -- env "${vars[@]}" "$@"
}

# Remember the test's line that led to a failing command (set -E makes the
# trap fire inside functions too), for the message on exit.
_e2e_err() {
  local i file line
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    file=${BASH_SOURCE[i]}
    if [[ $file != "$_E2E_LIB_AS" ]]; then
      [[ $file == /* ]] || file=$_E2E_CWD/$file
      line=$(sed -n "${BASH_LINENO[i - 1]}{s/^[[:space:]]*//;p}" "$file" 2>/dev/null)
      _E2E_ERR="${file##*/}:${BASH_LINENO[i - 1]}: ${line:-$1}"
      return
    fi
  done
}

_e2e_exit() {
  local rc=$1
  set +e
  if ((rc != 0)); then
    if [[ -z ${_E2E_FAILED:-} ]]; then
      echo "FAIL: exit status $rc${_E2E_ERR:+ at $_E2E_ERR}" >&2
    fi
    local log
    for log in "$T"/*.log "$PGBAK/sync.log"; do
      if [[ -s $log ]]; then
        echo "--- last lines of $log" >&2
        tail -n 30 "$log" >&2
      fi
    done
  fi
  _e2e_cleanup
  exit "$rc"
}

_e2e_watchdog() {
  T=$2
  cd /
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  if [[ -d $T ]]; then _e2e_cleanup; fi
}

# Stop every server under $T (whoever started it), then pgbak processes, then
# remove $T. Idempotent.
_e2e_cleanup() {
  set +e
  local pidfile pid
  while IFS= read -r pidfile; do
    if ! as_pg pg_ctl -D "${pidfile%/postmaster.pid}" stop -m immediate -w -t 30 >/dev/null 2>&1; then
      pid=$(head -n 1 "$pidfile" 2>/dev/null)
      if [[ $pid =~ ^[0-9]+$ && $(readlink "/proc/$pid/exe" 2>/dev/null) == */postgres ]]; then
        kill -KILL "$pid"
      fi
    fi
  done < <(find "$T" -maxdepth 3 -name postmaster.pid 2>/dev/null)
  _e2e_kill_pgbak
  _e2e_unmount
  if [[ ${KEEP_TMP:-} == 1 ]]; then
    echo "KEEP_TMP=1: left $T" >&2
  else
    rm -rf "$T"
  fi
}

# Unmount what a test mounted under $T (test_mount), innermost first.
_e2e_unmount() {
  local m
  ((EUID == 0)) || return 0
  while IFS= read -r m; do
    umount -l "$m"
  done < <(awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r)
  return 0
}

# test_mount DIR MOUNT_ARGS...: create DIR and `mount MOUNT_ARGS DIR` (e.g. a small tmpfs, a
# bind mount); it is unmounted when the test ends, however it ends. Mounting needs root: run as
# another user, the test ends here, passed, with a note.
test_mount() {
  local dir=$1
  shift
  if ((EUID != 0)); then
    echo "ok - skipped: mounting $dir needs root"
    exit 0
  fi
  mkdir -p "$dir"
  mount "$@" "$dir" || fail "mount $* $dir failed"
}

# pgbak processes (e.g. a detached sync) whose command line, environment or
# working directory points under $T, with their process groups (sync runs
# scripts/backup and pg_basebackup in its own session): TERM, then KILL.
_e2e_kill_pgbak() {
  local exe p pid pgid pids=()
  exe=$(readlink -f "$PGBAK_BIN")
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid != "$$" && $(readlink "$p/exe" 2>/dev/null) == "$exe"* ]] || continue
    if [[ $(readlink "$p/cwd" 2>/dev/null)/ == "$T"/* ]] ||
      grep -qzsF -- "$T/" "$p/cmdline" "$p/environ"; then
      read -r _ _ _ _ pgid _ <"$p/stat" || continue
      if [[ $pgid == "$pid" ]]; then pids+=("-$pid"); else pids+=("$pid"); fi
    fi
  done
  ((${#pids[@]})) || return 0
  kill -TERM -- "${pids[@]}" 2>/dev/null
  for _ in {1..50}; do
    kill -0 -- "${pids[@]}" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "${pids[@]}" 2>/dev/null
  return 0
}

# ---- pgbak ------------------------------------------------------------------

# pgbak_init: `pgbak init` of $PGBAK, as postgres.
pgbak_init() {
  as_pg "$PGBAK_BIN" -D "$PGBAK" init >/dev/null
  [[ -d $PGBAK ]] || fail "pgbak init did not create $PGBAK"
}

# pgbak_run ARGS...: run pgbak -D "$PGBAK" ARGS as postgres.
pgbak_run() {
  as_pg "$PGBAK_BIN" -D "$PGBAK" "$@"
}

# ---- clusters ---------------------------------------------------------------

_e2e_name() {
  [[ $1 =~ ^[A-Za-z0-9_]+$ ]] || fail "bad cluster name '$1'"
}

_e2e_free_port() {
  local port
  for _ in {1..100}; do
    port=$((20000 + RANDOM % 40000))
    # Sockets are private, so this is caution: skip a port a TCP server uses
    # or another cluster of this test has.
    [[ -z $(ss -Hltn "sport = :$port" 2>/dev/null) ]] || continue
    grep -qsx "$port" "$T"/*.port && continue
    echo "$port"
    return
  done
  fail "no free port found"
}

# cluster_init NAME [CONF_LINE...]: initdb $T/NAME.data (trust auth) and
# cluster_configure it. Does not start it.
cluster_init() {
  _e2e_name "$1"
  [[ ! -e $T/$1.data ]] || fail "cluster $1 already exists"
  if ! as_pg initdb -D "$T/$1.data" --auth=trust >"$T/$1.initdb.out" 2>&1; then
    cat "$T/$1.initdb.out" >&2
    fail "initdb of cluster $1 failed"
  fi
  cluster_configure "$@"
}

# cluster_configure NAME [CONF_LINE...]: give the data directory $T/NAME.data
# (e.g. made by pgbak restore) a private socket and port, archiving through
# $T/NAME.archive.sh into the current $PGBAK, and the CONF_LINEs (appended
# last, so they win).
cluster_configure() {
  local name=$1 data=$T/$1.data port
  shift
  _e2e_name "$name"
  [[ -f $data/postgresql.conf ]] || fail "no $data/postgresql.conf"
  port=$(_e2e_free_port)
  echo "$port" >"$T/$name.port"
  as_pg mkdir -p "$T/$name.sock" "$T/$name.plain"
  cat >"$T/$name.archive.sh" <<EOF
#!/bin/sh
# archive_command of test cluster $name: keep a plain copy of exactly what
# PostgreSQL hands over, then archive it with pgbak and return its status.
set -e
plain=$(printf %q "$T/$name.plain")
f=\$(basename "\$1")
cp "\$1" "\$plain/.\$f.tmp"
mv -f "\$plain/.\$f.tmp" "\$plain/\$f"
exec $(printf %q "$PGBAK_BIN") -D $(printf %q "$PGBAK") archive-wal "\$1"
EOF
  chmod 755 "$T/$name.archive.sh"
  {
    echo "# ---- tests/e2e/lib.sh"
    echo "listen_addresses = ''"
    echo "port = $port"
    echo "unix_socket_directories = '$T/$name.sock'"
    echo "wal_level = replica"
    echo "archive_mode = on"
    echo "archive_command = '$T/$name.archive.sh %p'"
    echo "max_wal_senders = 4"
    echo "max_wal_size = 256MB"
    echo "log_min_messages = warning"
    if (($#)); then printf '%s\n' "$@"; fi
  } >>"$data/postgresql.conf"
}

# _e2e_with NAME CMD...: run CMD with the connection variables of cluster NAME.
_e2e_with() {
  local name=$1
  shift
  _e2e_name "$name"
  [[ -f $T/$name.port ]] || fail "no cluster $name"
  PGHOST=$T/$name.sock PGPORT=$(<"$T/$name.port") PGDATA=$T/$name.data PGDATABASE=postgres "$@"
}

# cluster_env NAME [--print]: export PGHOST, PGPORT, PGDATA and PGDATABASE of
# cluster NAME into this shell; with --print, print them as export lines.
cluster_env() {
  _e2e_name "$1"
  [[ -f $T/$1.port ]] || fail "no cluster $1"
  PGPORT=$(<"$T/$1.port")
  export PGHOST=$T/$1.sock PGPORT PGDATA=$T/$1.data PGDATABASE=postgres
  if [[ ${2:-} == --print ]]; then
    printf 'export PGHOST=%q PGPORT=%q PGDATA=%q PGDATABASE=postgres\n' "$PGHOST" "$PGPORT" "$PGDATA"
  fi
}

# cluster_start NAME: start the server (log in $T/NAME.log), waiting until it
# accepts connections. It runs with the cluster's PGHOST/PGPORT/PGDATA and
# PGBAK in its environment, so pgbak processes it starts find it.
cluster_start() {
  if ! _e2e_with "$1" as_pg pg_ctl -D "$T/$1.data" -l "$T/$1.log" -w -t 60 start >/dev/null; then
    fail "cluster $1 did not start"
  fi
}

# cluster_stop NAME [MODE]: stop the server (MODE: smart, fast (default), immediate).
cluster_stop() {
  _e2e_name "$1"
  as_pg pg_ctl -D "$T/$1.data" stop -m "${2:-fast}" -w -t 60 >/dev/null ||
    fail "cluster $1 did not stop"
}

# cluster_psql NAME ARGS...: psql -X -qAt -v ON_ERROR_STOP=1 ARGS, as the
# superuser, database postgres.
cluster_psql() {
  local name=$1
  shift
  _e2e_with "$name" as_pg psql -X -qAt -v ON_ERROR_STOP=1 "$@"
}

# cluster_pgbench NAME ARGS...: pgbench ARGS against database postgres.
cluster_pgbench() {
  local name=$1
  shift
  _e2e_with "$name" as_pg pgbench "$@"
}

# wait_for COMMAND...: run COMMAND every 0.1 s until it succeeds; the test fails after 60 s.
wait_for() {
  local deadline=$((SECONDS + 60))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting for: $*"
    sleep 0.1
  done
}

# wait_archived NAME [--no-failures] [--timeout SECONDS]: pg_switch_wal(), then
# wait (default 60 s) until the segment it ended, LAST_SWITCH_WAL, is archived.
# With --no-failures, a growing pg_stat_archiver.failed_count fails the test.
wait_archived() {
  local name=$1 strict=0 timeout=60 failed0 seg row archived failed last_failed deadline
  shift
  while (($#)); do
    case $1 in
    --no-failures) strict=1 ;;
    --timeout) timeout=$2 && shift ;;
    *) fail "wait_archived: unknown argument $1" ;;
    esac
    shift
  done
  failed0=$(cluster_psql "$name" -c 'SELECT failed_count FROM pg_stat_archiver')
  seg=$(cluster_psql "$name" -c 'SELECT pg_walfile_name(pg_switch_wal())')
  LAST_SWITCH_WAL=$seg
  # Archived: not .ready, and .done or already removed from pg_wal (only
  # archived segments are removed). Independent of archiving order.
  deadline=$((SECONDS + timeout))
  while :; do
    row=$(cluster_psql "$name" -c "
      SELECT (NOT EXISTS (SELECT FROM pg_ls_archive_statusdir() WHERE name = '$seg.ready')
              AND (EXISTS (SELECT FROM pg_ls_archive_statusdir() WHERE name = '$seg.done')
                   OR NOT EXISTS (SELECT FROM pg_ls_waldir() WHERE name = '$seg')))::int,
             failed_count, coalesce(last_failed_wal, '')
      FROM pg_stat_archiver")
    IFS='|' read -r archived failed last_failed <<<"$row"
    if ((strict && failed > failed0)); then
      fail "cluster $name: archive_command failed (failed_count $failed0 -> $failed, last $last_failed)"
    fi
    ((archived)) && return 0
    ((SECONDS < deadline)) ||
      fail "cluster $name: $seg not archived within ${timeout}s (failed_count $failed, last failed '$last_failed')"
    sleep 0.2
  done
}
