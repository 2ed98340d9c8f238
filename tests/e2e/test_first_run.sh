#!/usr/bin/env bash
# What a new user meets before any server is involved: init's layout and its errors, who may run
# which command, config-file quoting and misspellings. Runs as root (servers' user: postgres).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
((EUID == 0)) || fail "this test switches users: run it as root"
e2e_init

# ---- init: an explicit zero state and a commented pgbak.conf, conninfo first
assert_exit 0 pgbak_run init
assert_match "created $PGBAK/pgbak.conf" "$LAST_STDOUT"
assert_eq 00 "$(od -An -tx1 "$PGBAK/pgbak.lock" | tr -d ' \n')" "pgbak.lock holds one zero byte"
assert_file "$PGBAK/sync.status"
grep -qx 'consecutive_failures=0' "$PGBAK/sync.status" || fail "sync.status: $(cat "$PGBAK/sync.status")"
first=$(grep -m1 -E '^#[a-z-]+ = ' "$PGBAK/pgbak.conf")
assert_eq "#conninfo = ''" "$first" "the first setting of the template"
[[ -z $(grep -vE '^(#.*)?$' "$PGBAK/pgbak.conf") ]] || fail "pgbak.conf sets something: $(cat "$PGBAK/pgbak.conf")"
for key in $(pgbak_run --help | sed -n 's/^  --\([a-z-]*\) arg.*/\1/p'); do
  [[ $key == dir || $key == config ]] && continue
  grep -q "^#$key = " "$PGBAK/pgbak.conf" || fail "pgbak.conf template lacks $key"
done
assert_eq 600 "$(stat -c %a "$PGBAK/pgbak.conf")"
assert_exit 0 pgbak_run status
assert_match "pending +none" "$LAST_STDOUT"
assert_match "last error +none" "$LAST_STDOUT"
ok "init: zero state byte, sync.status, every setting commented in pgbak.conf (conninfo first)"
# Uncommenting a line of the template gives a valid file; init again keeps it.
sed -i 's/^#compress-level = 3$/compress-level = 4/' "$PGBAK/pgbak.conf"
assert_exit 0 pgbak_run init
grep -qx 'compress-level = 4' "$PGBAK/pgbak.conf" || fail "init replaced pgbak.conf"
ok "init again keeps pgbak.conf"

# ---- init where it cannot work: one line saying what to run
assert_exit 1 as_pg "$PGBAK_BIN" -D "$T/missing/deeper" init
assert_eq 1 "$(wc -l <<<"$LAST_STDERR")" "one line"
assert_match "^pgbak: cannot create backup directory '$T/missing/deeper': No such file or directory \(HINT: as root: install -d -o postgres -m 700 $T/missing/deeper\)$" "$LAST_STDERR"
mkdir -m 700 "$T/rootdir"
assert_exit 1 as_pg "$PGBAK_BIN" -D "$T/rootdir" init
assert_match "^pgbak: cannot write into backup directory '$T/rootdir': Permission denied \(HINT: as root: install -d -o postgres -m 700 $T/rootdir\)$" "$LAST_STDERR"
assert_exit 1 "$PGBAK_BIN" -D "$T/byroot" init
assert_match "^pgbak: refusing to create backup directory '$T/byroot' as root \(HINT: as root: install -d -o postgres -m 700 $T/byroot; then: sudo -u postgres pgbak -D $T/byroot init\)$" "$LAST_STDERR"
assert_no_file "$T/byroot"
install -d -o postgres -m 700 "$T/byroot"
assert_exit 0 as_pg "$PGBAK_BIN" -D "$T/byroot" init
ok "init: missing parent, root's directory, root creating one: one line with the install -d hint; the hint works"

# ---- as root in postgres's directory: refused before anything runs; read-only commands work
write_backup_script "touch $T/script-ran"
before=$(find "$PGBAK" -printf '%p %u %s %T@\n' | sort)
for cmd in sync force-sync full-sync "wait 0" init "prune --keep 1"; do
  # shellcheck disable=SC2086 # split the command's arguments
  assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" $cmd
  assert_eq 1 "$(wc -l <<<"$LAST_STDERR")" "$cmd: one line"
  assert_match "^pgbak: refusing to run '${cmd%% *}' as root: backup directory '$PGBAK' belongs to postgres \(HINT: run it as the directory's owner: sudo -u postgres pgbak -D $PGBAK ${cmd%% *} \.\.\.\)$" "$LAST_STDERR"
done
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" archive-wal pg_wal/000000010000000000000001
assert_match "refusing to run 'archive-wal' as root" "$LAST_STDERR"
assert_no_file "$T/script-ran" "the backup script ran as root"
assert_eq "$before" "$(find "$PGBAK" -printf '%p %u %s %T@\n' | sort)" "root changed the directory"
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" status
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" verify # runs, and finds nothing to restore yet
assert_match "no generation has a base backup" "$LAST_STDOUT"
ok "root is refused for commands that write or run the script (nothing changed, script not run); status and verify work"

# ---- a directory this user cannot read: one error naming the owner, not a config-file error
assert_exit 1 as_pg "$PGBAK_BIN" -D "$T/rootdir" status
assert_eq 1 "$(wc -l <<<"$LAST_STDERR")"
assert_match "^pgbak: cannot use backup directory '$T/rootdir': Permission denied \(it belongs to root\) \(HINT: run it as the directory's owner: sudo -u root" "$LAST_STDERR"
ok "unreadable directory: says whose it is"

# ---- pgbak.conf: values quoted like postgresql.conf, the last line wins, misspellings
write_conf "keep = '3'  # quoted, with a comment" 'compress-level="5"' "keep = 2"
assert_exit 0 pgbak_run prune --keep 1 --dry-run
write_conf "compres-level = 3"
assert_exit 2 pgbak_run status
assert_eq "pgbak: config file '$PGBAK/pgbak.conf:1': unknown setting 'compres-level' (did you mean 'compress-level'?)" "$LAST_STDERR"
write_conf "# ok" "conninfo = 'host=x"
assert_exit 2 pgbak_run status
assert_eq "pgbak: config file '$PGBAK/pgbak.conf:2': setting 'conninfo': unterminated quoted value (missing ')" "$LAST_STDERR"
write_conf "keep = 'abc'"
assert_exit 2 pgbak_run status
assert_match "^pgbak: config file '$PGBAK/pgbak.conf:1': .*keep" "$LAST_STDERR"
assert_exit 2 pgbak_run status --compres-level 3
assert_match "did you mean '--compress-level'" "$LAST_STDERR"
ok "pgbak.conf: quoted values, unknown settings get a suggestion with FILE:LINE"
