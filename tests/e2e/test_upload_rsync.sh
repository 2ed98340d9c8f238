#!/usr/bin/env bash
# scripts/backup-rsync end to end against a private sshd on 127.0.0.1: the
# remote copy is byte-identical and passes sha256sum -c; a rerun changes
# nothing; a new file uploads just it (and SHA256SUMS); a failed data upload
# leaves the remote SHA256SUMS alone; the server down is a one-line error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"
source "$PGBAK_SRC/tests/e2e/restore_lib.sh"
source "$PGBAK_SRC/tests/e2e/drill_lib.sh"
SCRIPT=$PGBAK_SRC/scripts/backup-rsync
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[[ -x $SSHD ]] || fail "no sshd (install openssh-server)"
command -v rsync >/dev/null || fail "no rsync (install rsync)"

# ---- a private sshd: generated host key, one authorized key, this user only
user=$(id -un)
mkdir -m 700 "$T/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key" -C pgbak-test-host
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client_key" -C pgbak-test-client
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/rr_key" -C pgbak-test-rrsync
mkdir -m 700 "$T/remote-rr"
{
  cat "$T/ssh/client_key.pub"
  # The locked-down setup docs/upload.md recommends: write-only rrsync.
  echo "command=\"rrsync -wo $T/remote-rr\",restrict $(<"$T/ssh/rr_key.pub")"
} >"$T/ssh/authorized_keys"
port=$(free_tcp_port)
cat >"$T/ssh/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/ssh/host_key
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $T/ssh/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
LogLevel VERBOSE
EOF
if ((EUID == 0)); then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
"$SSHD" -t -f "$T/ssh/sshd_config" || fail "sshd -t rejects the generated config"
start_server "$T/sshd.log" "$SSHD" -D -e -f "$T/ssh/sshd_config"
sshd_pid=$SERVER_PID
wait_tcp "$port" 20 "$sshd_pid"
ssh_cmd="ssh -F /dev/null -p $port -i $T/ssh/client_key -o IdentitiesOnly=yes -o BatchMode=yes"
ssh_cmd+=" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5"
# shellcheck disable=SC2086
$ssh_cmd "$user@127.0.0.1" true || fail "cannot log in to the test sshd"
ok "sshd on 127.0.0.1:$port accepts the test key"

mkdir -m 700 "$T/remote"
export PGBAK_RSYNC_SSH=$ssh_cmd
export PGBAK_RSYNC_TARGET=$user@127.0.0.1:$T/remote
make_fake_generation "$T/pgbak" 1763700000
mkdir -m 700 "$T/pgbak/scripts"
REMOTE=$T/remote/1763700000

# ---- settings missing
no_target() { (unset PGBAK_RSYNC_TARGET && run_upload "$SCRIPT" "$GEN"); }
assert_exit 2 no_target
assert_one_line_error backup-rsync
ok "no PGBAK_RSYNC_TARGET: exit 2, $LAST_STDERR"

echo "PGBAK_RSYNC_TARGET='unterminated" >"$T/pgbak/scripts/backup.env"
assert_exit 2 no_target
assert_one_line_error backup-rsync
ok "broken backup.env: exit 2, $LAST_STDERR"

# ---- first upload, settings from $PGBAK/scripts/backup.env
echo "PGBAK_RSYNC_TARGET='$PGBAK_RSYNC_TARGET'" >"$T/pgbak/scripts/backup.env"
assert_exit 0 no_target
rm "$T/pgbak/scripts/backup.env"
assert_same_tree "$GEN" "$REMOTE"
assert_eq "" "$(find "$T/remote" -name '.*')" "temporary (dot) files on the remote"
assert_eq "" "$(find "$REMOTE" \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \))" "remote modes other than 0600/0700"
ok "uploaded with settings from scripts/backup.env: byte-identical, sha256sum -c passes, no temp files, 0600/0700"

# ---- rerun is a no-op; a new WAL file uploads just it and SHA256SUMS
check_incremental "$SCRIPT" "$GEN" fingerprint "$REMOTE"
assert_same_tree "$GEN" "$REMOTE"

# ---- a data file that cannot be written: failure, old SHA256SUMS stays
check_failed_data_upload "$SCRIPT" "$GEN" "$REMOTE" backup-rsync

# ---- the downloaded copy
mkdir "$T/dl"
rsync -a -e "$ssh_cmd" "$user@127.0.0.1:$T/remote/" "$T/dl/"
assert_same_tree "$GEN" "$T/dl/1763700000"
ok "downloaded back over ssh: byte-identical"

# ---- the same script linked as scripts/fetch: list, get, delete
check_fetch_contract "$SCRIPT" "$T/pgbak" "$GEN"
make_fake_generation "$T/pgbak" 1763800000
assert_exit 0 run_upload "$SCRIPT" "$GEN"
check_fetch_delete "$T/pgbak" 1763800000
GEN=$T/pgbak/1763700000

