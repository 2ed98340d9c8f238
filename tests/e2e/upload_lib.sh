# shellcheck shell=bash
# Helpers shared by the upload script tests (tests/e2e/test_upload_*.sh).
# Sourced after lib.sh and e2e_init. Not a test itself (no test_ prefix).

# free_tcp_port: print a TCP port on 127.0.0.1 nobody listens on.
free_tcp_port() {
  local port
  for _ in {1..100}; do
    port=$((20000 + RANDOM % 40000))
    [[ -z $(ss -Hltn "sport = :$port" 2>/dev/null) ]] && echo "$port" && return
  done
  fail "no free TCP port found"
}

# wait_tcp PORT [SECONDS] [PID]: wait until something accepts connections on
# 127.0.0.1:PORT; fail early when process PID is gone.
wait_tcp() {
  local port=$1 deadline=$((SECONDS + ${2:-20})) pid=${3:-}
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    [[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || fail "server (pid $pid) exited before listening on port $port"
    ((SECONDS < deadline)) || fail "nothing listens on 127.0.0.1:$port after ${2:-20}s"
    sleep 0.1
  done
}

# stop_pid PID: TERM, then KILL, a process this test started; wait for it.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in {1..50}; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_server LOGFILE CMD...: start a server in the background (its command
# line must mention $T), set SERVER_PID. It is stopped when the test ends,
# however it ends: by the EXIT trap, or by a detached watchdog if this shell
# is killed (ctest's timeout sends SIGKILL).
UPLOAD_PIDS=()
start_server() {
  local log=$1
  shift
  "$@" </dev/null >>"$log" 2>&1 &
  SERVER_PID=$!
  UPLOAD_PIDS+=("$SERVER_PID")
  # shellcheck disable=SC2016 # expanded by the watchdog's shell
  setsid -f bash -c '
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    grep -qzsF -- "$3" "/proc/$2/cmdline" && kill -KILL "$2"' _ "$$" "$SERVER_PID" "$T" \
    </dev/null >/dev/null 2>&1
}
upload_cleanup() {
  local pid
  for pid in "${UPLOAD_PIDS[@]}"; do stop_pid "$pid"; done
  UPLOAD_PIDS=()
}
# Chain to lib.sh's EXIT trap, with the test's exit status in $?.
_upload_prev_exit=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT\$/\1/p")
[[ -n $_upload_prev_exit ]] || fail "upload_lib.sh: source it after e2e_init"
trap '_upload_rc=$?; trap - ERR; set +e; upload_cleanup; (exit $_upload_rc); eval "$_upload_prev_exit"' EXIT

# fake_wal_name N: the N-th WAL segment name of timeline 1.
fake_wal_name() { printf '0000000100000000%08X' "$1"; }

# make_sums DIR: (re)write DIR/SHA256SUMS for base.tzst and pg_wal/*, replacing
# it atomically as pgbak does.
make_sums() {
  (
    cd "$1" || exit 1
    {
      [[ ! -f base.tzst ]] || sha256sum base.tzst
      find pg_wal -maxdepth 1 -type f ! -name '.*' -print0 2>/dev/null | sort -z | xargs -0r sha256sum
    } >.SHA256SUMS.tmp
    chmod 600 .SHA256SUMS.tmp
    mv -f .SHA256SUMS.tmp SHA256SUMS
  )
}

# add_fake_wal DIR N [KIB]: add pg_wal/<N-th segment name>.zst made with zstd
# from KIB (default 64) KiB of random data, then rewrite SHA256SUMS.
add_fake_wal() {
  local dir=$1 name
  name=$(fake_wal_name "$2")
  head -c $((${3:-64} * 1024)) /dev/urandom | zstd -q -3 --check >"$dir/pg_wal/$name.zst"
  chmod 600 "$dir/pg_wal/$name.zst"
  make_sums "$dir"
}

# make_fake_generation PGBAK_DIR TS [BASE_KIB]: a generation PGBAK_DIR/TS as
# pgbak lays it out (base.tzst of BASE_KIB (default 512) KiB, three WAL files,
# SHA256SUMS; 0700/0600), with temporary files that upload scripts must not
# copy. Sets GEN to its path.
make_fake_generation() {
  GEN=$1/$2
  mkdir -p "$1"
  mkdir -m 700 "$GEN" "$GEN/pg_wal"
  mkdir -p "$GEN/.tmpdir" && echo junk >"$GEN/.tmpdir/x"
  head -c $((${3:-512} * 1024)) /dev/urandom | zstd -q -3 --check >"$GEN/base.tzst"
  chmod 600 "$GEN/base.tzst"
  local i
  for i in 1 2 3; do add_fake_wal "$GEN" "$i" $((16 + i * 40)); done
  echo junk >"$GEN/pg_wal/.$(fake_wal_name 9).zst.tmp.123.1"
}

# tree_listing DIR: relative paths of the regular files under DIR, without
# temporary (dot) names.
tree_listing() {
  (cd "$1" && find . -type f ! -name '.*' ! -path '*/.*' | sed 's|^\./||' | sort)
}

# assert_same_tree LOCAL REMOTE: the same files (dot names aside), byte for
# byte, and SHA256SUMS checks out in REMOTE.
assert_same_tree() {
  local f
  assert_eq "$(tree_listing "$1")" "$(tree_listing "$2")" "files in $2 vs $1"
  while IFS= read -r f; do
    cmp -s "$1/$f" "$2/$f" || fail "$2/$f differs from $1/$f"
  done < <(tree_listing "$1")
  (cd "$2" && sha256sum --quiet --strict -c SHA256SUMS) >"$T/.sumcheck" 2>&1 ||
    fail "sha256sum -c SHA256SUMS in $2: $(tr '\n' ' ' <"$T/.sumcheck")"
}

# fingerprint DIR: path, inode and change time of every file under DIR; any
# rewrite, replacement or attribute change of a file changes it.
fingerprint() {
  (cd "$1" && find . -type f ! -name '.*' ! -path '*/.*' -printf '%P %i %C@\n' | sort)
}

# changed_files BEFORE AFTER: paths whose fingerprint line changed or appeared.
changed_files() {
  comm -13 <(sort <<<"$1") <(sort <<<"$2") | cut -d' ' -f1 | sort | tr '\n' ' ' | sed 's/ $//'
}

# run_upload SCRIPT GEN [CURRENT_TS]: run an upload script as pgbak does: in the
# generation directory, with PGBAK set, args BASE_TS CURRENT_TS.
run_upload() {
  local script=$1 gen=$2
  (cd "$gen" && PGBAK=$(dirname "$gen") "$script" "$(basename "$gen")" "${3:-$(date +%s)}")
}

# assert_one_line_error PREFIX: LAST_STDERR is one line "PREFIX: what: why".
assert_one_line_error() {
  assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "number of stderr lines ($LAST_STDERR)"
  assert_match "^$1: .+: .+" "$LAST_STDERR" "error message format"
}

# pg_reachable SCRIPT: print SCRIPT's path, or that of a copy in $T/bin when the PostgreSQL user
# cannot reach the checkout (e.g. under /root).
pg_reachable() {
  if as_pg test -x "$1"; then
    echo "$1"
    return
  fi
  mkdir -p "$T/bin"
  cp "$1" "$T/bin/"
  echo "$T/bin/$(basename "$1")"
}

# pgbak_roundtrip SCRIPT DOWNLOAD_FN: the real thing: a PostgreSQL cluster
# archives through pgbak, whose scripts/backup is SCRIPT (settings in
# scripts/backup.env, written by the caller into $T/backup.env); `pgbak
# full-sync` and `force-sync` upload; DOWNLOAD_FN DEST fetches the remote copy
# into DEST, which must match the local generation; `pgbak verify` passes on
# DEST and a server made by `pgbak restore` from DEST has the data. (The fake
# generations of the tests are random bytes, which verify rightly rejects:
# verify runs only here, on real ones.)
pgbak_roundtrip() {
  local script=$1 download=$2 dl=$T/roundtrip.dl rows
  script=$(pg_reachable "$script")
  pgbak_init
  ln -sfn "$script" "$PGBAK/scripts/backup"
  install -m 600 "$T/backup.env" "$PGBAK/scripts/backup.env"
  if ((EUID == 0)); then chown -R postgres: "$PGBAK/scripts"; fi
  cluster_init main
  cluster_start main
  cluster_env main
  cluster_psql main -c 'CREATE TABLE t AS SELECT g FROM generate_series(1, 5000) g'
  assert_exit 0 pgbak_run full-sync
  cluster_psql main -c 'INSERT INTO t SELECT g FROM generate_series(5001, 6000) g'
  wait_archived main --no-failures
  cluster_stop main
  # Background syncs (started by archive-wal) upload too; end with all uploaded.
  pgbak_run wait 60 >/dev/null || true
  assert_exit 0 pgbak_run force-sync
  ok "pgbak full-sync and force-sync uploaded through $(basename "$script")"

  mkdir -p "$dl"
  "$download" "$dl"
  if ((EUID == 0)); then chown -R postgres: "$dl"; fi
  local gen
  gen=$(readlink "$PGBAK/current")
  assert_same_tree "$PGBAK/$gen" "$dl/$gen"
  ok "the downloaded copy of generation $gen matches the local one"
  assert_exit 0 as_pg "$PGBAK_BIN" -D "$dl" verify
  ok "pgbak verify passes on the copy downloaded from the remote"
  assert_exit 0 as_pg "$PGBAK_BIN" -D "$dl" restore "$T/restored.data"
  cluster_configure restored "archive_mode = off"
  cluster_start restored
  rows=$(cluster_psql restored -c 'SELECT count(*) FROM t')
  assert_eq 6000 "$rows" "rows in the server restored from the remote copy"
  ok "a server restored from the remote copy has all 6000 rows"
  cluster_stop restored
}

# check_incremental SCRIPT GEN FINGERPRINT_CMD...: a rerun of the upload rewrites nothing, and a
# new WAL file uploads just it and SHA256SUMS. FINGERPRINT_CMD prints the remote's fingerprint.
check_incremental() {
  local script=$1 gen=$2 before
  shift 2
  before=$("$@")
  assert_exit 0 run_upload "$script" "$gen"
  assert_eq "" "$(changed_files "$before" "$("$@")")" "files rewritten by a rerun"
  ok "rerun succeeds and rewrites nothing"
  add_fake_wal "$gen" 4
  before=$("$@")
  assert_exit 0 run_upload "$script" "$gen"
  assert_eq "SHA256SUMS pg_wal/$(fake_wal_name 4).zst" "$(changed_files "$before" "$("$@")")" \
    "files written by the rerun"
  ok "a new file uploads just it and SHA256SUMS"
}

# check_failed_data_upload SCRIPT GEN REMOTE NAME: a data file the remote cannot take (a
# directory in its place) makes the upload exit 1 with one line and leaves the remote
# SHA256SUMS as it was; once the obstacle is gone, the next run completes the copy.
check_failed_data_upload() {
  local script=$1 gen=$2 remote=$3 name=$4 old_sums blocked
  add_fake_wal "$gen" 5
  blocked=$remote/pg_wal/$(fake_wal_name 5).zst
  mkdir -p "$blocked/blocker"
  old_sums=$(<"$remote/SHA256SUMS")
  assert_exit 1 run_upload "$script" "$gen"
  assert_one_line_error "$name"
  assert_eq "$old_sums" "$(<"$remote/SHA256SUMS")" "remote SHA256SUMS after a failed data upload"
  ok "failed data upload: exit 1, SHA256SUMS untouched ($LAST_STDERR)"
  rm -rf "$blocked"
  assert_exit 0 run_upload "$script" "$gen"
  assert_same_tree "$gen" "$remote"
  ok "the next run completes it"
}

# fetch_as DIR VERB ARGS...: run DIR/scripts/fetch as pgbak does (PGBAK=DIR).
fetch_as() {
  local dir=$1
  shift
  PGBAK=$dir "$dir/scripts/fetch" "$@"
}

# check_fetch_contract SCRIPT DIR GEN: SCRIPT linked as DIR/scripts/fetch, after GEN was uploaded:
# `list` names exactly GEN's uploaded files (as BASE_TS/PATH), `get` returns each byte for byte,
# a missing file or generation is exit 1 with nothing on stdout, a path outside the layout is
# exit 2, and SCRIPT called with the verb as its first argument does the same as the link.
check_fetch_contract() {
  local script=$1 dir=$2 gen=$3 ts f
  ts=$(basename "$gen")
  mkdir -p "$dir/scripts"
  ln -sfn "$script" "$dir/scripts/fetch"
  assert_exit 0 fetch_as "$dir" list
  assert_eq "$(tree_listing "$gen" | sed "s|^|$ts/|")" "$(grep "^$ts/" <<<"$LAST_STDOUT" | sort)" \
    "fetch list of generation $ts"
  assert_eq "" "$(grep '\(^\|/\)\.' <<<"$LAST_STDOUT")" "dot names in the fetch listing"
  while IFS= read -r f; do
    fetch_as "$dir" get "$ts/$f" >"$T/fetched" || fail "fetch get $ts/$f failed"
    cmp -s "$gen/$f" "$T/fetched" || fail "fetch get $ts/$f: other bytes than uploaded"
  done < <(tree_listing "$gen")
  ok "fetch: list names exactly the uploaded files, get returns each byte for byte"
  assert_exit 1 fetch_as "$dir" get "$ts/pg_wal/$(fake_wal_name 99).zst"
  assert_eq "" "$LAST_STDOUT" "stdout of fetch get for a missing file"
  assert_exit 1 fetch_as "$dir" get "1999999999/base.tzst"
  assert_eq "" "$LAST_STDOUT" "stdout of fetch get in a missing generation"
  ok "fetch get of a missing file or generation: exit 1, nothing on stdout"
  for f in ../etc/passwd "$ts/../x" "$ts/.hidden" "$ts" "$ts/" /etc/passwd "$ts//base.tzst"; do
    assert_exit 2 fetch_as "$dir" get "$f"
    assert_one_line_error "$(basename "$script")"
  done
  assert_exit 2 fetch_as "$dir" delete ../x
  ok "fetch with a path outside the layout: exit 2, $LAST_STDERR"
  PGBAK=$dir "$script" get "$ts/base.tzst" >"$T/fetched" || fail "$script get (first argument) failed"
  cmp -s "$gen/base.tzst" "$T/fetched" || fail "$script get: other bytes than uploaded"
  ok "called with the verb as its first argument, $(basename "$script") fetches the same"
}

# check_fetch_delete DIR TS: `fetch delete TS` removes that generation (and nothing else) from the
# listing; deleting it again succeeds.
check_fetch_delete() {
  local dir=$1 ts=$2 before
  before=$(fetch_as "$dir" list) || fail "fetch list failed"
  grep -q "^$ts/" <<<"$before" || fail "generation $ts is not listed before the delete"
  assert_exit 0 fetch_as "$dir" delete "$ts"
  assert_eq "$(grep -v "^$ts/" <<<"$before")" "$(fetch_as "$dir" list)" "listing after deleting $ts"
  assert_exit 0 fetch_as "$dir" delete "$ts"
  ok "fetch delete $ts removes just that generation; deleting it again is fine"
}

# check_fetch_down DIR TS NAME: with the server down, list and get fail with an exit status other
# than 0 and 1 (1 would mean "missing") and one line on stderr.
check_fetch_down() {
  local dir=$1 ts=$2 name=$3 rc=0
  fetch_as "$dir" get "$ts/base.tzst" >"$T/fetched" 2>"$T/.fetch_err" || rc=$?
  ((rc != 0 && rc != 1)) || fail "fetch get with the server down: exit $rc, expected a failure other than 'missing'"
  LAST_STDERR=$(<"$T/.fetch_err")
  assert_one_line_error "$name"
  rc=0
  fetch_as "$dir" list >/dev/null 2>"$T/.fetch_err" || rc=$?
  ((rc != 0 && rc != 1)) || fail "fetch list with the server down: exit $rc"
  ok "server down: fetch get and list fail (exit $rc), $LAST_STDERR"
}
