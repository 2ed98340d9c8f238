#!/usr/bin/env bash
# Security: with umask 000, init, keygen, archive-wal (as archive_command), full-sync and
# restore-wal create every file 0600 (scripts/backup 0700) and every directory 0700. The backup
# script runs with a clean environment: the documented variables only (no secret of the caller,
# nothing naming the encryption key), PGBAK set, and only descriptors 0-2 open.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
umask 000
pgbak_init
as_pg mkdir "$T/keys"
assert_exit 0 pgbak_run keygen "$T/keys/backup.key"
cat >"$T/probe.sh" <<EOS
#!/bin/sh
env >'$T/script.env'
ls /proc/self/fd >'$T/script.fds'
exit 0
EOS
chmod 755 "$T/probe.sh"
assert_eq 700 "$(stat -c %a "$PGBAK/scripts/backup")" "mode of init's example scripts/backup"
rm "$PGBAK/scripts/backup"
# Linked, not copied: the script's own mode is the test's, not pgbak's.
ln -s "$T/probe.sh" "$PGBAK/scripts/backup"

cluster_init main
sed -i '2i umask 000' "$T/main.archive.sh"
cluster_start main
cluster_env main
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
printf 'encryption-key-file = %s\n' "$T/keys/backup.key" >"$PGBAK/pgbak.conf"
chown postgres: "$PGBAK/pgbak.conf"
chmod 600 "$PGBAK/pgbak.conf"
cluster_psql main -c "CREATE TABLE t AS SELECT 1 AS x"
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
assert_exit 0 as_pg env SECRET_TOKEN=hunter2 PGBAK_FAULT= AWS_SECRET_ACCESS_KEY=x \
  "$PGBAK_BIN" -D "$PGBAK" full-sync
# Last, once the syncs the snapshot's WAL started are done: a script run by the caller's sync.
assert_exit 0 pgbak_run wait 60
assert_exit 0 as_pg env SECRET_TOKEN=hunter2 PGBAK_FAULT= AWS_SECRET_ACCESS_KEY=x \
  "$PGBAK_BIN" -D "$PGBAK" force-sync
as_pg mkdir -m 777 "$T/restored"
seg=$LAST_SWITCH_WAL
assert_exit 0 pgbak_run restore-wal "$seg" "$T/restored/$seg"

assert_eq 600 "$(stat -c %a "$T/keys/backup.key")" "mode of the key file from keygen"
bad=$(find "$PGBAK" "$T/restored" -mindepth 1 \
  \( -type d ! -perm 700 -o -type f ! -perm 600 ! -path "$PGBAK/pgbak.conf" \) -printf '%m %p\n')
assert_eq "" "$bad" "paths with modes other than 0600/0700 created under umask 000"
n=$(find "$PGBAK" | wc -l)
ok "umask 000: $n paths from init, keygen, archive-wal, full-sync, restore-wal, all 0600/0700"

env_names=$(cut -d= -f1 "$T/script.env" | sort | tr '\n' ' ')
for v in SECRET_TOKEN AWS_SECRET_ACCESS_KEY PGBAK_FAULT PGBAK_BIN PGBAK_SRC T; do
  grep -q "^$v=" "$T/script.env" && fail "the backup script got $v from the caller ($env_names)"
done
grep -q "backup.key" "$T/script.env" && fail "the script's environment names the key file"
grep -qx "PGBAK=$PGBAK" "$T/script.env" || fail "PGBAK not set for the script"
for v in $env_names; do
  [[ $v =~ ^(PATH|HOME|USER|LOGNAME|SHELL|LANG|TZ|TMPDIR|SSH_AUTH_SOCK|LC_[A-Z_]+|PG[A-Z]+|PWD|OLDPWD|SHLVL|_)$ ]] ||
    fail "undocumented variable $v in the script's environment"
done
# 0-2 from pgbak, 3 is the directory ls reads.
assert_eq "0 1 2 3" "$(sort -n "$T/script.fds" | tr '\n' ' ' | sed 's/ $//')" \
  "descriptors open in the backup script"
ok "backup script environment: $env_names; descriptors $(tr '\n' ' ' <"$T/script.fds")"
cluster_stop main
