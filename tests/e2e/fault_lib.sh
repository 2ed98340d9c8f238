# Helpers for the crash and fault tests (test_crash_*.sh, test_sync_faults.sh, ...), sourced
# after lib.sh and sync_lib.sh.

# state_work_bits: the pending and running work bits of pgbak.lock's state byte, ORed.
state_work_bits() {
  local b
  b=$(od -An -tu1 -N1 "$PGBAK/pgbak.lock" | tr -d ' ')
  echo $((((${b:-0}) & 15) | ((${b:-0}) >> 4)))
}

# set_state_byte HEX: write the state byte (only while no sync runs).
set_state_byte() {
  printf "\\x$1" | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none
}

# hold_syncs NAME / release_syncs NAME: cluster NAME's archive_command keeps archiving, but a
# background sync it starts dies at its first step (its first durable write, of sync.status),
# before touching the state byte; so a test can look at the state a crash left. (Failing the
# archive_command instead would hang pg_basebackup -X none, which waits for archiving.)
hold_syncs() {
  as_pg touch "$T/$1.hold"
  grep -q "$1.hold" "$T/$1.archive.sh" ||
    sed -i "2i [ -e '$T/$1.hold' ] \\&\\& export PGBAK_FAULT=after-open:sync.status" "$T/$1.archive.sh"
}
release_syncs() { rm -f "$T/$1.hold"; }

# no_temp_files: no temp file left anywhere under $PGBAK.
no_temp_files() {
  local left
  left=$(find "$PGBAK" -name '.*.tmp.*')
  [[ -z $left ]] || fail "temp files left: $left"
}

# stored_files_intact: every file under a final name in every generation is whole: each .zst
# passes zstd's checksum test, and each SHA256SUMS matches the files it lists.
stored_files_intact() {
  local f g
  while IFS= read -r f; do
    zstd -qt "$f" 2>/dev/null || fail "partial or corrupt file under its final name: $f"
  done < <(find "$PGBAK" -name '*.zst' -o -name '*.tzst')
  for g in "$PGBAK"/[0-9]*/; do
    if [[ -f $g/SHA256SUMS ]]; then
      (cd "$g" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1) ||
        fail "$g/SHA256SUMS does not match its files"
    fi
  done
}

# pgbak_fault STEP ARGS...: run pgbak ARGS with PGBAK_FAULT=STEP; it must die by SIGKILL.
pgbak_fault() {
  local step=$1 rc=0
  shift
  as_pg env PGBAK_FAULT="$step" "$PGBAK_BIN" -D "$PGBAK" "$@" >/dev/null 2>&1 || rc=$?
  assert_eq 137 "$rc" "pgbak $* killed at $step"
}