# ---- the fetch side shares one ssh connection (PGBAK_RSYNC_PERSIST), through a socket in a
# private directory; never one it did not make private, never across remote shell commands
mkdir -m 700 "$T/t"
sock_dir=$T/t/pgbak-ssh.$(id -u)
logins() { grep -c 'Accepted publickey' "$T/sshd.log"; }
tget() { TMPDIR=$T/t fetch_as "$T/pgbak" get 1763700000/base.tzst >"$T/fetched" && cmp -s "$GEN/base.tzst" "$T/fetched"; }
sockets() { find "$sock_dir" -maxdepth 1 -type s | sort; }
before=$(logins)
assert_exit 0 tget
assert_exit 0 tget
assert_exit 0 tget
assert_eq "$((before + 1))" "$(logins)" "ssh logins for three fetches"
assert_match '^drwx------' "$(ls -ld "$sock_dir")" "mode of $sock_dir"
sock=$(sockets)
[[ $(wc -l <<<"$sock") == 1 && -S $sock ]] || fail "expected one control socket in $sock_dir: '$sock'"
master=$(ssh -o ControlPath="$sock" -O check x 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
[[ -n $master ]] || fail "no master behind $sock"
[[ $(ps -o sid= -p "$master" | tr -d ' ') == "$master" ]] || fail "the master ($master) is not in a session of its own"
ok "three fetches, one ssh login: the master runs detached, its socket in a 0700 directory"
other() { PGBAK_RSYNC_SSH="$ssh_cmd -o ServerAliveInterval=60" tget; }
assert_exit 0 other
assert_eq "$((before + 2))" "$(logins)" "ssh logins after a fetch with another remote shell"
assert_eq 2 "$(sockets | wc -l)" "control sockets for two remote shell commands"
ok "another remote shell command gets a connection of its own"
for sock in $(sockets); do ssh -o ControlPath="$sock" -O exit x 2>/dev/null || true; done
for _ in {1..50}; do
  [[ -n $(sockets) ]] || break
  sleep 0.1
done
chmod 755 "$sock_dir"
assert_exit 0 tget
assert_exit 0 tget
assert_eq "$((before + 4))" "$(logins)" "ssh logins with $sock_dir not private"
assert_eq "" "$(sockets)" "control sockets in a directory others can read"
ok "$sock_dir not 0700: no sharing, one login per fetch"
chmod 700 "$sock_dir"
PGBAK_RSYNC_PERSIST=0 assert_exit 0 tget
assert_eq "" "$(sockets)" "control sockets with PGBAK_RSYNC_PERSIST=0"
PGBAK_RSYNC_PERSIST=soon assert_exit 2 tget
assert_one_line_error backup-rsync
ok "PGBAK_RSYNC_PERSIST=0: no sharing; not a number: exit 2, $LAST_STDERR"

# ---- a local destination (e.g. a mounted file system), and a wrong directory
mkdir -m 700 "$T/local"
local_target() { PGBAK_RSYNC_TARGET=$T/local/ run_upload "$SCRIPT" "$GEN"; }
assert_exit 0 local_target
assert_same_tree "$GEN" "$T/local/1763700000"
ok "a local destination works the same"
wrong_dir() { (cd "$GEN/pg_wal" && PGBAK=$T/pgbak "$SCRIPT" 1763700000 1763700001); }
assert_exit 2 wrong_dir
assert_one_line_error backup-rsync
ok "run outside the generation directory: exit 2, $LAST_STDERR"

# ---- through a write-only rrsync login (target "user@host:")
if command -v rrsync >/dev/null; then
  rr() {
    PGBAK_RSYNC_TARGET=$user@127.0.0.1: PGBAK_RSYNC_SSH=${ssh_cmd/$T\/ssh\/client_key/$T/ssh/rr_key} \
      run_upload "$SCRIPT" "$GEN"
  }
  assert_exit 0 rr
  assert_same_tree "$GEN" "$T/remote-rr/1763700000"
  before=$(fingerprint "$T/remote-rr/1763700000")
  assert_exit 0 rr
  assert_eq "" "$(changed_files "$before" "$(fingerprint "$T/remote-rr/1763700000")")" "files rewritten by a rerun through rrsync"
  ok "through 'rrsync -wo': uploaded byte-identical, rerun writes nothing"
else
  echo "note: no rrsync: skipped the rrsync-restricted upload"
fi

# ---- server down, and with it the connections it has (backup-rsync's fetch side keeps one open
# for PGBAK_RSYNC_PERSIST seconds; a host that goes down ends it as well)
for pid in $(pgrep -P "$sshd_pid"); do kill -KILL "$pid" 2>/dev/null || true; done
stop_pid "$sshd_pid"
add_fake_wal "$GEN" 6
assert_exit 1 run_upload "$SCRIPT" "$GEN"
assert_one_line_error backup-rsync
ok "server down: exit 1, $LAST_STDERR"
check_fetch_down "$T/pgbak" 1763700000 backup-rsync

# ---- through pgbak itself, with a real server
start_server "$T/sshd.log" "$SSHD" -D -e -f "$T/ssh/sshd_config"
wait_tcp "$port" 20 "$SERVER_PID"
# The key of the PostgreSQL user, in a directory it can reach.
install -d -m 700 "$T/pgssh"
install -m 600 "$T/ssh/client_key" "$T/pgssh/key"
if ((EUID == 0)); then chown -R postgres: "$T/pgssh"; fi
mkdir -m 700 "$T/remote2"
cat >"$T/backup.env" <<EOF
PGBAK_RSYNC_TARGET='$user@127.0.0.1:$T/remote2'
PGBAK_RSYNC_SSH='${ssh_cmd/$T\/ssh\/client_key/$T/pgssh/key}'
EOF
download() { rsync -a -e "$ssh_cmd" "$user@127.0.0.1:$T/remote2/" "$1/"; }
PGBAK=$T/pgbak-rt
pgbak_roundtrip "$SCRIPT" download
mkdir -m 700 "$T/remote3"
sed "s|$T/remote2|$T/remote3|" "$T/backup.env" >"$T/drill.env"
disaster_drill "$SCRIPT" "$T/drill.env"
ok "backup-rsync end to end"
