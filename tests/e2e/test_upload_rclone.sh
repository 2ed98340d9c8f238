#!/usr/bin/env bash
# scripts/backup-rclone end to end against `rclone serve sftp` on 127.0.0.1
# (a generated host key, password login, a generated client rclone.conf): the
# remote copy is byte-identical and passes sha256sum -c; a rerun changes
# nothing; a new file uploads just it (and SHA256SUMS); a failed data upload
# leaves the remote SHA256SUMS alone; the server down is a one-line error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"
source "$PGBAK_SRC/tests/e2e/restore_lib.sh"
source "$PGBAK_SRC/tests/e2e/drill_lib.sh"
SCRIPT=$PGBAK_SRC/scripts/backup-rclone
command -v rclone >/dev/null || fail "no rclone (install rclone)"

# ---- the server: rclone serve sftp of $T/remote
mkdir -m 700 "$T/remote" "$T/rclone"
ssh-keygen -q -t ed25519 -N '' -f "$T/rclone/host_key" -C pgbak-test-host
: >"$T/rclone/server.conf"
port=$(free_tcp_port)
password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
# --dir-cache-time 0s: the test changes files behind the server's back.
start_sftp() {
  start_server "$T/rclone-serve.log" rclone serve sftp "$T/remote" --config "$T/rclone/server.conf" \
    --addr "127.0.0.1:$port" --user pgbak --pass "$password" --key "$T/rclone/host_key" \
    --cache-dir "$T/rclone/server-cache" --dir-cache-time 0s --log-level INFO
  sftp_pid=$SERVER_PID
  wait_tcp "$port" 20 "$sftp_pid"
}
start_sftp

# ---- the client: a remote named "t" in a private config
cat >"$T/rclone/rclone.conf" <<EOF
[t]
type = sftp
host = 127.0.0.1
port = $port
user = pgbak
pass = $(rclone obscure "$password")
EOF
chmod 600 "$T/rclone/rclone.conf"
export PGBAK_RCLONE_CONFIG=$T/rclone/rclone.conf
export RCLONE_CACHE_DIR=$T/rclone/client-cache
# Fail fast when the server is down (the script's defaults retry longer).
export PGBAK_RCLONE_OPTS="--retries 2 --low-level-retries 2 --contimeout 5s --timeout 20s"
rclone --config "$PGBAK_RCLONE_CONFIG" lsf t: >/dev/null || fail "rclone cannot list the test sftp server"
ok "rclone serve sftp on 127.0.0.1:$port answers"

export PGBAK_RCLONE_REMOTE=t:backups
make_fake_generation "$T/pgbak" 1763700000
REMOTE=$T/remote/backups/1763700000

# ---- settings missing or wrong
no_remote() { (unset PGBAK_RCLONE_REMOTE && run_upload "$SCRIPT" "$GEN"); }
assert_exit 2 no_remote
assert_one_line_error backup-rclone
ok "no PGBAK_RCLONE_REMOTE: exit 2, $LAST_STDERR"

# ---- first upload
assert_exit 0 run_upload "$SCRIPT" "$GEN"
assert_same_tree "$GEN" "$REMOTE"
assert_eq "" "$(find "$T/remote" -name '.*')" "temporary (dot) files on the remote"
ok "uploaded: byte-identical, sha256sum -c passes, no temp files"

# ---- rerun is a no-op; a new WAL file uploads just it and SHA256SUMS
check_incremental "$SCRIPT" "$GEN" fingerprint "$REMOTE"
assert_same_tree "$GEN" "$REMOTE"

# ---- two runs at once (a manual run next to pgbak's) both succeed
add_fake_wal "$GEN" 7
run_upload "$SCRIPT" "$GEN" >"$T/run1.out" 2>&1 & pid1=$!
run_upload "$SCRIPT" "$GEN" >"$T/run2.out" 2>&1 & pid2=$!
wait "$pid1" || fail "first of two concurrent runs failed: $(<"$T/run1.out")"
wait "$pid2" || fail "second of two concurrent runs failed: $(<"$T/run2.out")"
assert_same_tree "$GEN" "$REMOTE"
ok "two concurrent runs both succeed"

# ---- a data file that cannot be written: failure, old SHA256SUMS stays
check_failed_data_upload "$SCRIPT" "$GEN" "$REMOTE" backup-rclone

# ---- a file cut short on the remote (an interrupted upload) is uploaded again
wal2=pg_wal/$(fake_wal_name 2).zst
truncate -s 100 "$REMOTE/$wal2"
assert_exit 0 run_upload "$SCRIPT" "$GEN"
cmp -s "$GEN/$wal2" "$REMOTE/$wal2" || fail "a truncated remote $wal2 was not uploaded again"
ok "a remote file of the wrong size is uploaded again"

# ---- the downloaded copy (through rclone, from the server)
mkdir "$T/dl"
rclone --config "$PGBAK_RCLONE_CONFIG" copy t:backups "$T/dl"
assert_same_tree "$GEN" "$T/dl/1763700000"
ok "downloaded back through rclone: byte-identical"

# ---- the same script linked as scripts/fetch: list, get, delete
mkdir -p "$T/pgbak/scripts"
check_fetch_contract "$SCRIPT" "$T/pgbak" "$GEN"
make_fake_generation "$T/pgbak" 1763800000
assert_exit 0 run_upload "$SCRIPT" "$GEN"
check_fetch_delete "$T/pgbak" 1763800000
GEN=$T/pgbak/1763700000

# ---- server down
stop_pid "$sftp_pid"
add_fake_wal "$GEN" 6
start=$SECONDS
assert_exit 1 run_upload "$SCRIPT" "$GEN"
assert_one_line_error backup-rclone
ok "server down: exit 1 after $((SECONDS - start))s, $LAST_STDERR"
check_fetch_down "$T/pgbak" 1763700000 backup-rclone

# ---- through pgbak itself, with a real server
start_sftp
install -m 600 "$T/rclone/rclone.conf" "$T/rclone/pg.conf"
if ((EUID == 0)); then chown -R postgres: "$T/rclone"; fi
cat >"$T/backup.env" <<EOF
PGBAK_RCLONE_REMOTE=t:roundtrip
PGBAK_RCLONE_CONFIG='$T/rclone/pg.conf'
RCLONE_CACHE_DIR='$T/rclone/pg-cache'
export RCLONE_CACHE_DIR
EOF
download() { rclone --config "$PGBAK_RCLONE_CONFIG" copy t:roundtrip "$1"; }
PGBAK=$T/pgbak-rt
pgbak_roundtrip "$SCRIPT" download
sed "s|t:roundtrip|t:drill|" "$T/backup.env" >"$T/drill.env"
disaster_drill "$SCRIPT" "$T/drill.env"
ok "backup-rclone end to end"
