#!/usr/bin/env bash
# On a terminal (a pty from script(1)), full-sync and restore show progress on stderr: bytes and
# rate, like pg_basebackup -P; off a terminal, and with -q, they print nothing extra.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
((EUID == 0)) || fail "this test runs pgbak as postgres through runuser: run it as root"
e2e_init
pgbak_init
cluster_init main
cluster_start main
cluster_pgbench main -i -s 2 -q >/dev/null 2>&1
write_conf "conninfo = 'host=$T/main.sock port=$(<"$T/main.port")'"
ln -sfn /bin/true "$PGBAK/scripts/backup"
# on_tty CMD...: run CMD as postgres on a pseudo-terminal; its output (both streams) on stdout.
on_tty() {
  script -qec "$(printf '%q ' runuser -u postgres -- "$@")" /dev/null </dev/null
}
rate='[0-9.]+ (B|KiB|MiB|GiB)/s'
assert_exit 0 pgbak_run wait 60 # the background sync pgbench's WAL started: the snapshots below are ours

out=$(on_tty "$PGBAK_BIN" -D "$PGBAK" full-sync)
assert_match "snapshot: base.tzst: [0-9.]+ (KiB|MiB), $rate" "$out"
ok "full-sync on a terminal shows bytes and rate"
assert_exit 0 pgbak_run full-sync
[[ ! $LAST_STDERR =~ $rate ]] || fail "progress off a terminal: $LAST_STDERR"
[[ $LAST_STDERR != *$'\r'* ]] || fail "carriage return off a terminal"
out=$(on_tty "$PGBAK_BIN" -D "$PGBAK" -q full-sync)
assert_eq "" "$out" "full-sync -q on a terminal"
ok "off a terminal, or with -q, full-sync shows no progress"

out=$(on_tty "$PGBAK_BIN" -D "$PGBAK" restore "$T/r1")
assert_match "restore: base.tzst: [0-9.]+ (KiB|MiB) of [0-9.]+ (KiB|MiB) \(100%\), $rate" "$out"
ok "restore on a terminal shows bytes of the total and the rate"
assert_exit 0 pgbak_run restore "$T/r2"
[[ ! $LAST_STDERR =~ $rate ]] || fail "progress off a terminal: $LAST_STDERR"
assert_eq "" "$LAST_STDERR"
ok "off a terminal restore shows no progress"
