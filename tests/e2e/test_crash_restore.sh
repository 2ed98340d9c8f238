#!/usr/bin/env bash
# restore killed (kill -9) at every step: temp directory made, mid-extraction, extracted,
# before and after its rename. Before the rename no PGDATA is left (an empty PGDATA given
# beforehand stays empty); after it PGDATA is complete. The next restore removes the dead one's
# temp directory and succeeds; a server started on it recovers the data.
# As root with --owner, a planted symlink: the database user, who owns PGDATA's parent, cannot
# enter the temp directory during the extraction (it is root's and 0700 until the rename); a
# symlink put in place of a directory the extraction just made (as root, while pgbak is stopped
# there) is not followed: the restore fails in one line and the link's target keeps its mode and
# owner.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 1
make_base
cluster_pgbench main -c 2 -j 2 -T 2 >>"$T/pgbench.log" 2>&1
want=$(table_sums main)
wait_archived main --no-failures

owner=()
if ((EUID == 0)); then owner=(--owner postgres); fi
# restore_at STEP PGDATA: a restore killed at STEP (as root when root).
restore_at() {
  local rc=0
  PGBAK_FAULT=$1 "$PGBAK_BIN" -D "$PGBAK" restore "$2" "${owner[@]}" >/dev/null 2>&1 || rc=$?
  assert_eq 137 "$rc" "exit status of a restore killed at $1"
}
temps() { ls -A "$T" | grep pgbak-restore || true; }

for step in restore-temp-created restore-extract:global/pg_control restore-after-extract \
  restore-before-rename; do
  data=$T/r.data
  restore_at "$step" "$data"
  assert_no_file "$data"
  [[ -n $(temps) ]] || fail "no temp directory left by the restore killed at $step"
  assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore "$data" "${owner[@]}"
  assert_file "$data/backup_label"
  assert_file "$data/recovery.signal"
  assert_eq "" "$(temps)" "temp directories after restoring again ($step)"
  rm -rf "$data"
  ok "restore killed at $step: no PGDATA; the next restore removes the temp directory and succeeds"
done

mkdir "$T/empty.data"
((EUID != 0)) || chown postgres: "$T/empty.data"
restore_at restore-extract:global/pg_control "$T/empty.data"
assert_eq "" "$(ls -A "$T/empty.data")" "a given empty PGDATA after a killed restore"
restore_at restore-after-rename "$T/renamed.data"
assert_file "$T/renamed.data/backup_label"
assert_file "$T/renamed.data/postgresql.auto.conf"
assert_eq "" "$(temps | grep '^\.renamed\.' || true)" "temp directories after a kill past the rename"
ok "a given empty PGDATA stays empty; a kill after the rename leaves the complete PGDATA"

restore_and_start empty "${owner[@]}"
assert_eq "" "$(temps)" "temp directories after restoring into the given PGDATA again"
assert_eq "$want" "$(table_sums empty)" "data of the server restored after a killed restore"
cluster_stop empty
ok "the restore after a killed one recovers the same data"

if ((EUID == 0)); then
  # PGDATA's parent belongs to the database user; a root-owned directory a link could aim at.
  as_pg mkdir -m 700 "$T/pgparent"
  mkdir -m 755 "$T/victim"
  # paused_restore NAME: a root restore into pgparent/NAME stopped (SIGSTOP) right after it made
  # the directory "base"; sets PAUSED_PID and TEMP_DIR.
  paused_restore() {
    PGBAK_PAUSE=restore-dir-created:base "$PGBAK_BIN" -D "$PGBAK" restore "$T/pgparent/$1" \
      --owner postgres >"$T/paused.out" 2>"$T/paused.err" &
    PAUSED_PID=$!
    local deadline=$((SECONDS + 60))
    until [[ $(awk '{print $3}' "/proc/$PAUSED_PID/stat" 2>/dev/null) == T ]]; do
      ((SECONDS < deadline)) || fail "the restore did not stop at restore-dir-created:base"
      sleep 0.1
    done
    TEMP_DIR=$(ls -d "$T/pgparent/.$1.pgbak-restore."*)
  }
  plant() { mv "$1/base" "$1/base.moved" && ln -s "$T/victim" "$1/base"; }

  paused_restore user.data
  assert_eq "root 700" "$(stat -c '%U %a' "$TEMP_DIR")" "temp directory during the extraction"
  if as_pg bash -c "$(declare -f plant); T=$T; plant $TEMP_DIR" 2>/dev/null; then
    planted=1
  else
    planted=0
  fi
  kill -CONT "$PAUSED_PID"
  rc=0
  wait "$PAUSED_PID" || rc=$?
  assert_eq "0 root 755" "$planted $(stat -c '%U %a' "$T/victim")" "planted?, victim's owner and mode"
  assert_eq 0 "$rc" "exit status of the restore the database user tried to race"
  assert_eq "postgres 700" "$(stat -c '%U %a' "$T/pgparent/user.data")" "restored PGDATA"
  assert_eq "" "$(find "$T/pgparent/user.data" ! -user postgres)" "files not owned by --owner"
  ok "as root with --owner: the database user cannot enter the temp directory during extraction"

  paused_restore root.data
  plant "$TEMP_DIR"
  kill -CONT "$PAUSED_PID"
  rc=0
  wait "$PAUSED_PID" || rc=$?
  assert_eq 1 "$rc" "exit status of a restore with a planted symlink"
  assert_match "^pgbak: refusing to extract '$T/pgparent/root.data/base': it is not a directory \(a symlink\?\)$" \
    "$(cat "$T/paused.err")"
  assert_eq "root 755" "$(stat -c '%U %a' "$T/victim")" "the link target's owner and mode"
  assert_eq "" "$(ls -A "$T/victim")" "files in the link target"
  assert_no_file "$T/pgparent/root.data"
  assert_eq "" "$(ls -A "$T/pgparent" | grep pgbak-restore || true)" "temp directories left"
  ok "a symlink planted in place of a new directory is not followed: one line, target untouched"
fi
cluster_stop main
